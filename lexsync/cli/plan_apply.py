"""`lexsync plan` and `lexsync apply`."""

from __future__ import annotations

import functools
import json
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from lexsync.cli.common import (
    EXIT_CHANGES,
    EXIT_ERROR,
    api_source,
    config_option,
    console,
    counted,
    fail,
    handle_errors,
    session_for,
    targeted_note,
    warn,
    warn_diagnostics,
)
from lexsync.cli.thresholds import (
    DEFAULT_MAX_CHANGE,
    DEFAULT_MAX_RETIRE,
    THRESHOLD,
    Threshold,
    check_thresholds,
)
from lexsync.errors import LexsyncError

if TYPE_CHECKING:
    from lexsync.engine.applier import ApplyResult, StepOutcome
    from lexsync.engine.plan import Plan

RETIRE_ALL_HELP = ("Allow a plan that retires every resource the state manages (refused "
                   "otherwise: that is usually the wrong configuration or state).")


@click.command()
@config_option
@click.option("--format", "output_format", type=click.Choice(["text", "json", "markdown"]), default=None,
              help="text (default), json (Terraform's plan shape) or markdown (a pull-request comment).")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("--out", "out", type=click.Path(dir_okay=False), help="Save the plan for `apply FILE`.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 for no changes, 2 for changes or an unsettled lost create, 1 for errors.")
@click.option("--target", "targets", multiple=True, metavar="ADDRESS", help="Plan only this resource (repeatable).")
@click.option("--adopt", is_flag=True, help="Match resources missing from state to live objects by natural key.")
@click.option("--retire-all", is_flag=True, help=RETIRE_ALL_HELP)
@handle_errors
def plan(config: str | None, api: str | None, state_path: str | None, output_format: str | None,
         as_json: bool, out: str | None, detailed_exitcode: bool, targets: tuple[str, ...],
         adopt: bool, retire_all: bool) -> None:
    """Show what apply would change in LeadExec."""
    from lexsync.cli.progress import RefreshSpinner
    from lexsync.cli.routing import lint_findings, warn_lint
    from lexsync.engine import aio
    from lexsync.engine.planfile import api_of, save_plan
    from lexsync.render.json import plan_to_json
    from lexsync.render.markdown import render_markdown
    from lexsync.render.text import render_plan

    if as_json and output_format not in (None, "json"):
        raise LexsyncError(f"--json contradicts --format {output_format}; pass only one")
    output_format = "json" if as_json else (output_format or "text")
    out_console = console()
    with RefreshSpinner(enabled=output_format == "text") as spinner:
        # The lead flow is the whole network's: a targeted plan does not lint (a part would
        # show gaps other clients fill). A full plan lints while its reads wait on LeadExec.
        lint = None if targets else lint_findings
        session = session_for(config, api, state_path, targets=targets, adopt=adopt,
                              on_progress=spinner.update, retire_all=retire_all,
                              while_reading=lint)
        bundle, _state = aio.run(session.plan(saving=bool(out)))
    name_options(bundle.plan, config, state_path)
    if output_format == "json":
        click.echo(json.dumps(plan_to_json(bundle.plan), indent=2, sort_keys=True))
    elif output_format == "markdown":
        click.echo(render_markdown(bundle.plan), nl=False)
    else:
        render_plan(bundle.plan, out_console)
    if out:
        save_plan(bundle.plan, Path(out), api_of(session.api_url()[0], session.options.sandbox is not None),
                  retire_all=retire_all, targets=targets)
        if output_format == "text":
            options = run_options(config, state_path)
            out_console.print(f"\nSaved the plan to {out}; it remembers {session.where()}. Apply "
                              f"exactly it with: lexsync apply{options} {shlex.quote(out)}",
                              markup=False)
    warn_diagnostics(session.loaded.warnings + session.warnings)
    if targets:
        warn(targeted_note(session.loaded.skipped))
    else:
        warn_lint(session.read_aside)
    # An unsettled lost create is something to attend to, as a change is (docs/reliability.md).
    if detailed_exitcode and bundle.plan.needs_attention:
        raise SystemExit(EXIT_CHANGES)


@click.command()
@config_option
@click.argument("plan_file", required=False, type=click.Path(dir_okay=False))
@click.option("--auto-approve", is_flag=True, help="Apply without asking for 'yes'.")
@click.option("--target", "targets", multiple=True, metavar="ADDRESS")
@click.option("--adopt", is_flag=True, help="Match resources missing from state to live objects by natural key.")
@click.option("--lock-timeout", default=0.0, type=float, help="Seconds to wait for the state lock.")
@click.option("--max-retire", default=DEFAULT_MAX_RETIRE, type=THRESHOLD, show_default=True,
              help="Refuse to retire more than N resources or N% of the managed ones.")
@click.option("--max-change", default=DEFAULT_MAX_CHANGE, type=THRESHOLD, show_default=True,
              help="Refuse to update or retire more than N resources or N% of the managed ones.")
@click.option("--force", is_flag=True, help="Apply even when --max-retire or --max-change is exceeded.")
@click.option("--allow-retire", is_flag=True, help="Allow retiring clients in a non-interactive run.")
@click.option("--retire-all", is_flag=True, help=RETIRE_ALL_HELP)
@handle_errors
def apply(config: str | None, api: str | None, state_path: str | None, plan_file: str | None,
          auto_approve: bool, targets: tuple[str, ...], adopt: bool, lock_timeout: float,
          max_retire: Threshold, max_change: Threshold, force: bool, allow_retire: bool,
          retire_all: bool) -> None:
    """Apply the changes. With PLAN_FILE, apply exactly that saved plan (refused if stale),
    against the LeadExec it was made against."""
    from lexsync.cli.progress import RefreshSpinner, StepCounter
    from lexsync.engine import aio
    from lexsync.engine.planfile import api_for_apply, load_saved_plan, targets_for_apply
    from lexsync.render.lines import summary
    from lexsync.render.text import render_plan

    out_console = console()
    saved_file = load_saved_plan(Path(plan_file)) if plan_file else None
    saved = saved_file.plan if saved_file else None
    if saved_file is not None and plan_file is not None:
        api = api_for_apply(saved_file, Path(plan_file), api, api_source(api))
        retire_all = retire_all or saved_file.retire_all
        targets = targets_for_apply(saved_file, Path(plan_file), targets)
    interactive = sys.stdin.isatty()
    if saved is None and not auto_approve and not interactive:
        raise LexsyncError("apply needs --auto-approve (or a saved plan file) when not run interactively")

    spinner = RefreshSpinner()
    counter = StepCounter()
    warned: list[bool] = []  # the plan's warnings are printed with the plan, once

    def confirm(plan: Plan) -> bool:
        spinner.stop()
        name_options(plan, config, state_path)
        counter.total = len(plan.actionable)
        guard = functools.partial(check_thresholds, plan, max_retire=max_retire,
                                  max_change=max_change, force=force, allow_retire=allow_retire,
                                  interactive=interactive and saved is None and not auto_approve)
        warned.append(True)
        if saved is not None:
            warn_diagnostics(session.loaded.warnings + session.warnings)
            guard()
            return True
        render_plan(plan, out_console)
        warn_diagnostics(session.loaded.warnings + session.warnings)
        guard()
        if auto_approve:
            return True
        retiring = plan.counts().get("retire", 0)
        warning = f" This retires {retiring} resource(s)." if retiring else ""
        answer = click.prompt(f"\nDo you want to perform these actions?{warning}\n"
                              "  Only 'yes' will be accepted", default="", show_default=False)
        return answer.strip() == "yes"

    def on_step(outcome: StepOutcome) -> None:
        verb = {"create": "created", "update": "updated", "retire": "retired"}[outcome.action.value]
        prefix = counter.prefix() if sys.stdout.isatty() else ""
        if outcome.ok:
            suffix = f" (id {outcome.remote_id})" if outcome.remote_id is not None else ""
            out_console.print(f"{prefix}{outcome.address}: {verb}{suffix}", markup=False)
        else:
            from rich.text import Text  # text, not markup: a failure may hold brackets

            out_console.print(Text(f"{prefix}{outcome.address}: {_failure(outcome)}", style="red"))

    session = session_for(config, api, state_path, targets=targets, adopt=adopt,
                          on_progress=spinner.update, retire_all=retire_all)
    announce_wait(session.backend, lock_timeout)
    with spinner:
        plan_obj, result = aio.run(session.apply(confirm, saved_plan=saved, on_step=on_step,
                                                 lock_timeout=lock_timeout))
    if not warned:
        warn_diagnostics(session.loaded.warnings + session.warnings)
    if not plan_obj.has_changes:
        name_options(plan_obj, config, state_path)
        if saved is None:
            render_plan(plan_obj, out_console)
        else:
            out_console.print(summary(plan_obj), markup=False)
        return
    if result is None:
        out_console.print("Apply cancelled; nothing was changed.")
        raise SystemExit(EXIT_ERROR)
    report_outcome(result, out_console)


def run_options(config: str | None, state_path: str | None) -> str:
    """The options naming this run's configuration and state, for a command it suggests."""
    return "".join(f" {flag} {shlex.quote(value)}" for flag, value
                   in (("-c", config), ("--state", state_path)) if value)


def name_options(plan: Plan, config: str | None, state_path: str | None) -> None:
    """The plan's `lexsync state resolve` commands, runnable as printed: with this run's
    `-c` and `--state`, which `state resolve` needs to find the same state."""
    options = run_options(config, state_path)
    for item in plan.unsettled if options else ():
        for way in item.resolve:
            if not way.command.endswith(options):
                way.command += options


def report_outcome(result: ApplyResult, out_console: Any) -> None:
    """One outcome, stated once: complete, incomplete (calls failed or were not attempted), or
    every call made but LeadExec reads back otherwise."""
    counts = {"create": 0, "update": 0, "retire": 0}
    for outcome in result.succeeded:
        counts[outcome.action.value] += 1
    resources = (f"Resources: {counts['create']} created, {counts['update']} updated, "
                 f"{counts['retire']} retired.")
    if not result.failed and not result.skipped and not result.verify_problems:
        out_console.print(f"\nApply complete! {resources}", markup=False)
        return
    if result.failed or result.skipped:
        not_attempted = f", {len(result.skipped)} not attempted" if result.skipped else ""
        problems = [f"{o.address}: {_failure(o)}" for o in result.failed + result.skipped]
        problems += [f"read back: {p}" for p in result.verify_problems]
        fail(f"apply incomplete: {counted(len(result.failed), 'call')} failed{not_attempted}. "
             f"{resources} State records every call that succeeded, and the next plan shows "
             "only what remains:\n" + "\n".join(f"  {p}" for p in problems))
    fail(f"apply made every call ({resources.removesuffix('.')}), but LeadExec reads back "
         "values other than those written (changed by someone else meanwhile, or not stored "
         "as sent); the next plan shows them:\n"
         + "\n".join(f"  {p}" for p in result.verify_problems))


def _failure(outcome: StepOutcome) -> str:
    """The outcome's error without the address the line already starts with."""
    return (outcome.error or "failed").removeprefix(f"{outcome.address}: ")


def announce_wait(backend: Any, timeout: float) -> None:
    """Say who holds the lock before waiting for it, so a waiting run is not a silent one."""
    lock_info = getattr(backend, "lock_info", None)
    if timeout <= 0 or lock_info is None:
        return
    info = lock_info()
    if info is not None:
        click.echo(f"Waiting up to {timeout:g}s for the state lock held by {info.who} "
                   f"(pid {info.pid}, command {info.command}, since {info.since}, "
                   f"lock ID {info.id})", err=True)
