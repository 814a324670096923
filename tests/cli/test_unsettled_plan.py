"""The real CLI against the sandbox on a socket: an apply killed while LeadExec saved a delivery
method but had not yet answered leaves a lost create no read can show. `lexsync plan` must
say so in every format, with the command that settles it, and exit 2 under
--detailed-exitcode; once settled as it says, the plan goes on from there."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from lexsync.sandbox.app import SandboxConfig
from tests.reliability.conftest import Box
from tests.reliability.harness import (
    cli_env,
    copy_example,
    kill_at_write,
    load_state,
    run,
    socket_sandbox,
)

METHOD = "client.acme.delivery_method.acme-post"
ACCOUNT = "client.acme.delivery_account.acme-ca"
METHOD_WRITE = 3  # quickstart writes its group, client, method, account in that order


@pytest.fixture(scope="module")
def box() -> Iterator[Box]:
    with socket_sandbox(SandboxConfig()) as served:
        sandbox = Box(*served)
        yield sandbox
        sandbox.http.close()


@pytest.fixture
def lost(box: Box, tmp_path: Path) -> Path:
    """quickstart, with its method's create committed and the apply killed before the answer."""
    box.http.post("/_sandbox/reset").raise_for_status()
    config = copy_example("quickstart", tmp_path)
    assert kill_at_write(box, config, METHOD_WRITE, "after")
    assert list(load_state(config).pending) == [METHOD]
    return config


def _method_ids(box: Box) -> list[int]:
    return [m["ClientDeliveryUID"] for m in box.dump()["methods"]]


def test_plan_lists_the_lost_create_in_every_format_and_exits_2(box: Box, lost: Path) -> None:
    text = run(box.url, lost, "plan", "--detailed-exitcode")
    assert text.returncode == 2, text.stdout + text.stderr
    out = text.stdout
    assert "No changes" not in out
    assert "1 lost create is unsettled (below)." in out
    assert f"  - {METHOD}: an earlier run sent this create and its answer was lost" in out
    assert f"if LeadExec has 'acme-post': lexsync state resolve {METHOD} --id ID" in out
    assert f"if LeadExec does not have it: lexsync state resolve {METHOD} --absent" in out

    markdown = run(box.url, lost, "plan", "--format", "markdown", "--detailed-exitcode")
    assert markdown.returncode == 2
    assert "> [!CAUTION]" in markdown.stdout
    assert f"`lexsync state resolve {METHOD} --id ID -c {lost}`" in markdown.stdout

    as_json = run(box.url, lost, "plan", "--json", "--detailed-exitcode")
    assert as_json.returncode == 2
    [item] = json.loads(as_json.stdout)["unsettled"]
    assert item["address"] == METHOD and item["kind"] == "delivery_method"
    assert "answer was lost" in item["reason"]
    # Runnable as printed: with the run's -c, so it finds the same state.
    assert [r["command"] for r in item["resolve"]] == [
        f"lexsync state resolve {METHOD} --id ID -c {lost}",
        f"lexsync state resolve {METHOD} --absent -c {lost}"]


def test_apply_stops_where_the_plan_said_and_resolving_as_it_says_converges(
        box: Box, lost: Path, tmp_path: Path) -> None:
    [saved] = _method_ids(box)  # LeadExec has it; no read shows it
    applied = run(box.url, lost, "apply", "--auto-approve")
    assert applied.returncode == 1
    assert f"lexsync state resolve {METHOD} --id ID" in applied.stdout + applied.stderr
    assert _method_ids(box) == [saved]  # not sent again

    planned = json.loads(run(box.url, lost, "plan", "--json").stdout)
    [item] = planned["unsettled"]
    command = item["resolve"][0]["command"].replace("--id ID", f"--id {saved}")
    resolved = subprocess.run([sys.executable, "-m", "lexsync.cli.main", *shlex.split(command)[1:]],
                              env=cli_env(), capture_output=True, text=True, timeout=60,
                              cwd=tmp_path)  # elsewhere: the command names its state itself
    assert resolved.returncode == 0, resolved.stdout + resolved.stderr
    after = run(box.url, lost, "plan", "--json", "--detailed-exitcode")
    assert after.returncode == 2  # the account is still to create
    data = json.loads(after.stdout)
    assert data["unsettled"] == []
    assert [(c["address"], c["change"]["actions"]) for c in data["resource_changes"]
            if c["change"]["actions"] != ["no-op"]] == [(ACCOUNT, ["create"])]
    assert run(box.url, lost, "apply", "--auto-approve").returncode == 0
    final = run(box.url, lost, "plan", "--detailed-exitcode")
    assert final.returncode == 0, final.stdout
    assert "No changes. LeadExec matches the configuration." in final.stdout
    assert _method_ids(box) == [saved]
