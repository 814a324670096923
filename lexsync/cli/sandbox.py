"""`lexsync sandbox serve`: the built-in LeadExec-compatible sandbox on a socket."""

from __future__ import annotations

import click

from lexsync.cli.common import handle_errors
from lexsync.errors import LexsyncError


@click.group()
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
@click.option("--profile", default="today", show_default=True,
              help="Behaviour profile: today, literal, xmlserializer or sparse (docs/sandbox.md).")
@click.option("--set", "settings", multiple=True, metavar="SETTING=VALUE",
              help="One behaviour setting, over the profile's (repeatable), e.g. soap_ids=none.")
@handle_errors
def sandbox_serve(host: str, port: int, db: str, latency_ms: int, latency_jitter_ms: int,
                  fault_rate: float, seed: int | None, profile: str,
                  settings: tuple[str, ...]) -> None:
    """Run the sandbox under uvicorn."""
    from lexsync.sandbox.app import SandboxConfig
    from lexsync.sandbox.profiles import SETTINGS
    from lexsync.sandbox.server import serve

    if not 0 <= fault_rate <= 1:
        raise LexsyncError("--fault-rate must be between 0 and 1")
    chosen: dict[str, str] = {}
    for item in settings:
        name, _, value = item.partition("=")
        if name not in SETTINGS or not value:
            raise LexsyncError(f"--set {item!r}: use SETTING=VALUE with a setting of "
                               + ", ".join(SETTINGS))
        chosen[name] = value
    try:
        config = SandboxConfig.for_profile(
            profile, db_path=db, latency_ms=latency_ms, latency_jitter_ms=latency_jitter_ms,
            fault_rate=fault_rate, seed=seed, **chosen)
    except ValueError as exc:
        raise LexsyncError(str(exc)) from None
    click.echo(f"lexsync sandbox on http://{host}:{port} (db {db}, profile {profile}); "
               "credentials: LEADEXEC_API_KEY=sandbox-key LEADEXEC_CLIENT_ID=sandbox "
               "LEADEXEC_CLIENT_SECRET=sandbox-secret")
    serve(config, host=host, port=port)
