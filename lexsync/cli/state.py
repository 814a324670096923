"""`lexsync state ...` (list, show, rm, resolve, mv, history, rollback, migrate) and
`lexsync force-unlock`: the commands that read or edit the state, never LeadExec."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from lexsync.cli.common import (
    DEFAULT_CONFIG_NAMES,
    handle_errors,
    resolve_config_path,
    state_options,
)
from lexsync.errors import LexsyncError

if TYPE_CHECKING:
    from lexsync.state.backend import StateBackend


@click.group()
def state() -> None:
    """Inspect or edit the state file (list, show, rm, mv)."""


def state_backend(config: str | None, state_path: str | None) -> StateBackend:
    """The state backend named by --state, else $LEXSYNC_STATE_URL, else the configuration."""
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
    # The state's settings, not the secrets: a variable the configuration names need not be set.
    # Nor the clients: a file that holds only clients is not parsed (config/scan.py), which
    # at 10,000 buyers was ~20 s of every state command.
    loaded = load_configuration(resolve_config_path(config), need_variables=False, clients=())
    return open_backend(loaded.model.lexsync.state, loaded.root, os.environ)


def existing_state(config: str | None, state_path: str | None) -> StateBackend:
    """The backend, for the commands that read or edit a state: one that does not exist yet
    is said to be missing, not shown as empty."""
    from lexsync.state.ops import require_existing

    return require_existing(state_backend(config, state_path))


@state.command("list")
@state_options
@click.argument("prefix", required=False)
@handle_errors
def state_list(config: str | None, state_path: str | None, prefix: str | None) -> None:
    """List the addresses in state."""
    from lexsync.state.ops import list_addresses

    # Lazily: the addresses, no record built (state/records.py).
    listed = list_addresses(existing_state(config, state_path).load(lazily=True), prefix)
    if listed:
        click.echo("\n".join(listed))  # one write: ~90,000 lines at 10,000 buyers


@state.command("show")
@state_options
@click.argument("address", required=False)
@handle_errors
def state_show(config: str | None, state_path: str | None, address: str | None) -> None:
    """Show one resource's remote IDs and last applied values; without ADDRESS, the state
    itself (lineage, serial, the LeadExec it describes)."""
    from lexsync.engine.endpoint import summary
    from lexsync.state.ops import show

    doc = existing_state(config, state_path).load(lazily=True)  # the one record built
    shown = show(doc, address) if address else summary(doc)
    click.echo(json.dumps(shown, indent=2, sort_keys=True))


@state.command("forget-endpoint")
@state_options
@handle_errors
def state_forget_endpoint(config: str | None, state_path: str | None) -> None:
    """Forget which LeadExec the state describes (same account, new URL or credentials); the
    next apply records the one it reaches."""
    backend = existing_state(config, state_path)
    with backend.lock("state forget-endpoint"):
        doc = backend.load(by_index=True)  # as `state rm`
        doc.endpoint = None
        backend.write(doc)
    click.echo("Forgot the state's LeadExec; the next apply records the one it reaches.")


@state.command("rm")
@state_options
@click.argument("addresses", metavar="ADDRESS...", nargs=-1, required=True)
@handle_errors
def state_rm(config: str | None, state_path: str | None, addresses: tuple[str, ...]) -> None:
    """Forget resources (and what is under each) without touching LeadExec: in one write,
    or none when state does not hold one of them."""
    from lexsync.state.ops import remove

    backend = existing_state(config, state_path)
    with backend.lock("state rm"):
        # By index: the records are read at their places, and the others written again as
        # their text there (state/record_index.py).
        doc = backend.load(by_index=True)
        removed = remove(doc, *addresses)
        backend.write(doc)
    for item in removed:
        click.echo(f"Removed {item}")


@state.command("resolve")
@state_options
@click.argument("address")
@click.option("--id", "remote_id", type=click.IntRange(min=1), help="The ID LeadExec shows for it.")
@click.option("--absent", is_flag=True, help="LeadExec does not have it: create it on the next apply.")
@handle_errors
def state_resolve(config: str | None, state_path: str | None, address: str,
                  remote_id: int | None, absent: bool) -> None:
    """Settle a create whose answer was lost (a delivery method LeadExec cannot show)."""
    from lexsync.state.ops import resolve_pending

    if (remote_id is None) == (not absent):
        raise LexsyncError("give exactly one of --id ID and --absent")
    backend = existing_state(config, state_path)
    with backend.lock("state resolve"):
        doc = backend.load(by_index=True)  # as `state rm`
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

    backend = existing_state(config, state_path)
    with backend.lock("state mv"):
        doc = backend.load(by_index=True)  # as `state rm`
        moved = move(doc, source, destination)
        backend.write(doc)
    for item in moved:
        click.echo(f"Moved {item}")


def _history_backend(backend: Any) -> Any:
    if not hasattr(backend, "history"):
        raise LexsyncError(
            f"state history needs the postgres backend; the local backend keeps no earlier "
            f"versions ({backend.path}.backup is a copy of the newest, for a damaged file)")
    return backend


@state.command("history")
@state_options
@click.option("-n", "--limit", default=None, type=click.IntRange(min=1), help="Newest N versions.")
@click.option("--json", "as_json", is_flag=True, help="Print the versions as JSON.")
@handle_errors
def state_history(config: str | None, state_path: str | None, limit: int | None,
                  as_json: bool) -> None:
    """List the stored versions of the state (postgres backend), newest first."""
    entries = _history_backend(state_backend(config, state_path)).history(limit)
    if as_json:
        click.echo(json.dumps([{
            "serial": e.serial, "lineage": e.lineage, "written_at": e.written_at.isoformat(),
            "written_by": e.written_by, "command": e.command, "resources": e.resources,
            "current": e.current} for e in entries], indent=2))
        return
    if not entries:
        click.echo("No stored versions.")
        return
    click.echo(f"{'SERIAL':>6}  {'WRITTEN (UTC)':<19}  {'RESOURCES':>9}  {'COMMAND':<14}  BY")
    for e in entries:
        when = e.written_at.astimezone().strftime("%Y-%m-%d %H:%M:%S") if e.written_at.tzinfo \
            else str(e.written_at)
        mark = "  (current)" if e.current else ""
        click.echo(f"{e.serial:>6}  {when:<19}  {e.resources:>9}  {e.command or '-':<14}  "
                   f"{e.written_by}{mark}")


@state.command("rollback")
@state_options
@click.argument("serial", required=False, type=int)
@click.option("--lock-timeout", default=0.0, type=float, help="Seconds to wait for the state lock.")
@handle_errors
def state_rollback(config: str | None, state_path: str | None, serial: int | None,
                   lock_timeout: float) -> None:
    """Make version SERIAL (default: the previous one) the current state again.

    The restored version is stored as a new serial, so saved plans made since are stale
    and the rollback itself can be rolled back. LeadExec is not touched: run plan next.
    """
    backend = _history_backend(state_backend(config, state_path))
    with backend.lock("state rollback", timeout=lock_timeout):
        restored, doc = backend.rollback(serial)
    click.echo(f"Restored the state of serial {restored} as serial {doc.serial} "
               f"({len(doc.resources)} resources). Run lexsync plan to see what differs "
               "in LeadExec.")


@state.command("migrate")
@click.option("-c", "--config", "config", metavar="PATH")
@click.option("--to", "to", required=True, type=click.Choice(["postgres", "local"]),
              help="Where to copy the state: postgres (from the local file) or local (from postgres).")
@click.option("--state", "state_path", metavar="FILE",
              help="The local state file (default: lexsync.state.path of the configuration).")
@click.option("--url", "url", metavar="URL", envvar="LEXSYNC_STATE_URL",
              help="Database URL (default: $LEXSYNC_STATE_URL, then lexsync.state.url).")
@click.option("--workspace", metavar="NAME", help="Postgres workspace (default: from the configuration).")
@click.option("--lock-timeout", default=0.0, type=float, help="Seconds to wait for each lock.")
@handle_errors
def state_migrate(config: str | None, to: str, state_path: str | None, url: str | None,
                  workspace: str | None, lock_timeout: float) -> None:
    """Copy the state between the local file and PostgreSQL.

    The destination must be empty or hold the same state already; the source is left in
    place. Afterwards point lexsync.state.backend (or LEXSYNC_STATE_URL) at the destination.
    """
    local, remote = _migration_ends(config, state_path, url, workspace)
    source, target = (local, remote) if to == "postgres" else (remote, local)
    from lexsync.state.factory import describe

    with source.lock("state migrate", timeout=lock_timeout), \
            target.lock("state migrate", timeout=lock_timeout):
        doc = source.load()
        if doc.serial == 0:
            raise LexsyncError(f"{describe(source)} holds no state; nothing to migrate")
        existing = target.load()
        if existing.serial != 0:
            if existing.lineage == doc.lineage and existing.content_digest() == doc.content_digest():
                click.echo(f"{describe(target)} already holds this state (serial "
                           f"{existing.serial}); nothing to do.")
                return
            raise LexsyncError(
                f"{describe(target)} already holds a state (lineage {existing.lineage}, serial "
                f"{existing.serial}); refusing to overwrite it. Use another workspace or "
                "remove it first.")
        written = target.write(doc)
    click.echo(f"Copied {len(doc.resources)} resources (lineage {doc.lineage}) from "
               f"{describe(source)} to {describe(target)}, now serial {written.serial}.")
    if to == "postgres":
        click.echo("Next: set lexsync.state.backend: postgres (with url: ${env:LEXSYNC_STATE_URL}) "
                   "or export LEXSYNC_STATE_URL, then run lexsync plan: it should show no changes.")
    else:
        click.echo("Next: set lexsync.state.backend: local and unset LEXSYNC_STATE_URL.")


def _migration_ends(config: str | None, state_path: str | None, url: str | None,
                    workspace: str | None) -> tuple[Any, Any]:
    """The local file and the postgres workspace a migration copies between."""
    from lexsync.state.factory import STATE_URL_ENV, postgres_backend
    from lexsync.state.local import LocalBackend

    settings: Any = None
    root = Path(".")
    if config or not state_path or not url:
        from lexsync.config.loader import load_configuration

        try:
            loaded = load_configuration(resolve_config_path(config))
        except LexsyncError:
            if config:
                raise
        else:
            settings, root = loaded.model.lexsync.state, loaded.root
    local_path = Path(state_path) if state_path else root / (settings.path if settings
                                                             else ".lexsync/state.json")
    url = url or (settings.url if settings else None)
    if not url:
        raise LexsyncError(f"state migrate needs the database URL: pass --url, set {STATE_URL_ENV} "
                           "or lexsync.state.url")
    environ = dict(os.environ)
    if workspace:
        environ["LEXSYNC_STATE_WORKSPACE"] = workspace
    return LocalBackend(local_path), postgres_backend(url, settings, environ)


@click.command("force-unlock")
@state_options
@click.argument("lock_id")
@click.option("--force", is_flag=True,
              help="Remove the lock even though its holder looks alive (its process holds the "
                   "lock file, or its database session is connected). Only when you are certain "
                   "that run can no longer change anything: two runs at once create duplicate "
                   "objects in LeadExec and orphans state does not record.")
@handle_errors
def force_unlock(config: str | None, state_path: str | None, lock_id: str, force: bool) -> None:
    """Remove the state lock LOCK_ID when its holder cannot release it.

    A killed run's lock is taken over by the next run without this. While the holder still
    runs this is refused unless --force.
    """
    click.echo(state_backend(config, state_path).force_unlock(lock_id, force=force))
