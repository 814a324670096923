"""Partial failure keeps what succeeded and leaves only the remainder; a token that expires
mid-run is renewed without failing the run."""

from __future__ import annotations

import re
import subprocess
import threading
import time
from pathlib import Path

from tests.reliability.conftest import Box
from tests.reliability.harness import (
    EXAMPLE_SIZES,
    assert_converged,
    cli_env,
    command,
    copy_example,
    load_state,
    run,
)

BLOCKER = """lexsync: {dialect: rest}
clients:
  blocker: {status: Active, username: summit-auto-portal, password: blocker-pass-1}
"""


def test_partial_failure_records_successes_and_plans_only_the_rest(box: Box, tmp_path: Path) -> None:
    # Another client already holds summit-auto's username, so LeadExec refuses that create.
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "lexsync.yaml").write_text(BLOCKER, encoding="utf-8")
    assert run(box.url, blocker / "lexsync.yaml", "apply", "--auto-approve").returncode == 0
    config = copy_example("insurance-network", tmp_path)

    result = run(box.url, config, "apply", "--auto-approve")
    output = result.stdout + result.stderr
    assert result.returncode == 1 and "Traceback" not in output
    assert "Error: apply incomplete: 1 call failed" in output and "Apply complete!" not in output
    assert re.search(r"client\.summit-auto: .*failed", output)
    assert re.search(r"client\.summit-auto\.delivery_account\.\S+: not attempted: "
                     r".*client\.summit-auto", output)
    recorded = load_state(config).resources
    assert "client.summit-auto" not in recorded and "client.harbor-mutual" in recorded

    remainder = sum(EXAMPLE_SIZES["insurance-network"]) - len(recorded)
    plan = run(box.url, config, "plan")
    assert f"Plan: {remainder} to create, 0 to update, 0 to retire." in plan.stdout, plan.stdout
    assert "client.summit-auto" in plan.stdout and "client.harbor-mutual" not in plan.stdout

    [held] = [c for c in box.dump()["clients"] if c["Username"] == "summit-auto-portal"]
    box.http.post("/_sandbox/mutate", json={"table": "clients", "id": held["ClientUID"],
                                            "delete": True}).raise_for_status()
    assert run(box.url, config, "apply", "--auto-approve").returncode == 0
    assert_converged(box.url, config, box.dump(), "insurance-network")


def test_token_expiring_mid_run_is_renewed(box: Box, tmp_path: Path) -> None:
    config = copy_example("insurance-network", tmp_path)
    proc = subprocess.Popen(command(box.url, config, "apply", "--auto-approve"), env=cli_env(),
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def expire_after_some_writes() -> None:
        deadline = time.monotonic() + 60
        while box.writes() < 5 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        box.http.post("/_sandbox/tokens/expire").raise_for_status()

    expirer = threading.Thread(target=expire_after_some_writes)
    expirer.start()
    output, _ = proc.communicate(timeout=180)
    expirer.join()
    assert proc.returncode == 0, output
    assert box.requests()["token"] >= 2  # a second token was fetched after the first died
    assert_converged(box.url, config, box.dump(), "insurance-network")
