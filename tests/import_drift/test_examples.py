"""examples/drift: the scheduled check fails loudly on drift, and its CI files are valid YAML."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.e2e.conftest import Cli, Sandbox, config_text

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "drift"


@pytest.mark.e2e
def test_drift_check_script_exits_2_and_prints_the_report(cli: Cli, sandbox: Sandbox) -> None:
    cli.write(config_text("rest"))
    assert cli("apply", "--auto-approve").returncode == 0
    env = {**cli.env, "LEXSYNC_API": cli.url, "LEXSYNC_ENV_FILE": "/nonexistent"}

    def check() -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(EXAMPLES / "drift-check.sh")], cwd=cli.directory, env=env,
                              capture_output=True, text=True, timeout=120)

    quiet = check()
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, quiet.stdout, "")
    [account] = [a for a in sandbox.dump()["accounts"] if a["Description"] == "acme-ca"]
    sandbox.mutate("accounts", account["ClientAccountUID"], Price=1)
    loud = check()
    assert loud.returncode == 2
    assert "LeadExec DRIFT" in loud.stderr and "| `price` | 25 | 1 | 25 |" in loud.stderr


@pytest.mark.parametrize("name", ["github-actions-drift.yml", "gitlab-ci-drift.yml"])
def test_ci_files_parse(name: str) -> None:
    data = YAML(typ="safe").load((EXAMPLES / name).read_text())
    assert "lexsync drift" in str(data)
