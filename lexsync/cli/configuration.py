"""`lexsync init`, `validate` and `schema`: the configuration's own commands (no LeadExec call)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import click

from lexsync.cli.common import (
    config_option,
    counted,
    handle_errors,
    resolve_config_path,
    warn_diagnostics,
)
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
    schema = target.parent / "lexsync.schema.json"
    schema.write_text(render_schema(), encoding="utf-8")
    click.echo(f"Wrote {target} and {schema}.")
    variables = list(dict.fromkeys(re.findall(r"\$\{env:([^}]+)\}", STARTER_CONFIG)))
    click.echo("Next:")
    if Path(directory) != Path("."):
        click.echo(f"  cd {shlex.quote(directory)}")
    for name in variables:
        click.echo(f"  export {name}=...".ljust(35) + "# a secret the starter reads from the environment")
    click.echo("  lexsync validate                 # checks the configuration, no LeadExec call")
    click.echo("  lexsync plan --api sandbox       # against the built-in sandbox, no account needed")
    click.echo("  For your LeadExec account: set LEADEXEC_API_KEY, LEADEXEC_CLIENT_ID and "
               "LEADEXEC_CLIENT_SECRET, then lexsync plan")


@click.command()
@config_option
@handle_errors
def validate(config: str | None, api: str | None, state_path: str | None) -> None:
    """Check the configuration (syntax, keys, types, references) without calling LeadExec."""
    from lexsync.config.loader import load_configuration

    loaded = load_configuration(resolve_config_path(config), need_variables=False)
    model = loaded.model
    accounts = sum(len(c.delivery_accounts) for c in model.clients.values())
    methods = sum(len(c.delivery_methods) for c in model.clients.values())
    click.echo(f"The configuration is valid: {counted(len(model.client_groups), 'client group')}, "
               f"{counted(len(model.clients), 'client')}, {counted(methods, 'delivery method')}, "
               f"{counted(accounts, 'delivery account')}.")
    warn_diagnostics(loaded.warnings)
    from lexsync.cli.routing import lint_findings, warn_lint

    warn_lint(lint_findings(loaded))


@click.command()
@handle_errors
def schema() -> None:
    """Print the JSON Schema of the configuration (for editors)."""
    from lexsync.config.schema import generate_schema

    click.echo(json.dumps(generate_schema(), indent=2, sort_keys=True))
