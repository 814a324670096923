"""Every shipped example plans, applies, and then plans with no changes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, Sandbox

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PASSWORDS = {"ACME_PORTAL_PASSWORD": "qs-pw-1", "NETWORK_PORTAL_PASSWORD": "net-pw-2"}


@pytest.mark.parametrize("example,config,resources", [
    ("quickstart", "lexsync.yaml", 4),
    ("insurance-network", ".", 47),
])
def test_example_converges(cli: Cli, sandbox: Sandbox, example: str, config: str, resources: int) -> None:
    # Not the state (and in-process sandbox) a local run of the demo leaves: another LeadExec.
    shutil.copytree(EXAMPLES / example, cli.directory / example,
                    ignore=shutil.ignore_patterns(".lexsync"))
    target = str(Path(example) / config)
    first = cli("plan", "-c", target, "--detailed-exitcode", env=PASSWORDS)
    assert first.returncode == 2, first.stdout + first.stderr
    assert f"Plan: {resources} to create, 0 to update, 0 to retire." in first.stdout
    applied = cli("apply", "-c", target, "--auto-approve", env=PASSWORDS)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert f"Resources: {resources} created" in applied.stdout
    second = cli("plan", "-c", target, "--detailed-exitcode", env=PASSWORDS)
    assert second.returncode == 0, second.stdout
    assert "No changes." in second.stdout
