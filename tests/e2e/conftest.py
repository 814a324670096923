"""End-to-end harness: the real `lexsync` CLI in a subprocess, the sandbox on a real socket."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from lexsync.sandbox.app import SandboxConfig
from lexsync.sandbox.server import running_sandbox

CREDENTIALS = {"LEADEXEC_API_KEY": "sandbox-key", "LEADEXEC_CLIENT_ID": "sandbox",
               "LEADEXEC_CLIENT_SECRET": "sandbox-secret"}
PORTAL_PASSWORD = "portal-pw-e2e-7f3a"


@pytest.fixture(scope="session")
def sandbox_url() -> Iterator[str]:
    with running_sandbox(SandboxConfig()) as url:
        yield url


class Sandbox:
    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=10)

    def reset(self) -> None:
        self.http.post("/_sandbox/reset").raise_for_status()

    def dump(self) -> dict[str, Any]:
        return self.http.get("/_sandbox/dump").json()

    def requests(self) -> dict[str, int]:
        return self.http.get("/_sandbox/requests").json()

    def reset_requests(self) -> None:
        self.http.post("/_sandbox/requests/reset").raise_for_status()

    def writes(self) -> dict[str, int]:
        return {k: v for k, v in self.requests().items()
                if not k.startswith(("Get", "is", "token")) and v}

    def mutate(self, table: str, obj_id: int, **changes: Any) -> None:
        self.http.post("/_sandbox/mutate", json={"table": table, "id": obj_id, "set": changes}).raise_for_status()

    def faults(self, **config: Any) -> None:
        self.http.post("/_sandbox/faults", json=config).raise_for_status()


@pytest.fixture
def sandbox(sandbox_url: str) -> Iterator[Sandbox]:
    box = Sandbox(sandbox_url)
    box.reset()
    yield box
    box.faults(fault_rate=0)
    box.http.close()


class Cli:
    """Runs `python -m lexsync.cli.main` in a project directory holding lexsync.yaml."""

    def __init__(self, directory: Path, url: str) -> None:
        self.directory = directory
        self.url = url
        self.env = {**os.environ, **CREDENTIALS, "PORTAL_PASSWORD": PORTAL_PASSWORD, "NO_COLOR": "1"}
        self.env.pop("LEXSYNC_DEBUG", None)

    def write(self, text: str, name: str = "lexsync.yaml") -> Path:
        path = self.directory / name
        path.write_text(text, encoding="utf-8")
        return path

    def __call__(self, *args: str, api: bool = True, input: str | None = None,
                 env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "lexsync.cli.main", *args]
        if api and args and args[0] in ("plan", "apply"):
            command += ["--api", self.url]
        return subprocess.run(command, cwd=self.directory, env={**self.env, **(env or {})},
                              input=input, capture_output=True, text=True, timeout=120)


@pytest.fixture
def cli(tmp_path: Path, sandbox: Sandbox) -> Cli:
    return Cli(tmp_path, sandbox.url)


def config_text(dialect: str, *, price: str = "25", mapping: str = "California: CA",
                age: str = "[25, 65]", with_second_account: bool = True) -> str:
    week = ", week: 400" if dialect == "rest" else ""
    automation = "    automation: Price\n" if dialect == "rest" else ""
    second = """
      acme-tx:
        method: acme-post
        price: 18
        caps: {day: 50}
        criteria:
          - {field: State, op: In, value: [TX]}
""" if with_second_account else ""
    return f"""lexsync:
  dialect: {dialect}
lead_types: [Auto Insurance]
client_groups:
  premium: {{description: Premium buyers, display_order: 1}}
clients:
  acme:
    status: Active
    group: premium
    username: acme-portal
    password: ${{env:PORTAL_PASSWORD}}
{automation}    fields: {{Company: Acme Insurance, Email: ops@acme.example}}
    delivery_methods:
      acme-post:
        type: http_post
        lead_type: Auto Insurance
        url: https://acme.example/leads
        response_search: success
        field_mappings:
          - {{name: first_name, lead_field: FirstName}}
          - {{name: src, static: lexsync}}
          - {{name: st, lead_field: State, map: {{{mapping}}}}}
        schedule:
          - {{days: [mon, tue, wed, thu, fri], from: "08:00", to: "18:00"}}
    delivery_accounts:
      acme-ca:
        method: acme-post
        price: {price}
        caps: {{hour: 10, day: 100{week}, month: 1500}}
        criteria:
          - {{field: State, op: In, value: [CA, NV]}}
          - {{field: Age, op: Between, value: {age}}}
{second}"""
