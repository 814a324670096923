"""The shipped examples' routing tests pass and their lint has no errors, through the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ENV = {**os.environ, "NETWORK_PORTAL_PASSWORD": "x", "ACME_PORTAL_PASSWORD": "x",
       "LEXSYNC_STATE_URL": "postgresql://lexsync@127.0.0.1/unused", "NO_COLOR": "1"}


def lexsync(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lexsync.cli.main", *args], env=ENV,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("config,cases", [("insurance-network", 8), ("gitops/lexsync.yaml", 3)])
def test_example_routing_tests_pass(config: str, cases: int) -> None:
    result = lexsync("test", "-c", str(EXAMPLES / config))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{cases} passed, 0 failed." in result.stdout


@pytest.mark.parametrize("config", ["insurance-network", "gitops/lexsync.yaml", "quickstart/lexsync.yaml"])
def test_example_lint_has_no_errors(config: str) -> None:
    result = lexsync("lint", "-c", str(EXAMPLES / config))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "lint: 0 errors" in result.stdout


def test_gitops_pipeline_runs_lint_and_test_before_plan() -> None:
    workflow = (EXAMPLES / "gitops" / ".github" / "workflows" / "lexsync.yml").read_text()
    plan_job = workflow[workflow.index("  plan:"):workflow.index("  apply:")]
    assert plan_job.index("lexsync lint") < plan_job.index("lexsync test") < plan_job.index("lexsync plan")
