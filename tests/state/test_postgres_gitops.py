"""The team workflow through the real CLI: postgres state, racing applies, saved plans,
migrate, history and rollback, the markdown plan and apply's safety thresholds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

from lexsync.cli.thresholds import Threshold, check_thresholds
from lexsync.engine.plan import Action, Plan, ResourceChange
from lexsync.errors import LexsyncError
from tests.e2e import conftest as e2e
from tests.e2e.conftest import PORTAL_PASSWORD, Cli, Sandbox, config_text
from tests.state.postgres_server import postgres_url

# The e2e harness: the real CLI in a subprocess, the sandbox on a real socket.
sandbox_url = e2e.sandbox_url
sandbox = e2e.sandbox
cli = e2e.cli


@pytest.fixture
def pg_cli(cli: Cli) -> Cli:
    """The CLI with state in a fresh postgres workspace, chosen by the environment."""
    cli.env["LEXSYNC_STATE_URL"] = postgres_url()
    cli.env["LEXSYNC_STATE_WORKSPACE"] = f"e2e-{uuid.uuid4().hex[:12]}"
    return cli


def _start(cli: Cli, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "lexsync.cli.main", *args, "--api", cli.url],
                            cwd=cli.directory, env=cli.env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _count(sandbox: Sandbox, table: str) -> int:
    return len(sandbox.dump()[table])


def test_two_applies_started_together_never_both_write(pg_cli: Cli, sandbox: Sandbox) -> None:
    pg_cli.write(config_text("rest"))
    sandbox.faults(latency_ms=100)  # every call slow, so the two runs overlap
    try:
        runs = [_start(pg_cli, "apply", "--auto-approve") for _ in range(2)]
        results = [(p.wait(120), *p.communicate()) for p in runs]
    finally:
        sandbox.faults(latency_ms=0)
    done = [r for r in results if r[0] == 0]
    assert len(done) >= 1, results
    for code, out, err in results:
        if code != 0:  # the loser is refused with the holder's details, before any call
            assert "is locked" in err and "Command: apply" in err, err
            # The holder runs on this machine and is alive: wait, do not break its lock.
            assert "still running" in err and "force-unlock" not in err, err
        elif "created" not in out:
            assert "No changes" in out  # or it ran after the winner and found nothing to do
    assert sum("5 created" in r[1] for r in results) == 1
    assert (_count(sandbox, "clients"), _count(sandbox, "accounts")) == (1, 2)
    assert pg_cli("plan", "--detailed-exitcode").returncode == 0


def test_apply_waits_for_the_lock_with_lock_timeout(pg_cli: Cli, sandbox: Sandbox) -> None:
    pg_cli.write(config_text("rest"))
    sandbox.faults(latency_ms=100)
    try:
        # Whichever comes second waits, then finds nothing left to do.
        runs = [_start(pg_cli, "apply", "--auto-approve", "--lock-timeout", "60") for _ in range(2)]
        results = [(p.wait(120), *p.communicate()) for p in runs]
    finally:
        sandbox.faults(latency_ms=0)
    assert [r[0] for r in results] == [0, 0], results
    assert sum("5 created" in r[1] for r in results) == 1
    assert _count(sandbox, "clients") == 1


def test_saved_plan_with_postgres_state_applies_exactly_and_refuses_when_stale(
        pg_cli: Cli, sandbox: Sandbox) -> None:
    pg_cli.write(config_text("rest"))
    assert pg_cli("plan", "--out", "first.plan").returncode == 0
    applied = pg_cli("apply", "first.plan")
    assert applied.returncode == 0, applied.stderr
    assert "5 created" in applied.stdout
    pg_cli.write(config_text("rest", price="40"))
    assert pg_cli("plan", "--out", "second.plan").returncode == 0
    pg_cli.write(config_text("rest", price="41"))
    assert pg_cli("apply", "--auto-approve").returncode == 0  # state moves on
    sandbox.reset_requests()
    stale = pg_cli("apply", "second.plan")
    assert stale.returncode == 1 and "saved plan is stale" in stale.stderr
    assert "serial" in stale.stderr and "Traceback" not in stale.stderr
    assert sandbox.writes() == {}


def test_migrate_history_rollback_and_force_unlock(cli: Cli, sandbox: Sandbox) -> None:
    url, workspace = postgres_url(), f"mig-{uuid.uuid4().hex[:12]}"
    cli.write(config_text("rest"))
    assert cli("apply", "--auto-approve").returncode == 0  # local state
    moved = cli("state", "migrate", "--to", "postgres", "--url", url, "--workspace", workspace)
    assert moved.returncode == 0, moved.stderr
    assert "Copied 5 resources" in moved.stdout
    again = cli("state", "migrate", "--to", "postgres", "--url", url, "--workspace", workspace)
    assert "already holds this state" in again.stdout
    cli.env.update(LEXSYNC_STATE_URL=url, LEXSYNC_STATE_WORKSPACE=workspace)
    assert cli("plan", "--detailed-exitcode").returncode == 0
    cli.write(config_text("rest", with_second_account=False))
    refused = cli("apply", "--auto-approve", "--max-retire", "0")
    assert refused.returncode == 1
    assert "apply refused: it retires 1 of 5 managed resources" in refused.stderr
    assert cli("apply", "--auto-approve", "--max-retire", "0", "--force").returncode == 0
    history = cli("state", "history")
    assert history.returncode == 0, history.stderr
    lines = history.stdout.splitlines()
    assert lines[1].endswith("(current)") and "apply" in lines[1]
    current, previous = int(lines[1].split()[0]), int(lines[2].split()[0])
    assert previous == current - 1 and "state migrate" in lines[2]
    rolled = cli("state", "rollback")
    assert rolled.returncode == 0, rolled.stderr
    assert (f"Restored the state of serial {previous} as serial {current + 1} (5 resources)"
            in rolled.stdout)
    back = cli("state", "migrate", "--to", "local", "--state", "back.json")
    assert back.returncode == 0, back.stderr
    assert "acme-tx" in (cli.directory / "back.json").read_text()
    # A lock left by a run that cannot release it.
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from lexsync.state.postgres import PostgresBackend;"
         "b = PostgresBackend(sys.argv[1], sys.argv[2]);"
         "l = b.lock('apply'); i = l.__enter__(); print(i.id, flush=True); time.sleep(120)",
         url, workspace], cwd=cli.directory, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        lock_id = holder.stdout.readline().strip()
        blocked = cli("state", "rm", "client.acme.delivery_account.acme-ca")
        assert blocked.returncode == 1 and f"Lock ID: {lock_id}" in blocked.stderr
        refused = cli("force-unlock", lock_id)
        assert refused.returncode == 1 and "still running" in refused.stderr
        unlocked = cli("force-unlock", "--force", lock_id)
        assert unlocked.returncode == 0, unlocked.stderr
        # The holder's database session is ended, so its lock is gone although it still runs.
        removed = cli("state", "rm", "client.acme.delivery_account.acme-ca")
        assert removed.returncode == 0, removed.stderr
    finally:
        holder.kill()


def test_history_needs_postgres(cli: Cli) -> None:
    cli.write(config_text("rest"))
    result = cli("state", "history")
    assert result.returncode == 1 and "needs the postgres backend" in result.stderr
    assert "Traceback" not in result.stderr


def test_markdown_plan_for_a_pull_request(cli: Cli) -> None:
    cli.write(config_text("rest"))
    result = cli("plan", "--format", "markdown", "--out", "pr.plan")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("## lexsync plan")
    assert "<details>" in result.stdout and "| Create | 5 |" in result.stdout
    assert PORTAL_PASSWORD not in result.stdout and "(sensitive)" in result.stdout
    assert "Saved the plan" not in result.stdout  # the comment holds only the plan
    assert (cli.directory / "pr.plan").exists()
    as_json = cli("plan", "--json")
    assert as_json.returncode == 0 and as_json.stdout.lstrip().startswith("{")
    conflict = cli("plan", "--json", "--format", "markdown")
    assert conflict.returncode == 1 and "--json contradicts --format markdown" in conflict.stderr


def test_client_retirement_needs_allow_retire_when_not_interactive(cli: Cli, sandbox: Sandbox) -> None:
    cli.write(config_text("rest"))
    assert cli("apply", "--auto-approve").returncode == 0
    cli.write("lexsync:\n  dialect: rest\nlead_types: [Auto Insurance]\n"
              "client_groups:\n  premium: {description: Premium buyers, display_order: 1}\n")
    sandbox.reset_requests()
    refused = cli("apply", "--auto-approve", "--max-retire", "100%", "--max-change", "100%")
    assert refused.returncode == 1 and "pass --allow-retire" in refused.stderr
    assert "client.acme" in refused.stderr and sandbox.writes() == {}
    allowed = cli("apply", "--auto-approve", "--allow-retire", "--force")
    assert allowed.returncode == 0, allowed.stderr


def _plan(**counts: int) -> Plan:
    changes = [ResourceChange(address=f"client.c{action}{n}", kind="delivery_account",
                              action=Action(action.replace("noop", "no-op")), call="")
               for action, count in counts.items() for n in range(count)]
    return Plan(changes=changes, dialect="rest", state_lineage="x", state_serial=1,
                live_digest="", desired_digest="")


def _check(plan: Plan, retire: str = "10%", change: str = "30%", force: bool = False) -> None:
    def parse(text: str) -> Threshold:
        return Threshold(float(text.rstrip("%")), text.endswith("%"))

    check_thresholds(plan, max_retire=parse(retire), max_change=parse(change), force=force,
                     allow_retire=False, interactive=False)


def test_percentage_thresholds() -> None:
    _check(_plan(noop=18, retire=2))  # 10% of 20 is allowed
    with pytest.raises(LexsyncError, match="retires 3 of 20 managed resources"):
        _check(_plan(noop=17, retire=3))
    _check(_plan(noop=17, retire=3), force=True)
    with pytest.raises(LexsyncError, match="updates or retires 7 of 20"):
        _check(_plan(noop=13, update=7))
    _check(_plan(noop=14, update=6, create=50))  # creates do not count
    _check(_plan(noop=3, retire=2))  # too few managed resources for a share to mean much
    with pytest.raises(LexsyncError, match=r"limit --max-retire 1\)"):
        _check(_plan(noop=3, retire=2), retire="1")


def test_killed_apply_releases_the_lock_and_the_next_apply_finishes(pg_cli: Cli, sandbox: Sandbox) -> None:
    pg_cli.write(config_text("rest"))
    sandbox.faults(latency_ms=300)
    try:
        victim = _start(pg_cli, "apply", "--auto-approve")
        deadline = time.monotonic() + 60
        while not sandbox.writes() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sandbox.writes(), "the apply never reached its first write"
        os.kill(victim.pid, signal.SIGKILL)
        victim.communicate(timeout=10)
    finally:
        sandbox.faults(latency_ms=0)
    # PostgreSQL ended the killed run's session, so its lock is gone; the state it left is
    # valid and the next apply finishes the work without duplicates.
    finished = pg_cli("apply", "--auto-approve", "--lock-timeout", "10")
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "is locked" not in finished.stderr
    assert pg_cli("plan", "--detailed-exitcode").returncode == 0
    assert (_count(sandbox, "clients"), _count(sandbox, "accounts")) == (1, 2)
