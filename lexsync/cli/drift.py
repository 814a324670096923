"""`lexsync drift`: how LeadExec differs from the YAML and the last apply."""

from __future__ import annotations

from pathlib import Path

import click

from lexsync.cli.common import (
    EXIT_CHANGES,
    config_option,
    handle_errors,
    session_for,
    targeted_note,
    warn,
)

EXIT_DRIFT = EXIT_CHANGES


@click.command("drift")
@config_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text",
              show_default=True)
@click.option("--out", "out", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write the report to FILE (the one-line summary still goes to stdout).")
@click.option("--fail-on-unmanaged", is_flag=True,
              help="Also exit 2 when LeadExec holds objects neither the YAML nor state knows, or "
                   "a value the YAML does not set changed outside lexsync.")
@click.option("--target", "targets", multiple=True, metavar="ADDRESS",
              help="Check only this resource and what is under it (repeatable): a client's "
                   "check reads that client alone.")
@handle_errors
def drift(config: str | None, api: str | None, state_path: str | None, fmt: str, out: str | None,
          fail_on_unmanaged: bool, targets: tuple[str, ...]) -> None:
    """Compare LeadExec with the YAML and the last apply; never writes, never locks.

    Exit 0 no drift, 2 drift, 1 error.
    """
    from lexsync.engine import aio
    from lexsync.engine.drift import drift_report
    from lexsync.render.drift import RENDERERS, headline

    # Drift writes nothing: a configuration that would retire everything is reported as such.
    session = session_for(config, api, state_path, refuse_unknown=False, retire_all=True,
                          targets=targets)
    bundle, state = aio.run(session.plan(saving=False))
    report = drift_report(bundle, state, session.last_view, targets)
    text = RENDERERS[fmt](report)
    if out:
        target = Path(out)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        click.echo(headline(report))
    else:
        click.echo(text, nl=False)
    if targets:
        warn(targeted_note(session.loaded.skipped, verb="checks"))
    if report.has_drift or (fail_on_unmanaged and (report.unmanaged or report.unmanaged_changes)):
        raise SystemExit(EXIT_DRIFT)
