"""`lexsync import`: adopt an existing LeadExec account, or one live object."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from lexsync.cli.common import config_option, console, handle_errors, session_for
from lexsync.errors import LexsyncError

if TYPE_CHECKING:
    import httpx


def _api_opener(settings: Any, api: str | None, root: Path) -> tuple[Any, Any]:
    """How to reach LeadExec for `import --out`, which has no loaded configuration to ask,
    and the endpoint state is checked against."""
    from lexsync.api.client import LeadExecApi
    from lexsync.api.settings import ApiSettings
    from lexsync.engine.session import DEFAULT_API_URL

    transport: httpx.AsyncBaseTransport | None = None
    url = api
    defaults: dict[str, str] = {}
    if api == "sandbox":
        from lexsync.cli.sandbox_mode import in_process_sandbox

        transport, url, defaults = in_process_sandbox(root)
    creds = settings.credentials
    values = {key: os.environ.get(env) or defaults.get(key)
              for key, env in (("api_key", creds.api_key_env), ("client_id", creds.client_id_env),
                               ("client_secret", creds.client_secret_env))}
    needed = ["api_key"] + (["client_id", "client_secret"] if settings.dialect == "rest" else [])
    missing = [getattr(creds, f"{key}_env") for key in needed if not values[key]]
    if missing:
        raise LexsyncError("missing LeadExec credentials: set " + ", ".join(missing)
                           + " in the environment (credentials are never read from the command line)")
    api_settings = ApiSettings(
        base_url=url or settings.api_url or DEFAULT_API_URL, dialect=settings.dialect,
        api_key=values["api_key"], client_id=values["client_id"], client_secret=values["client_secret"],
        namespace=settings.soap_namespace, parallelism=settings.parallelism,
        ca_bundle=settings.ca_bundle)
    from lexsync.engine.endpoint import Endpoint

    endpoint = Endpoint(api_settings.root, api_settings.api_key, api_settings.client_id)
    return (lambda: LeadExecApi(api_settings, transport=transport)), endpoint


@click.command("import")
@config_option
@click.argument("target", nargs=-1, metavar="[ADDRESS ID]")
@click.option("--out", "out", type=click.Path(file_okay=False), metavar="DIR",
              help="Write one YAML file per client, plus state, into DIR.")
@click.option("--client", "clients", multiple=True, metavar="NAME_OR_ID",
              help="Import this client: username, company, YAML key or ClientUID (repeatable).")
@click.option("--all", "everything", is_flag=True, help="Import every client and client group.")
@click.option("--dialect", type=click.Choice(["rest", "soap"]), default=None,
              help="Write dialect for a new lexsync.yaml (default rest; an existing one wins).")
@handle_errors
def import_command(config: str | None, api: str | None, state_path: str | None,
                   target: tuple[str, ...], out: str | None, clients: tuple[str, ...],
                   everything: bool, dialect: str | None) -> None:
    """Adopt what LeadExec already holds.

    \b
    lexsync import --out DIR --all            every client: YAML + state, next plan is empty
    lexsync import --out DIR --client acme    only these clients (repeatable)
    lexsync import ADDRESS ID                 one live object, for a resource already in the YAML
    """
    if target:
        if len(target) != 2 or not target[1].isdigit():
            raise LexsyncError("usage: lexsync import ADDRESS ID (for example: "
                               "lexsync import client.acme 1001)")
        if out or clients or everything:
            raise LexsyncError("lexsync import ADDRESS ID takes no --out, --client or --all")
        _adopt_one(config, api, state_path, target[0], int(target[1]))
        return
    if not out:
        raise LexsyncError("lexsync import needs --out DIR (or ADDRESS ID to adopt one object)")
    _import_account(Path(out), api, state_path, clients, everything, dialect)


def _adopt_one(config: str | None, api: str | None, state_path: str | None, address: str,
               remote_id: int) -> None:
    from lexsync.engine import aio
    from lexsync.engine.importer import adopt_one

    session = session_for(config, api, state_path)
    record = aio.run(adopt_one(session.loaded, session.backend, session.open_api, address, remote_id,
                               endpoint=session.endpoint()))
    click.echo(f"Imported {address} (ID {record.remote_id}) into state. "
               "Run lexsync plan to see how the YAML differs from it.")


def _import_account(out: Path, api: str | None, state_path: str | None, clients: tuple[str, ...],
                    everything: bool, dialect: str | None) -> None:
    from lexsync.engine import aio
    from lexsync.engine.importer import run_import, settings_in
    from lexsync.state.factory import open_backend

    settings, _has_settings = settings_in(out, dialect, os.environ)
    # The same backend plan and apply will use: a local file, or postgres for a team.
    backend = open_backend(settings.state, out, os.environ, Path(state_path) if state_path else None)
    opener, endpoint = _api_opener(settings, api, out)
    result = aio.run(run_import(out, settings, backend, opener, clients=clients,
                                    everything=everything, write_settings=True,
                                    environ=os.environ, endpoint=endpoint))
    out_console = console()
    counts = result.counts
    out_console.print(f"Imported {counts['client']} clients, {counts['client_group']} client groups, "
                  f"{counts['delivery_method']} delivery methods, {counts['delivery_account']} delivery "
                  f"accounts into {out}.")
    for path in sorted(result.files):
        out_console.print(f"  wrote {path}")
    if result.unchanged:
        out_console.print(f"  {len(result.unchanged)} file(s) unchanged")
    where = getattr(backend, "path", None) or type(backend).__name__
    out_console.print(f"  state: {where}")
    if result.env_vars:
        out_console.print("\nSecrets were not written into the YAML. Set these variables before plan or apply:")
        for name, what in sorted(result.env_vars.items()):
            out_console.print(f"  {name}  ({what})")
    for note in result.notes:
        out_console.print(f"\nNote: {note}")
    if result.unknown:
        out_console.print("\nLeadExec cannot show these values, so lexsync does not know them. Each "
                          "has a commented placeholder in the YAML; lexsync refuses to write an "
                          "object until its values are declared:")
        for line in result.unknown:
            out_console.print(f"  {line}")
    if result.residual:
        out_console.print("\n[yellow]Warning:[/] LeadExec holds values the YAML cannot express; the next "
                      "plan will show:", markup=True)
        for line in result.residual:
            out_console.print(f"  {line}")
    out_console.print(f"\nNext: set the variables above, then lexsync plan -c {out}")
