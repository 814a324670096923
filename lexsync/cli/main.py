"""The `lexsync` command group and the registration of its commands.

Each command lives in a module named for it and imports its heavy dependencies when it runs,
so `lexsync --help` stays fast. A new command: a new module, one `add_command` line below.
"""

from __future__ import annotations

import click

from lexsync import __version__
from lexsync.cli import configuration, doctor, drift, importing, plan_apply, routing, sandbox, state


@click.group()
@click.version_option(__version__, prog_name="lexsync")
def main() -> None:
    """Declarative configuration-as-code for LeadExec: plan, then apply."""
    if click.get_current_context().invoked_subcommand == "sandbox":
        return  # `sandbox serve` runs until stopped: the collector keeps its defaults
    from lexsync import allocator, collector  # here, not at import: `--help` stays light

    collector.set_for_one_run()
    allocator.one_arena()
    click.get_current_context().call_on_close(collector.end_of_the_run)


main.add_command(configuration.init)
main.add_command(configuration.validate)
main.add_command(configuration.schema)
main.add_command(plan_apply.plan)
main.add_command(plan_apply.apply)
main.add_command(importing.import_command)
main.add_command(drift.drift)
main.add_command(state.state)
main.add_command(state.force_unlock)
main.add_command(sandbox.sandbox)
main.add_command(routing.route)
main.add_command(routing.test)
main.add_command(routing.lint)
main.add_command(routing.coverage)
main.add_command(doctor.doctor)


def run() -> None:
    """The `lexsync` program (its console script): the command, then an exit that leaves the
    run's objects to the system (`collector.leave_to_the_os`)."""
    try:
        main()
    finally:
        from lexsync import collector

        collector.leave_to_the_os()


if __name__ == "__main__":
    run()
