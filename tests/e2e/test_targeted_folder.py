"""`plan --target` in a folder of files: it reads the files holding what it names (and the
settings), says what it left out, and lints nothing; a full plan reads and lints it all."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Cli, Sandbox, config_text

BROKEN_ZETA = "clients:\n  zeta:\n    username: [unclosed\n"


@pytest.mark.e2e
def test_a_targeted_plan_reads_only_the_files_it_needs(cli: Cli, sandbox: Sandbox) -> None:
    cli.write(config_text("rest", price="0"))  # lint: an account that receives leads for nothing
    assert cli("apply", "--auto-approve").returncode == 0
    full = cli("plan", "--detailed-exitcode")
    assert full.returncode == 0 and "lint found" in full.stderr
    cli.write(BROKEN_ZETA, "zeta.yaml")
    targeted = cli("plan", "--detailed-exitcode", "--target", "client.acme")
    assert targeted.returncode == 0, targeted.stderr
    assert "No changes" in targeted.stdout
    assert "lint found" not in targeted.stderr
    assert "--target plans only what it names" in " ".join(targeted.stderr.split())
    assert "not read: 1 file holding only other clients" in " ".join(targeted.stderr.split())
    broken = cli("plan", "--detailed-exitcode")
    assert broken.returncode == 1 and "zeta.yaml" in broken.stderr
    assert cli("plan", "--target", "client.zeta").returncode == 1
