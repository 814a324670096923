"""`lexsync import`: adopt an existing LeadExec account, or one live object."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from lexsync.cli.common import (
    api_source,
    config_option,
    console,
    counted,
    handle_errors,
    session_for,
    warn,
)
from lexsync.errors import LexsyncError

if TYPE_CHECKING:
    import httpx


def _api_opener(settings: Any, api: str | None, source: str, database: Path | None,
                out: Path) -> tuple[Any, Any, str]:
    """How to reach LeadExec for `import --out`, which has no loaded configuration to ask,
    the endpoint state is checked against, and where that is, in words."""
    from lexsync.api.client import LeadExecApi
    from lexsync.api.settings import ApiSettings
    from lexsync.engine.endpoint import Endpoint
    from lexsync.engine.session import (
        DEFAULT_API_URL,
        check_api_url,
        credentials_for,
        display_path,
        sandbox_url,
    )

    transport: httpx.AsyncBaseTransport | None = None
    defaults: dict[str, str] = {}
    if database is not None:
        from lexsync.cli.sandbox_mode import in_process_sandbox

        transport, url, defaults = in_process_sandbox(database)
        source, where = "--api sandbox", f"the sandbox at {display_path(database)}"
    else:
        url = api or settings.api_url or DEFAULT_API_URL
        source = source if api else ("lexsync.api_url in the configuration" if settings.api_url
                                     else "the default")
        where = f"LeadExec at {url}"
    check_api_url(url, source)
    api_key, client_id, client_secret = credentials_for(settings, os.environ, defaults, url, source)
    api_settings = ApiSettings(
        base_url=url, dialect=settings.dialect,
        api_key=api_key, client_id=client_id, client_secret=client_secret,
        namespace=settings.soap_namespace, parallelism=settings.parallelism,
        ca_bundle=settings.ca_bundle)
    # State records a sandbox by its database, seen from the folder it describes.
    recorded = sandbox_url(database, out) if database is not None else api_settings.root
    endpoint = Endpoint(recorded, api_settings.api_key, api_settings.client_id)
    return (lambda: LeadExecApi(api_settings, transport=transport)), endpoint, where


def _sandbox_to_import(config: str | None) -> Path:
    """`--api sandbox` for import: the sandbox of the configuration -c names, else of the
    current folder (the one its state was made against, else its .lexsync/sandbox.db)."""
    from lexsync.engine.importer import settings_in
    from lexsync.engine.session import sandbox_location
    from lexsync.state.factory import open_backend, state_exists

    root = Path(config) if config else Path(".")
    if not root.is_dir():
        root = root.parent
    recorded = None
    try:
        settings, _ = settings_in(root, None, os.environ)
        backend = open_backend(settings.state, root, os.environ)
        if state_exists(backend):
            recorded = backend.load(lazily=True).endpoint  # one field: no record parsed
    except LexsyncError:
        pass  # no usable configuration there: the sandbox beside it
    return sandbox_location(root, recorded)[1]


@click.command("import")
@config_option
@click.argument("target", nargs=-1, metavar="[ADDRESS ID]")
@click.option("--out", "out", type=click.Path(file_okay=False), metavar="DIR",
              help="Write one YAML file per client, plus state, into DIR.")
@click.option("--client", "clients", multiple=True, metavar="NAME_OR_ID",
              help="Import this client: its ClientUID, YAML key, username or company, looked "
                   "for in that order (repeatable).")
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
    _import_account(Path(out), config, api, state_path, clients, everything, dialect)


def _adopt_one(config: str | None, api: str | None, state_path: str | None, address: str,
               remote_id: int) -> None:
    from lexsync.engine import aio
    from lexsync.engine.importer import adopt_one

    # Loaded as `plan --target ADDRESS` loads it: only the files that may hold its client.
    session = session_for(config, api, state_path, targets=(_top_level(address),))
    record = aio.run(adopt_one(session.loaded, session.backend, session.open_api, address, remote_id,
                               endpoint=session.endpoint()))
    click.echo(f"Imported {address} (ID {record.remote_id}) into state. "
               "Run lexsync plan to see how the YAML differs from it.")


def _top_level(address: str) -> str:
    """client.acme.delivery_account.x → client.acme (what a targeted load reads)."""
    return ".".join(address.split(".")[:2])


def _import_account(out: Path, config: str | None, api: str | None, state_path: str | None,
                    clients: tuple[str, ...], everything: bool, dialect: str | None) -> None:
    from lexsync.engine import aio
    from lexsync.engine.importer import run_import, settings_in
    from lexsync.engine.session import display_path
    from lexsync.state.factory import open_backend

    if api and api != "sandbox":
        from lexsync.engine.session import check_api_url

        check_api_url(api, api_source(api))
    if not (clients or everything):
        raise LexsyncError("say what to import: --all, or --client NAME_OR_ID (repeatable)")
    database = _sandbox_to_import(config) if api == "sandbox" else None
    if database is not None and not database.exists():
        where = f"-c {config}" if config else "the current folder"
        warn(f"nothing was imported: there is no sandbox at {display_path(database)}. --api "
             f"sandbox reads the sandbox of the configuration in {where}, made by its first "
             "lexsync apply --api sandbox; pass -c for the configuration whose sandbox you mean")
        return
    settings, _has_settings = settings_in(out, dialect, os.environ)
    # The same backend plan and apply will use: a local file, or postgres for a team.
    backend = open_backend(settings.state, out, os.environ, Path(state_path) if state_path else None)
    opener, endpoint, where = _api_opener(settings, api if api != "sandbox" else None,
                                          api_source(api), database, out)
    result = aio.run(run_import(out, settings, backend, opener, clients=clients,
                                    everything=everything, write_settings=True,
                                    environ=os.environ, endpoint=endpoint))
    out_console = console()
    counts = result.counts
    out_console.print(f"Imported {counted(counts['client'], 'client')}, "
                      f"{counted(counts['client_group'], 'client group')}, "
                      f"{counted(counts['delivery_method'], 'delivery method')}, "
                      f"{counted(counts['delivery_account'], 'delivery account')} from {where} "
                      f"into {out}.", markup=False)
    for path in sorted(result.files):
        out_console.print(f"  wrote {path}", markup=False)
    if result.unchanged:
        out_console.print(f"  {len(result.unchanged)} file(s) unchanged")
    state_where = getattr(backend, "path", None) or type(backend).__name__
    out_console.print(f"  state: {state_where}", markup=False)
    if result.env_vars:
        out_console.print("\nSecrets were not written into the YAML. Set these variables before plan or apply:")
        for name, what in sorted(result.env_vars.items()):
            out_console.print(f"  {name}  ({what})", markup=False)
    for note in result.notes:
        out_console.print(f"\nNote: {note}", markup=False)
    if result.unknown:
        out_console.print("\nLeadExec cannot show these values, so lexsync does not know them. Each "
                          "has a commented placeholder in the YAML; lexsync refuses to write an "
                          "object until its values are declared:")
        for line in result.unknown:
            out_console.print(f"  {line}", markup=False)
    if result.residual:
        out_console.print("\n[yellow]Warning:[/] LeadExec holds values the YAML cannot express; the next "
                      "plan will show:", markup=True)
        for line in result.residual:
            out_console.print(f"  {line}", markup=False)
    if not any(counts.values()):
        hint = (" (a sandbox holds what was applied to it: pass -c for the configuration whose "
                "sandbox you mean)") if database is not None else ""
        warn(f"nothing was imported: {where} holds no clients or client groups{hint}")
        return
    plan_command = f"lexsync plan -c {out}" + (f" --api {api}" if api else "")
    first = "set the variables above, then " if result.env_vars else ""
    out_console.print(f"\nNext: {first}{plan_command} (or cd {out} && "
                      f"{plan_command.replace(f' -c {out}', '')})", markup=False)
