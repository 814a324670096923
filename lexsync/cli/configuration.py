"""`lexsync init`, `validate` and `schema`: the configuration's own commands (no LeadExec call)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from lexsync.cli.common import config_option, handle_errors, resolve_config_path
from lexsync.errors import LexsyncError


@click.command()
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


@click.command()
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
    from lexsync.cli.routing import warn_lint

    warn_lint(loaded)


@click.command()
@handle_errors
def schema() -> None:
    """Print the JSON Schema of the configuration (for editors)."""
    from lexsync.config.schema import generate_schema

    click.echo(json.dumps(generate_schema(), indent=2, sort_keys=True))
