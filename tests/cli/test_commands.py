"""The smaller commands, run in-process against `--api sandbox`."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from lexsync.cli.main import main

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ACME_PORTAL_PASSWORD", "starter-pw")
    for name in ("LEADEXEC_API_KEY", "LEADEXEC_CLIENT_ID", "LEADEXEC_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_init_writes_a_starter_that_validates_and_applies(project: Path) -> None:
    result = run("init")
    assert result.exit_code == 0, result.output
    assert (project / "lexsync.schema.json").exists()
    assert "$schema=./lexsync.schema.json" in (project / "lexsync.yaml").read_text()
    assert run("validate").exit_code == 0
    applied = run("apply", "--api", "sandbox", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "Apply complete!" in applied.output
    again = run("plan", "--api", "sandbox", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    refused = run("init")
    assert refused.exit_code == 1 and "already exists" in refused.output


def test_schema_command_prints_the_checked_in_schema(project: Path) -> None:
    result = run("schema")
    assert result.exit_code == 0
    checked_in = json.loads((REPO / "schemas" / "lexsync.schema.json").read_text())
    assert json.loads(result.output) == checked_in


def test_state_commands(project: Path) -> None:
    run("init")
    assert run("apply", "--api", "sandbox", "--auto-approve").exit_code == 0
    listed = run("state", "list").output.split()
    assert "client.acme" in listed and any(a.startswith("client.acme.delivery_account.") for a in listed)
    shown = json.loads(run("state", "show", "client.acme").output)
    assert shown["remote_id"] > 0 and "starter-pw" not in json.dumps(shown)
    typo = run("state", "show", "client.acme2")
    assert typo.exit_code == 1 and "did you mean" in typo.output
    moved = run("state", "mv", "client.acme", "client.acme-renamed")
    assert moved.exit_code == 0, moved.output
    assert "client.acme-renamed" in run("state", "list").output
    removed = run("state", "rm", "client.acme-renamed")
    assert removed.exit_code == 0 and "Removed client.acme-renamed" in removed.output
    assert "client.acme" not in run("state", "list").output


def test_force_unlock_needs_the_lock_id(project: Path) -> None:
    from lexsync.state.local import LocalBackend

    run("init")
    backend = LocalBackend(project / ".lexsync" / "state.json")
    with backend.lock("apply") as info:
        blocked = run("apply", "--api", "sandbox", "--auto-approve")
        assert blocked.exit_code == 1 and info.id in blocked.output
        wrong = run("force-unlock", "not-the-id")
        assert wrong.exit_code == 1
        assert run("force-unlock", info.id).exit_code == 1  # its holder is alive
        assert run("force-unlock", "--force", info.id).exit_code == 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_sandbox_serve_answers_on_its_port(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "lexsync.cli.main", "sandbox", "serve", "--port", str(port),
         "--db", str(tmp_path / "sandbox.db")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy())
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/service.asmx/GetLeadTypes",
                                   params={"Key": "sandbox-key", "LeadTypeUID": 0})
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "sandbox did not start"
                time.sleep(0.2)
        assert answer.status_code == 200 and "Auto Insurance" in answer.text
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert (tmp_path / "sandbox.db").exists()


def test_sandbox_serve_rejects_a_bad_fault_rate() -> None:
    result = run("sandbox", "serve", "--fault-rate", "2")
    assert result.exit_code == 1 and "between 0 and 1" in result.output


def test_state_commands_read_only_the_settings_and_rm_takes_several(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A folder configuration: the state commands parse no file that holds only clients (so
    # one being edited, invalid for now, stops none of them), and `state rm` removes several
    # addresses in one write.
    import shutil

    monkeypatch.setenv("NETWORK_PORTAL_PASSWORD", "network-pw")
    for file in (REPO / "examples" / "insurance-network").glob("*.yaml"):
        shutil.copy(file, project / file.name)
    assert run("apply", "--api", "sandbox", "--auto-approve", "-c", ".").exit_code == 0
    serial = json.loads(run("state", "show", "-c", ".").output)["serial"]
    buyers = project / "auto-buyers.yaml"
    buyers.write_text(buyers.read_text().replace("status: Active", "status: Sleeping", 1))
    assert run("validate", "-c", ".").exit_code == 1  # the file is invalid indeed

    listed = run("state", "list", "-c", ".")
    assert listed.exit_code == 0, listed.output
    assert "client.summit-auto" in listed.output.split()
    removed = run("state", "rm", "client.summit-auto", "client.keystone-home", "-c", ".")
    assert removed.exit_code == 0, removed.output
    assert "Removed client.summit-auto\n" in removed.output
    assert "Removed client.keystone-home\n" in removed.output
    left = run("state", "list", "-c", ".").output.split()
    assert not any(a.startswith(("client.summit-auto", "client.keystone-home")) for a in left)
    assert json.loads(run("state", "show", "-c", ".").output)["serial"] == serial + 1
    refused = run("state", "rm", "client.bayview-property", "client.nobody", "-c", ".")
    assert refused.exit_code == 1 and "no resource client.nobody in state" in refused.output
    assert "client.bayview-property" in run("state", "list", "-c", ".").output.split()


def test_doctor_reads_only_the_settings_of_a_folder(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The route to LeadExec needs the `lexsync:` block: not the clients' secrets, nor clients
    # that are valid (one being edited stops no check of the route).
    import shutil

    monkeypatch.delenv("NETWORK_PORTAL_PASSWORD", raising=False)
    for file in (REPO / "examples" / "insurance-network").glob("*.yaml"):
        shutil.copy(file, project / file.name)
    buyers = project / "auto-buyers.yaml"
    buyers.write_text(buyers.read_text().replace("status: Active", "status: Sleeping", 1))
    checked = run("doctor", "--api", "sandbox", "-c", ".")
    assert checked.exit_code == 0, checked.output
    assert "Verdict: lexsync can work with this LeadExec" in checked.output
