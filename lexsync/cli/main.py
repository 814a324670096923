"""The lexsync command line. The only module that prints or exits."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from lexsync import __version__
from lexsync.cli.gitops import DEFAULT_MAX_CHANGE, DEFAULT_MAX_RETIRE, THRESHOLD, Threshold
from lexsync.engine import aio
from lexsync.errors import ConfigError, LexsyncError

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2
DEFAULT_CONFIG_NAMES = ("lexsync.yaml", "lexsync.yml")


def _console(stderr: bool = False) -> Console:
    no_color = bool(os.environ.get("NO_COLOR")) or not (sys.stderr if stderr else sys.stdout).isatty()
    return Console(stderr=stderr, no_color=no_color, highlight=False, soft_wrap=True)


def fail(message: str, code: int = EXIT_ERROR) -> None:
    err = _console(stderr=True)
    err.print(f"[bold red]Error:[/] {message}", markup=True, highlight=False)
    raise SystemExit(code)


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Every user-facing failure becomes a message and an exit code, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConfigError as exc:
            lines = "\n".join(f"  {d}" for d in exc.diagnostics)
            fail(f"the configuration has {len(exc.diagnostics)} problem(s):\n{lines}", exc.exit_code)
        except LexsyncError as exc:
            fail(exc.message, exc.exit_code)
        except KeyboardInterrupt:
            fail("interrupted; state holds every call that completed", 130)
        except (SystemExit, click.exceptions.Exit, click.ClickException):
            raise
        except Exception as exc:  # a bug: say so plainly, keep the details for LEXSYNC_DEBUG
            if os.environ.get("LEXSYNC_DEBUG"):
                raise
            fail(f"internal error ({type(exc).__name__}): {exc}. Set LEXSYNC_DEBUG=1 for details.")

    return wrapper


def resolve_config_path(config: str | None) -> Path:
    if config:
        path = Path(config)
        if not path.exists():
            raise LexsyncError(f"configuration {path} does not exist")
        return path
    for name in DEFAULT_CONFIG_NAMES:
        if Path(name).exists():
            return Path(name)
    raise LexsyncError("no configuration found: pass --config FILE_OR_DIR or create lexsync.yaml "
                       "(lexsync init writes a starter)")


def config_option(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("-c", "--config", "config", metavar="PATH",
                        help="Configuration file or directory (default: ./lexsync.yaml).")(func)
    func = click.option("--api", "api", metavar="URL|sandbox", envvar="LEXSYNC_API",
                        help="LeadExec base URL, or 'sandbox' for the built-in in-process sandbox.")(func)
    func = click.option("--state", "state_path", metavar="FILE",
                        help="State file (default: from the configuration, .lexsync/state.json).")(func)
    return func


def session_for(config: str | None, api: str | None, state_path: str | None, **extra: Any):
    from lexsync.engine.session import RunOptions, Session

    config_path = resolve_config_path(config)
    options = RunOptions(config_path=config_path, state_path=Path(state_path) if state_path else None,
                         **extra)
    if api == "sandbox":
        from lexsync.cli.sandbox_mode import in_process_sandbox

        root = config_path if config_path.is_dir() else config_path.parent
        options.transport, options.api_url, options.default_credentials = in_process_sandbox(root)
    elif api:
        options.api_url = api
    return Session(options)


@click.group()
@click.version_option(__version__, prog_name="lexsync")
def main() -> None:
    """Declarative configuration-as-code for LeadExec: plan, then apply."""
    aio.collect_less()


@main.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@handle_errors
def init(directory: str) -> None:
    """Write a starter lexsync.yaml (and the schema editors validate it with) into DIRECTORY."""
    from lexsync.config.schema import render_schema
    from lexsync.config.starter import STARTER_CONFIG

    target = Path(directory) / "lexsync.yaml"
    if target.exists():
        raise LexsyncError(f"{target} already exists; not overwriting it")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(STARTER_CONFIG, encoding="utf-8")
    (target.parent / "lexsync.schema.json").write_text(render_schema(), encoding="utf-8")
    click.echo(f"Wrote {target} and lexsync.schema.json. Next: lexsync validate -c {target}, "
               f"then lexsync plan -c {target} --api sandbox")


@main.command()
@config_option
@handle_errors
def validate(config: str | None, api: str | None, state_path: str | None) -> None:
    """Check the configuration (syntax, keys, types, references) without calling LeadExec."""
    from lexsync.config.loader import load_configuration

    loaded = load_configuration(resolve_config_path(config))
    model = loaded.model
    accounts = sum(len(c.delivery_accounts) for c in model.clients.values())
    methods = sum(len(c.delivery_methods) for c in model.clients.values())
    click.echo(f"The configuration is valid: {len(model.client_groups)} client groups, "
               f"{len(model.clients)} clients, {methods} delivery methods, {accounts} delivery accounts.")


@main.command()
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
    from lexsync.engine.planfile import save_plan
    from lexsync.render.json import plan_to_json
    from lexsync.render.markdown import render_markdown
    from lexsync.render.text import render_plan

    if as_json and output_format not in (None, "json"):
        raise LexsyncError(f"--json contradicts --format {output_format}; pass only one")
    output_format = "json" if as_json else (output_format or "text")
    from lexsync.cli.progress import RefreshSpinner

    console = _console()
    with RefreshSpinner(enabled=output_format == "text") as spinner:
        session = session_for(config, api, state_path, targets=targets, adopt=adopt,
                              on_progress=spinner.update)
        bundle, _state = aio.run(session.plan(saving=bool(out)))
    if output_format == "json":
        click.echo(json.dumps(plan_to_json(bundle.plan), indent=2, sort_keys=True))
    elif output_format == "markdown":
        click.echo(render_markdown(bundle.plan), nl=False)
    else:
        render_plan(bundle.plan, console)
    if out:
        save_plan(bundle.plan, Path(out))
        if output_format == "text":
            console.print(f"\nSaved the plan to {out}. Apply exactly it with: lexsync apply {out}")
    if detailed_exitcode and bundle.plan.has_changes:
        raise SystemExit(EXIT_CHANGES)


@main.command()
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
    from lexsync.cli.gitops import announce_wait, check_thresholds
    from lexsync.cli.progress import RefreshSpinner, StepCounter
    from lexsync.engine.planfile import load_plan
    from lexsync.render.text import render_plan

    console = _console()
    saved = load_plan(Path(plan_file)) if plan_file else None
    interactive = sys.stdin.isatty()
    if saved is None and not auto_approve and not interactive:
        raise LexsyncError("apply needs --auto-approve (or a saved plan file) when not run interactively")

    spinner = RefreshSpinner()
    counter = StepCounter()

    def confirm(plan: Any) -> bool:
        spinner.stop()
        counter.total = len(plan.actionable)
        guard = functools.partial(check_thresholds, plan, max_retire=max_retire,
                                  max_change=max_change, force=force, allow_retire=allow_retire,
                                  interactive=interactive and saved is None and not auto_approve)
        if saved is not None:
            guard()
            return True
        render_plan(plan, console)
        guard()
        if auto_approve:
            return True
        retiring = plan.counts().get("retire", 0)
        warning = f" This retires {retiring} resource(s)." if retiring else ""
        answer = click.prompt(f"\nDo you want to perform these actions?{warning}\n"
                              "  Only 'yes' will be accepted", default="", show_default=False)
        return answer.strip() == "yes"

    def on_step(outcome: Any) -> None:
        verb = {"create": "created", "update": "updated", "retire": "retired"}[outcome.action.value]
        prefix = counter.prefix() if sys.stdout.isatty() else ""
        if outcome.ok:
            suffix = f" (id {outcome.remote_id})" if outcome.remote_id is not None else ""
            console.print(f"{prefix}{outcome.address}: {verb}{suffix}")
        else:
            console.print(f"{prefix}[red]{outcome.address}: {outcome.error}[/]")

    session = session_for(config, api, state_path, targets=targets, adopt=adopt,
                          on_progress=spinner.update)
    announce_wait(session.backend, lock_timeout)
    with spinner:
        plan_obj, result = aio.run(session.apply(confirm, saved_plan=saved, on_step=on_step,
                                                     lock_timeout=lock_timeout))
    if not plan_obj.has_changes:
        if saved is None:
            render_plan(plan_obj, console)
        else:
            console.print("No changes. LeadExec matches the configuration.")
        return
    if result is None:
        console.print("Apply cancelled; nothing was changed.")
        raise SystemExit(EXIT_ERROR)
    counts = {"create": 0, "update": 0, "retire": 0}
    for outcome in result.succeeded:
        counts[outcome.action.value] += 1
    console.print(f"\nApply {'complete' if not result.failed and not result.skipped else 'incomplete'}! "
                  f"Resources: {counts['create']} created, {counts['update']} updated, "
                  f"{counts['retire']} retired.")
    problems = [o.error for o in result.failed] + [f"{o.address}: {o.error}" for o in result.skipped]
    problems += [f"verify: {p}" for p in result.verify_problems]
    if problems:
        fail("apply did not finish cleanly; state records every call that succeeded, and the next "
             "plan shows only what remains:\n" + "\n".join(f"  {p}" for p in problems))


@main.group()
def state() -> None:
    """Inspect or edit the state file (list, show, rm, mv)."""


def _backend(config: str | None, state_path: str | None):
    from lexsync.config.loader import load_configuration
    from lexsync.state.factory import STATE_URL_ENV, open_backend
    from lexsync.state.local import LocalBackend

    if state_path:
        return LocalBackend(Path(state_path))
    if os.environ.get(STATE_URL_ENV) and not config and not any(
            Path(n).exists() for n in DEFAULT_CONFIG_NAMES):
        # A pipeline step (e.g. force-unlock) may run where no configuration is checked out.
        from lexsync.config.models import StateSettings

        return open_backend(StateSettings(), Path("."), os.environ)
    loaded = load_configuration(resolve_config_path(config))
    return open_backend(loaded.model.lexsync.state, loaded.root, os.environ)


def state_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("-c", "--config", "config", metavar="PATH")(func)
    func = click.option("--state", "state_path", metavar="FILE")(func)
    return func


@state.command("list")
@state_options
@click.argument("prefix", required=False)
@handle_errors
def state_list(config: str | None, state_path: str | None, prefix: str | None) -> None:
    """List the addresses in state."""
    from lexsync.state.ops import list_addresses

    for address in list_addresses(_backend(config, state_path).load(), prefix):
        click.echo(address)


@state.command("show")
@state_options
@click.argument("address", required=False)
@handle_errors
def state_show(config: str | None, state_path: str | None, address: str | None) -> None:
    """Show one resource's remote IDs and last applied values; without ADDRESS, the state
    itself (lineage, serial, the LeadExec it describes)."""
    from lexsync.engine.endpoint import summary
    from lexsync.state.ops import show

    doc = _backend(config, state_path).load()
    shown = show(doc, address) if address else summary(doc)
    click.echo(json.dumps(shown, indent=2, sort_keys=True))


@state.command("forget-endpoint")
@state_options
@handle_errors
def state_forget_endpoint(config: str | None, state_path: str | None) -> None:
    """Forget which LeadExec the state describes (same account, new URL or credentials); the
    next apply records the one it reaches."""
    backend = _backend(config, state_path)
    with backend.lock("state forget-endpoint"):
        doc = backend.load()
        doc.endpoint = None
        backend.write(doc)
    click.echo("Forgot the state's LeadExec; the next apply records the one it reaches.")


@state.command("rm")
@state_options
@click.argument("address")
@handle_errors
def state_rm(config: str | None, state_path: str | None, address: str) -> None:
    """Forget a resource (and what is under it) without touching LeadExec."""
    from lexsync.state.ops import remove

    backend = _backend(config, state_path)
    with backend.lock("state rm"):
        doc = backend.load()
        removed = remove(doc, address)
        backend.write(doc)
    for item in removed:
        click.echo(f"Removed {item}")


@state.command("resolve")
@state_options
@click.argument("address")
@click.option("--id", "remote_id", type=int, help="The ID LeadExec shows for it.")
@click.option("--absent", is_flag=True, help="LeadExec does not have it: create it on the next apply.")
@handle_errors
def state_resolve(config: str | None, state_path: str | None, address: str,
                  remote_id: int | None, absent: bool) -> None:
    """Settle a create whose answer was lost (a delivery method LeadExec cannot show)."""
    from lexsync.state.ops import resolve_pending

    if (remote_id is None) == (not absent):
        raise LexsyncError("give exactly one of --id ID and --absent")
    backend = _backend(config, state_path)
    with backend.lock("state resolve"):
        doc = backend.load()
        message = resolve_pending(doc, address, remote_id)
        backend.write(doc)
    click.echo(message)


@state.command("mv")
@state_options
@click.argument("source")
@click.argument("destination")
@handle_errors
def state_mv(config: str | None, state_path: str | None, source: str, destination: str) -> None:
    """Rename a resource in state (after renaming its YAML key)."""
    from lexsync.state.ops import move

    backend = _backend(config, state_path)
    with backend.lock("state mv"):
        doc = backend.load()
        moved = move(doc, source, destination)
        backend.write(doc)
    for item in moved:
        click.echo(f"Moved {item}")


@main.command("force-unlock")
@state_options
@click.argument("lock_id")
@handle_errors
def force_unlock(config: str | None, state_path: str | None, lock_id: str) -> None:
    """Remove a state lock left by a run that can no longer release it."""
    _backend(config, state_path).force_unlock(lock_id)
    click.echo(f"Lock {lock_id} released.")


@main.command()
@handle_errors
def schema() -> None:
    """Print the JSON Schema of the configuration (for editors)."""
    from lexsync.config.schema import generate_schema

    click.echo(json.dumps(generate_schema(), indent=2, sort_keys=True))


@main.group()
def sandbox() -> None:
    """The built-in LeadExec-compatible sandbox."""


@sandbox.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8765, show_default=True, type=int)
@click.option("--db", default=":memory:", show_default=True, help="SQLite file.")
@click.option("--latency-ms", default=0, type=int, help="Added latency per request.")
@click.option("--latency-jitter-ms", default=0, type=int, help="Random extra latency, up to this.")
@click.option("--fault-rate", default=0.0, type=float, help="Share of requests that fail (0..1).")
@click.option("--seed", default=None, type=int, help="Seed for fault injection.")
@handle_errors
def sandbox_serve(host: str, port: int, db: str, latency_ms: int, latency_jitter_ms: int,
                  fault_rate: float, seed: int | None) -> None:
    """Run the sandbox under uvicorn."""
    from lexsync.sandbox.app import SandboxConfig
    from lexsync.sandbox.server import serve

    if not 0 <= fault_rate <= 1:
        raise LexsyncError("--fault-rate must be between 0 and 1")
    click.echo(f"lexsync sandbox on http://{host}:{port} (db {db}); "
               "credentials: LEADEXEC_API_KEY=sandbox-key LEADEXEC_CLIENT_ID=sandbox "
               "LEADEXEC_CLIENT_SECRET=sandbox-secret")
    serve(SandboxConfig(db_path=db, latency_ms=latency_ms, latency_jitter_ms=latency_jitter_ms,
                        fault_rate=fault_rate, seed=seed), host=host, port=port)


# Commands kept in their own modules import this one for its helpers, so they register from
# the importable copy; `python -m lexsync.cli.main` runs that copy's group.
if __name__ != "__main__":
    from lexsync.cli.adopt import drift, import_command

    main.add_command(import_command)
    main.add_command(drift)

if __name__ != "__main__":
    from lexsync.cli.gitops import register as register_gitops

    register_gitops(state, _backend, handle_errors, state_options)

if __name__ == "__main__":  # pragma: no cover
    from lexsync.cli.main import main as registered_main

    registered_main()
