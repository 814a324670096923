"""The lexsync command line. The only module that prints or exits."""

from __future__ import annotations

import click

from lexsync import __version__


@click.group()
@click.version_option(__version__, prog_name="lexsync")
def main() -> None:
    """Declarative configuration-as-code for LeadExec."""
