"""examples/gitops: its configuration converges on postgres state, and every lexsync command
its pipeline runs exists with the options it uses."""

from __future__ import annotations

import re
import shlex
import shutil
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from lexsync.cli.main import main
from tests.e2e import conftest as e2e
from tests.e2e.conftest import Cli, Sandbox
from tests.state.postgres_server import postgres_url

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "gitops"
WORKFLOW = EXAMPLE / ".github" / "workflows" / "lexsync.yml"

sandbox_url = e2e.sandbox_url
sandbox = e2e.sandbox
cli = e2e.cli


def test_gitops_example_converges_on_postgres_state(cli: Cli, sandbox: Sandbox) -> None:
    shutil.copytree(EXAMPLE, cli.directory / "gitops")
    env = {"ACME_PORTAL_PASSWORD": "gitops-pw", "LEXSYNC_STATE_URL": postgres_url(),
           "LEXSYNC_STATE_WORKSPACE": f"example-{uuid.uuid4().hex[:12]}"}
    config = "gitops/lexsync.yaml"
    planned = cli("plan", "-c", config, "--format", "markdown", "--out", "pr.plan", env=env)
    assert planned.returncode == 0, planned.stderr
    assert "| Create | 4 |" in planned.stdout
    applied = cli("apply", "-c", config, "pr.plan", env=env)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "4 created" in applied.stdout
    assert cli("plan", "-c", config, "--detailed-exitcode", env=env).returncode == 0
    history = cli("state", "history", "-c", config, env=env)
    assert history.returncode == 0 and "(current)" in history.stdout
    assert not (cli.directory / "gitops" / ".lexsync").exists()  # nothing went to a local file


def _lexsync_commands() -> list[list[str]]:
    workflow = YAML(typ="safe").load(WORKFLOW.read_text(encoding="utf-8"))
    commands = []
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            script = re.sub(r"\$\{\{.*?\}\}", "", step.get("run", ""))
            for line in script.splitlines():
                line = line.split(">")[0].strip()
                if line.startswith("lexsync "):
                    commands.append(shlex.split(line)[1:])
    return commands


def test_workflow_has_the_three_jobs() -> None:
    workflow = YAML(typ="safe").load(WORKFLOW.read_text(encoding="utf-8"))
    assert set(workflow["jobs"]) == {"plan", "apply", "drift"}
    commands = [c[0] for c in _lexsync_commands()]
    assert {"plan", "apply", "drift", "validate"} <= set(commands)


@pytest.mark.parametrize("args", _lexsync_commands(), ids=lambda a: " ".join(a))
def test_workflow_commands_parse(args: list[str]) -> None:
    # --help after the real options: click rejects unknown options before printing help.
    result = CliRunner().invoke(main, [*args, "--help"])
    assert result.exit_code == 0, result.output
