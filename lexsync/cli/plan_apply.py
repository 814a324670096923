"""`lexsync plan` and `lexsync apply`."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from lexsync.cli.common import (
    EXIT_CHANGES,
    EXIT_ERROR,
    config_option,
    console,
    fail,
    handle_errors,
    session_for,
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
    from lexsync.engine.applier import StepOutcome
    from lexsync.engine.plan import Plan


@click.command()
@config_option
@click.option("--format", "output_format", type=click.Choice(["text", "json", "markdown"]), default=None,
              help="text (default), json (Terraform's plan shape) or markdown (a pull-request comment).")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("--out", "out", type=click.Path(dir_okay=False), help="Save the plan for `apply FILE`.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 for no changes, 2 for changes, 1 for errors.")
@click.option("--target", "targets", multiple=True, metavar="ADDRESS", help="Plan only this resource (repeatable).")
@click.option("--adopt", is_flag=True, help="Match resources missing from state to live objects by natural key.")
@handle_errors
def plan(config: str | None, api: str | None, state_path: str | None, output_format: str | None,
         as_json: bool, out: str | None, detailed_exitcode: bool, targets: tuple[str, ...],
         adopt: bool) -> None:
    """Show what apply would change in LeadExec."""
    from lexsync.cli.progress import RefreshSpinner
    from lexsync.engine import aio
    from lexsync.engine.planfile import save_plan
    from lexsync.render.json import plan_to_json
    from lexsync.render.markdown import render_markdown
    from lexsync.render.text import render_plan

    if as_json and output_format not in (None, "json"):
        raise LexsyncError(f"--json contradicts --format {output_format}; pass only one")
    output_format = "json" if as_json else (output_format or "text")
    out_console = console()
    with RefreshSpinner(enabled=output_format == "text") as spinner:
        session = session_for(config, api, state_path, targets=targets, adopt=adopt,
                              on_progress=spinner.update)
        bundle, _state = aio.run(session.plan(saving=bool(out)))
    if output_format == "json":
        click.echo(json.dumps(plan_to_json(bundle.plan), indent=2, sort_keys=True))
    elif output_format == "markdown":
        click.echo(render_markdown(bundle.plan), nl=False)
    else:
        render_plan(bundle.plan, out_console)
    if out:
        save_plan(bundle.plan, Path(out))
        if output_format == "text":
            out_console.print(f"\nSaved the plan to {out}. Apply exactly it with: lexsync apply {out}")
    from lexsync.cli.routing import warn_lint

    warn_lint(session.loaded)
    if detailed_exitcode and bundle.plan.has_changes:
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
@handle_errors
def apply(config: str | None, api: str | None, state_path: str | None, plan_file: str | None,
          auto_approve: bool, targets: tuple[str, ...], adopt: bool, lock_timeout: float,
          max_retire: Threshold, max_change: Threshold, force: bool, allow_retire: bool) -> None:
    """Apply the changes. With PLAN_FILE, apply exactly that saved plan (refused if stale)."""
    from lexsync.cli.progress import RefreshSpinner, StepCounter
    from lexsync.engine import aio
    from lexsync.engine.planfile import load_plan
    from lexsync.render.text import render_plan

    out_console = console()
    saved = load_plan(Path(plan_file)) if plan_file else None
    interactive = sys.stdin.isatty()
    if saved is None and not auto_approve and not interactive:
        raise LexsyncError("apply needs --auto-approve (or a saved plan file) when not run interactively")

    spinner = RefreshSpinner()
    counter = StepCounter()

    def confirm(plan: Plan) -> bool:
        spinner.stop()
        counter.total = len(plan.actionable)
        guard = functools.partial(check_thresholds, plan, max_retire=max_retire,
                                  max_change=max_change, force=force, allow_retire=allow_retire,
                                  interactive=interactive and saved is None and not auto_approve)
        if saved is not None:
            guard()
            return True
        render_plan(plan, out_console)
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
            out_console.print(f"{prefix}{outcome.address}: {verb}{suffix}")
        else:
            out_console.print(f"{prefix}[red]{outcome.address}: {outcome.error}[/]")

    session = session_for(config, api, state_path, targets=targets, adopt=adopt,
                          on_progress=spinner.update)
    announce_wait(session.backend, lock_timeout)
    with spinner:
        plan_obj, result = aio.run(session.apply(confirm, saved_plan=saved, on_step=on_step,
                                                 lock_timeout=lock_timeout))
    if not plan_obj.has_changes:
        if saved is None:
            render_plan(plan_obj, out_console)
        else:
            out_console.print("No changes. LeadExec matches the configuration.")
        return
    if result is None:
        out_console.print("Apply cancelled; nothing was changed.")
        raise SystemExit(EXIT_ERROR)
    counts = {"create": 0, "update": 0, "retire": 0}
    for outcome in result.succeeded:
        counts[outcome.action.value] += 1
    out_console.print(f"\nApply {'complete' if not result.failed and not result.skipped else 'incomplete'}! "
                      f"Resources: {counts['create']} created, {counts['update']} updated, "
                      f"{counts['retire']} retired.")
    problems = [o.error for o in result.failed] + [f"{o.address}: {o.error}" for o in result.skipped]
    problems += [f"verify: {p}" for p in result.verify_problems]
    if problems:
        fail("apply did not finish cleanly; state records every call that succeeded, and the next "
             "plan shows only what remains:\n" + "\n".join(f"  {p}" for p in problems))


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
