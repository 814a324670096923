"""A full run through the real CLI, with every debug log on, leaks no secret anywhere.

Every artefact is grepped for every secret value: terminal output and debug logs (httpx
and lexsync loggers at DEBUG), the saved plan, the JSON and markdown plans, the
state file, its backup and journal. State and plan files must be owner-only.
"""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from lexsync.sandbox.app import SandboxConfig
from tests.reliability.harness import cli_env, report, socket_sandbox

API_KEY = "apikey-Secret-3f9a1c"
CLIENT_SECRET = "clientsecret-Secret-77b2"
PORTAL = "portal-Secret-e41d"
SMTP = "smtp-Secret-0c5f"
FTP = "ftp-Secret-9a6b"

CONFIG = """lexsync:
  dialect: rest
lead_types: [Auto Insurance]
clients:
  acme:
    status: Active
    username: acme-secrets
    password: ${env:PORTAL_PW}
    delivery_methods:
      acme-mail:
        type: email
        lead_type: Auto Insurance
        email: {to: ops@acme.example, subject: New lead}
        smtp: {server: smtp.acme.example, auth: true, username: mailer, password: '${env:SMTP_PW}'}
      acme-ftp:
        type: ftp
        lead_type: Auto Insurance
        ftp: {user: uploader, password: '${env:FTP_PW}', path: /leads}
    delivery_accounts:
      acme-mail-account: {method: acme-mail, price: 10}
      acme-ftp-account: {method: acme-ftp, price: 11}
"""

# Runs the CLI with every logger at DEBUG on stderr, as someone chasing a problem would.
DEBUG_MAIN = ("import logging, sys; logging.basicConfig(level=logging.DEBUG, stream=sys.stderr); "
              "from lexsync.cli.main import main; sys.argv[0] = 'lexsync'; main()")


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, list[str]]]:
    config = SandboxConfig(api_key=API_KEY, client_secret=CLIENT_SECRET,
                           token_ttl_seconds=3)  # short: tokens are renewed mid-run
    with socket_sandbox(config) as (url, app):
        issued: list[str] = []
        tokens = app.state.sandbox.tokens
        issue = tokens.issue

        def recording_issue() -> str:
            token = issue()
            issued.append(token)
            return token

        tokens.issue = recording_issue
        yield url, issued


def cli(url: str, directory: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    api = ["--api", url] if args[0] in ("plan", "apply") else []
    return subprocess.run([sys.executable, "-c", DEBUG_MAIN, *args, *api], cwd=directory,
                          env=env, capture_output=True, text=True, timeout=120)


def test_no_secret_in_any_artefact(served: tuple[str, list[str]], tmp_path: Path) -> None:
    url, issued = served
    (tmp_path / "lexsync.yaml").write_text(CONFIG, encoding="utf-8")
    env = cli_env({"LEADEXEC_API_KEY": API_KEY, "LEADEXEC_CLIENT_SECRET": CLIENT_SECRET,
                   "PORTAL_PW": PORTAL, "SMTP_PW": SMTP, "FTP_PW": FTP})
    outputs: list[str] = []

    def step(*args: str, expect: tuple[int, ...] = (0,), **extra: str) -> str:
        result = cli(url, tmp_path, *args, env={**env, **extra})
        text = result.stdout + result.stderr
        assert result.returncode in expect, text
        outputs.append(text)
        return text

    step("plan", "--out", "saved.plan", expect=(0, 2))
    step("plan", "--format", "json", expect=(0, 2))
    step("plan", "--format", "markdown", expect=(0, 2))
    assert "HTTP Request" in step("apply", "saved.plan"), "debug logging was not captured"
    # A changed secret is still detected (salted hash in state) without being shown.
    changed = step("plan", "--format", "markdown", "--detailed-exitcode", expect=(2,),
                   SMTP_PW=SMTP + "-rotated")
    assert "acme-mail" in changed
    outputs.append(step("apply", "--auto-approve", SMTP_PW=SMTP + "-rotated"))
    step("plan", "--detailed-exitcode", SMTP_PW=SMTP + "-rotated")
    # A refused credential is reported without echoing it.
    step("plan", expect=(1,), LEADEXEC_API_KEY=API_KEY + "-wrong")
    step("state", "show", "client.acme")

    files = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "lexsync.yaml"]
    assert any(p.name == "state.json" for p in files) and any(p.name == "saved.plan" for p in files)
    secrets = [API_KEY, CLIENT_SECRET, PORTAL, SMTP, SMTP + "-rotated", FTP, *issued]
    assert len(issued) >= 2, "the bearer token should have been renewed during the runs"
    artefacts = {f"output {i}": text for i, text in enumerate(outputs)}
    artefacts.update({str(p.relative_to(tmp_path)): p.read_text(encoding="utf-8", errors="replace")
                      for p in files})
    leaks = [(name, secret[:6] + "…") for name, text in artefacts.items() for secret in secrets
             if secret in text]
    assert leaks == []
    state = json.loads((tmp_path / ".lexsync" / "state.json").read_text())
    assert state["resources"]["client.acme"]["attributes"]["password"].startswith("scrypt:16384:8:1:")
    for path in files:
        if path.name.startswith(("state.json", "saved.plan")):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    report("secrets", {"artefacts_grepped": len(artefacts), "secret_values": len(secrets),
                       "leaks": len(leaks)})


@pytest.mark.parametrize("endpoint", ["http://leadexec.example", "http://10.0.0.5:8080"])
def test_plain_http_is_refused_before_any_request(tmp_path: Path, endpoint: str) -> None:
    (tmp_path / "lexsync.yaml").write_text(CONFIG, encoding="utf-8")
    env = cli_env({"PORTAL_PW": PORTAL, "SMTP_PW": SMTP, "FTP_PW": FTP})
    result = cli(endpoint, tmp_path, "plan", env=env)
    assert result.returncode == 1
    assert "refusing plain http://" in result.stderr and "HTTP Request" not in result.stderr
    assert "sandbox-key" not in result.stdout + result.stderr


def test_state_and_plan_files_are_owner_only_even_with_open_umask(
        served: tuple[str, list[str]], tmp_path: Path) -> None:
    url, _ = served
    (tmp_path / "lexsync.yaml").write_text(CONFIG, encoding="utf-8")
    env = cli_env({"LEADEXEC_API_KEY": API_KEY, "LEADEXEC_CLIENT_SECRET": CLIENT_SECRET,
                   "PORTAL_PW": PORTAL, "SMTP_PW": SMTP, "FTP_PW": FTP})
    result = subprocess.run(
        ["sh", "-c", f'umask 000 && exec "$0" -c "$1" plan --out p.plan --api {url}',
         sys.executable, DEBUG_MAIN], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=120)
    assert result.returncode == 0, result.stderr
    for path in (tmp_path / "p.plan", tmp_path / ".lexsync" / "state.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


