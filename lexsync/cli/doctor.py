"""`lexsync doctor`: check that lexsync can work with a LeadExec, and how it answers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from lexsync.cli.common import EXIT_ERROR, console, handle_errors
from lexsync.errors import LexsyncError

if TYPE_CHECKING:
    from lexsync.api.client import LeadExecApi
    from lexsync.engine.doctor import DoctorReport

STYLES = {"ok": "green", "fail": "bold red", "warn": "yellow", "info": "", "skip": "dim"}


@click.command()
@click.option("-c", "--config", "config", metavar="PATH",
              help="Configuration file or directory (default: ./lexsync.yaml if there is one).")
@click.option("--api", "api", metavar="URL|sandbox", envvar="LEXSYNC_API",
              help="LeadExec base URL, or 'sandbox' for the built-in in-process sandbox.")
@click.option("--state", "state_path", metavar="FILE", help="State file (for --write-probe).")
@click.option("--write-probe", is_flag=True,
              help="Measure the write behaviours with one dedicated probe client (created "
                   "Inactive, never delivered to, Closed at the end) and record them in state.")
@handle_errors
def doctor(config: str | None, api: str | None, state_path: str | None,
           write_probe: bool) -> None:
    """Check the route to LeadExec, both dialects' credentials and the shape of every read
    lexsync uses; exit 0 when lexsync can work with it, 1 when not. Read-only unless
    --write-probe."""
    from lexsync.engine import aio
    from lexsync.engine.doctor import diagnose
    from lexsync.engine.write_probe import measure

    settings, root = _settings(config)
    api_settings, transport = _api_settings(settings, root, api)
    from lexsync.api.behaviour import WireBehaviour
    from lexsync.state.factory import state_exists

    backend = _backend(settings, root, state_path)
    state = backend.load() if state_exists(backend) else None

    known = WireBehaviour.from_state(state.wire if state is not None else None)

    def rest_api() -> LeadExecApi | None:
        from dataclasses import replace

        from lexsync.api.client import LeadExecApi

        if not api_settings.client_id or not api_settings.client_secret:
            return None
        return LeadExecApi(replace(api_settings, dialect="rest"), transport=transport)

    async def probe(api_obj: LeadExecApi, report: DoctorReport) -> None:
        await measure(api_obj, report, rest_api)

    report = aio.run(diagnose(api_settings, known=known, transport=transport,
                              probe=probe if write_probe else None))
    _render(report)
    if write_probe and report.measured is not None and report.measured.findings:
        with backend.lock("doctor"):
            state = backend.load()
            behaviour = WireBehaviour.from_state(state.wire)
            for name in [n for n in behaviour.findings if n.startswith("ignored.")]:
                behaviour.forget(name)  # what was measured now supersedes what an apply saw
            behaviour.findings.update(report.measured.findings)
            state.wire = behaviour.to_state()
            backend.write(state)
        console().print("\nRecorded in state: plans and applies now rely on these measured "
                        "behaviours, and the plan says so.")
    if not report.ok:
        raise SystemExit(EXIT_ERROR)


def _settings(config: str | None) -> tuple[Any, Path]:
    """The configuration's `lexsync:` block and root, or the defaults without one."""
    from lexsync.config.loader import discover
    from lexsync.config.models import Settings

    # Without -c, the configuration plan would read: the folder's lexsync files.
    path = Path(config) if config else discover(Path("."))
    if path is None:
        return Settings(), Path.cwd()
    if not path.exists():
        raise LexsyncError(f"configuration {path} does not exist")
    from lexsync.config.loader import load_configuration

    # The settings only: a file that holds only clients is not parsed (config/scan.py).
    loaded = load_configuration(path, os.environ, clients=())
    return loaded.model.lexsync, loaded.root


def _api_settings(settings: Any, root: Path, api: str | None) -> tuple[Any, Any]:
    from lexsync.api.settings import ApiSettings
    from lexsync.engine.session import DEFAULT_API_URL

    defaults: dict[str, str] = {}
    transport = None
    url = api or settings.api_url or DEFAULT_API_URL
    if api == "sandbox":
        from lexsync.cli.sandbox_mode import in_process_sandbox

        transport, url, defaults = in_process_sandbox(root)
    creds = settings.credentials

    def credential(env_name: str, key: str) -> str | None:
        return os.environ.get(env_name) or defaults.get(key)

    return ApiSettings(
        base_url=url, dialect=settings.dialect,
        api_key=credential(creds.api_key_env, "api_key"),
        client_id=credential(creds.client_id_env, "client_id"),
        client_secret=credential(creds.client_secret_env, "client_secret"),
        namespace=settings.soap_namespace, parallelism=settings.parallelism,
        ca_bundle=settings.ca_bundle), transport


def _backend(settings: Any, root: Path, state_path: str | None) -> Any:
    from lexsync.state.factory import open_backend

    return open_backend(settings.state, root, os.environ,
                        Path(state_path) if state_path else None)


def _render(report: DoctorReport) -> None:
    from rich.table import Table
    from rich.text import Text

    out = console()
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("check")
    table.add_column("")
    table.add_column("detail", overflow="fold")
    for row in report.rows:
        table.add_row(Text(row.check), Text(row.status, style=STYLES.get(row.status, "")),
                      Text(row.detail))
    out.print(table)
    if report.lead_types:
        out.print("\nLead types and their fields:")
        for name, fields in report.lead_types.items():
            out.print(f"  {name}: {', '.join(fields) if fields else '(no fields)'}")
    if report.ok:
        out.print("\nVerdict: lexsync can work with this LeadExec. Next: lexsync plan",
                  style="bold green")
    else:
        out.print("\nVerdict: lexsync cannot work with this LeadExec yet: see the failures "
                  "above.", style="bold red")
