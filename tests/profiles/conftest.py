"""The profile matrix's harness: one sandbox per test, started with a behaviour profile, and
the real CLI in a subprocess against it over a socket (tests/e2e/conftest.py's Cli)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from lexsync.sandbox.app import SandboxConfig
from lexsync.sandbox.server import running_sandbox
from tests.e2e.conftest import PORTAL_PASSWORD, Cli


class Box:
    """The sandbox of one test, and what a test reads of it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=10)

    def dump(self) -> dict[str, Any]:
        return self.http.get("/_sandbox/dump").json()

    def account(self, description: str) -> dict[str, Any]:
        [found] = [a for a in self.dump()["accounts"] if a["Description"] == description]
        return found

    def client(self, username: str) -> dict[str, Any]:
        [found] = [c for c in self.dump()["clients"] if c["Username"] == username]
        return found


@pytest.fixture
def profile_box(request: pytest.FixtureRequest) -> Iterator[tuple[str, Box]]:
    """A fresh sandbox under the profile the test is parametrised with (indirectly)."""
    profile = request.param
    with running_sandbox(SandboxConfig.for_profile(profile)) as url:
        box = Box(url)
        yield profile, box
        box.http.close()


@pytest.fixture
def run(tmp_path: Path, profile_box: tuple[str, Box]) -> Runner:
    return Runner(Cli(tmp_path, profile_box[1].url))


class Runner:
    """`run(args, code)`: the CLI, its exit code checked; `--api` added to the commands that
    talk to LeadExec."""

    def __init__(self, cli: Cli) -> None:
        self.cli = cli
        self.directory = cli.directory

    def __call__(self, *args: str, code: int = 0, env: dict[str, str] | None = None) -> str:
        """The output with its whitespace runs made single spaces: a table wraps its cells to
        the terminal's width."""
        extra = ["--api", self.cli.url] if args[0] in ("doctor", "import") else []
        result = self.cli(*args, *extra, env=env)
        output = result.stdout + result.stderr
        assert result.returncode == code, f"lexsync {' '.join(args)}: exit {result.returncode}\n{output}"
        return " ".join(output.split())

    def configure(self, dialect: str, **variant: Any) -> None:
        self.cli.write(scenario_config(dialect, **variant))

    def state(self) -> dict[str, Any]:
        return json.loads((self.directory / ".lexsync" / "state.json").read_text())

    def imported_env(self, out: Path) -> dict[str, str]:
        """The variables an import asks for (portal passwords), set as the user would."""
        state = json.loads((out / ".lexsync" / "state.json").read_text())
        return {"LEXSYNC_PW_" + address.split(".")[1].upper().replace("-", "_"): PORTAL_PASSWORD
                for address, record in state["resources"].items() if record["kind"] == "client"}


def scenario_config(dialect: str, *, price: str = "25", age: bool = True, sat: bool = True,
                    src: bool = True, tx: bool = True, beta: bool = True) -> str:
    """The scenarios' configuration: what each edit removes is a switch."""
    week = ", week: 400" if dialect == "rest" else ""
    automation = "    automation: Price\n" if dialect == "rest" else ""
    days = "mon, tue, wed, thu, fri" + (", sat" if sat else "")
    age_line = "          - {field: Age, op: Between, value: [25, 65]}\n" if age else ""
    src_line = "          - {name: src, static: lexsync}\n" if src else ""
    tx_block = """      acme-tx:
        method: acme-post
        price: 18
        caps: {day: 50}
        criteria:
          - {field: State, op: In, value: [TX]}
""" if tx else ""
    beta_block = """  beta:
    status: Active
    username: beta-portal
    password: ${env:PORTAL_PASSWORD}
""" if beta else ""
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
{src_line}          - {{name: st, lead_field: State, map: {{California: CA}}}}
        schedule:
          - {{days: [{days}], from: "08:00", to: "18:00"}}
    delivery_accounts:
      acme-ca:
        method: acme-post
        price: {price}
        caps: {{hour: 10, day: 100{week}, month: 1500}}
        criteria:
          - {{field: State, op: In, value: [CA, NV]}}
{age_line}{tx_block}{beta_block}"""
