"""Team commands: state history, rollback and migrate, and the safety thresholds of apply."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from lexsync.errors import LexsyncError

# Percentage thresholds guard against wiping out a large account by mistake; below this many
# managed resources one ordinary change is already a large share, so only counts apply.
MIN_MANAGED_FOR_PERCENT = 10


@dataclass(frozen=True)
class Threshold:
    """A limit given as a count ("5") or a share of the managed resources ("10%")."""

    value: float
    percent: bool

    def exceeded(self, count: int, managed: int) -> bool:
        if self.percent:
            return managed >= MIN_MANAGED_FOR_PERCENT and count * 100 > self.value * managed
        return count > self.value

    def __str__(self) -> str:
        return f"{self.value:g}%" if self.percent else f"{self.value:g}"


class ThresholdType(click.ParamType):
    name = "N|N%"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Threshold:
        if isinstance(value, Threshold):
            return value
        text = str(value).strip()
        percent = text.endswith("%")
        try:
            number = float(text[:-1] if percent else text)
        except ValueError:
            self.fail(f"{value!r} is not a count (5) or a percentage (10%)", param, ctx)
        if number < 0 or (percent and number > 100):
            self.fail(f"{value!r} must be a count ≥ 0 or a percentage from 0% to 100%", param, ctx)
        return Threshold(number, percent)


THRESHOLD = ThresholdType()
DEFAULT_MAX_RETIRE = "10%"
DEFAULT_MAX_CHANGE = "30%"


def check_thresholds(plan: Any, *, max_retire: Threshold, max_change: Threshold, force: bool,
                     allow_retire: bool, interactive: bool) -> None:
    """Refuse a plan that retires or touches more than the limits, before any call is made."""
    actions = [c.action.value for c in plan.changes]
    managed = sum(1 for a in actions if a != "create")  # resources that exist before the apply
    retiring = actions.count("retire")
    touched = retiring + actions.count("update")
    problems = []
    if not force:
        if max_retire.exceeded(retiring, managed):
            problems.append(f"it retires {retiring} of {managed} managed resources "
                            f"(limit --max-retire {max_retire})")
        if max_change.exceeded(touched, managed):
            problems.append(f"it updates or retires {touched} of {managed} managed resources "
                            f"(limit --max-change {max_change})")
    clients = [c.address for c in plan.changes if c.action.value == "retire" and c.kind == "client"]
    if clients and not interactive and not allow_retire:
        problems.append("it retires client(s) " + ", ".join(clients)
                        + "; pass --allow-retire to retire clients in a non-interactive run")
    if problems:
        hint = " Raise the limit or pass --force if this is intended." if not force and any(
            "limit" in p for p in problems) else ""
        raise LexsyncError("apply refused: " + "; ".join(problems) + "." + hint
                           + " Nothing was changed.")


# --- state history / rollback / migrate -------------------------------------------------------
def _history_backend(backend: Any) -> Any:
    if not hasattr(backend, "history"):
        raise LexsyncError(
            f"state history needs the postgres backend; the local backend keeps only the previous "
            f"version, in {backend.path}.backup")
    return backend


def register(state_group: click.Group, backend_for: Any, handle_errors: Any,
             state_options: Any) -> None:
    """Add history, rollback and migrate to the `state` group."""

    @state_group.command("history")
    @state_options
    @click.option("-n", "--limit", default=None, type=click.IntRange(min=1), help="Newest N versions.")
    @click.option("--json", "as_json", is_flag=True, help="Print the versions as JSON.")
    @handle_errors
    def state_history(config: str | None, state_path: str | None, limit: int | None,
                      as_json: bool) -> None:
        """List the stored versions of the state (postgres backend), newest first."""
        entries = _history_backend(backend_for(config, state_path)).history(limit)
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

    @state_group.command("rollback")
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
        backend = _history_backend(backend_for(config, state_path))
        with backend.lock("state rollback", timeout=lock_timeout):
            restored, doc = backend.rollback(serial)
        click.echo(f"Restored the state of serial {restored} as serial {doc.serial} "
                   f"({len(doc.resources)} resources). Run lexsync plan to see what differs "
                   "in LeadExec.")

    @state_group.command("migrate")
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
    import os

    from lexsync.state.factory import STATE_URL_ENV, postgres_backend
    from lexsync.state.local import LocalBackend

    settings: Any = None
    root = Path(".")
    if config or not state_path or not url:
        from lexsync.cli.main import resolve_config_path
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
