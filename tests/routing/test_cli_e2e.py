"""route, test, lint and coverage as a user runs them: the real CLI in a subprocess, and
--live against the sandbox over a real socket."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import Cli, Sandbox
from tests.routing.conftest import NETWORK

pytestmark = pytest.mark.e2e
CONFIG = NETWORK.replace("    username: acme-portal\n",
                         "    username: acme-portal\n    password: ${env:PORTAL_PASSWORD}\n") \
    .replace("    username: beta-portal\n", "    username: beta-portal\n    password: ${env:PORTAL_PASSWORD}\n") \
    .replace("    username: gamma-portal\n", "    username: gamma-portal\n    password: ${env:PORTAL_PASSWORD}\n")
TESTS = """\
defaults: {at: "2025-06-02T10:00 America/Chicago", lead: {lead_type: Auto Insurance, Age: 40}}
cases:
  - name: texas weekday
    lead: {State: TX}
    expect: [beta/beta-all, acme/acme-tx]
  - name: california
    lead: {State: CA}
    expect: none
"""


def test_route_text_and_json(cli: Cli) -> None:
    cli.write(CONFIG)
    (cli.directory / "leads").mkdir()
    (cli.directory / "leads" / "one.csv").write_text("lead_type,State,Age\nAuto Insurance,TX,19\n")
    text = cli("route", "leads/one.csv", "--at", "2025-06-02T10:00 America/Chicago")
    assert text.returncode == 0, text.stderr
    first = next(line for line in text.stdout.splitlines() if "1. " in line)
    assert first.split() == ["1.", "beta/beta-all", "$30.00"]
    assert "criterion 2 (Age Between 25,65): '19' is not between 25 and 65" in text.stdout
    assert "Assumed where LeadExec documents nothing" in text.stdout
    as_json = cli("route", "leads/one.csv", "--at", "2025-06-02T10:00-05:00", "--format", "json")
    document = json.loads(as_json.stdout)
    assert document["leads"][0]["buyers"] == ["beta/beta-all", "acme/acme-backup"]
    assert {a["id"] for a in document["assumptions"]} >= {"A1", "A4"}
    missing = cli("route", "leads/none.yaml")
    assert missing.returncode == 1 and "Error: cannot read leads/none.yaml" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_test_command_passes_then_fails_with_a_diff(cli: Cli) -> None:
    cli.write(CONFIG)
    (cli.directory / "tests").mkdir()
    (cli.directory / "tests" / "routing.yaml").write_text(TESTS)
    passed = cli("test")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "2 passed, 0 failed." in passed.stdout
    (cli.directory / "tests" / "routing.yaml").write_text(TESTS.replace("expect: none", "expect: [beta]"))
    failed = cli("test")
    assert failed.returncode == 1
    assert "FAIL california" in failed.stdout
    assert "  - beta/beta-all: criterion 1 (State NotIn CA): 'CA' is in [CA]" in failed.stdout
    assert "1 passed, 1 failed." in failed.stdout
    none = cli("test", "-c", "lexsync.yaml")
    (cli.directory / "tests" / "routing.yaml").unlink()
    assert none.returncode == 1
    assert cli("test").stderr.startswith("Error: no routing tests found")


def test_lint_exit_codes_and_warnings_in_validate_and_plan(cli: Cli) -> None:
    bad = CONFIG.replace("{field: Age, op: Between, value: [25, 65]}", "{field: Age, op: Between, value: [65, 25]}")
    cli.write(bad)
    linted = cli("lint")
    assert linted.returncode == 1
    assert "lexsync.yaml:23:46: error[between-reversed]" in linted.stdout
    assert "fix: write value: [25, 65]" in linted.stdout
    as_json = json.loads(cli("lint", "--format", "json").stdout)
    assert {f["rule"] for f in as_json["findings"]} >= {"between-reversed", "client-not-active"}
    validated = cli("validate")
    assert validated.returncode == 0 and "error[between-reversed]" in validated.stderr
    planned = cli("plan", "--json")
    assert planned.returncode == 0 and "error[between-reversed]" in planned.stderr
    json.loads(planned.stdout)  # stdout stays the plan alone
    cli.write(bad + "lint: {disable: [between-reversed, client-not-active]}\n")
    assert cli("lint").returncode == 0
    assert cli("lint", "--fail-on", "info").returncode == 0
    cli.write(CONFIG)
    assert cli("lint", "--fail-on", "warning").returncode == 1


def test_coverage_text_and_html(cli: Cli) -> None:
    cli.write(CONFIG)
    text = cli("coverage", "--field", "Age=40", "--at", "2025-06-02T12:00")
    assert text.returncode == 0, text.stderr
    assert "No buyer at any hour: CA." in text.stdout
    html = cli("coverage", "--format", "html", "--out", "out/coverage.html", "--at", "2025-06-02T12:00")
    page = (cli.directory / "out" / "coverage.html").read_text()
    assert html.returncode == 0 and page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "src=" not in page and "href=" not in page
    assert cli("coverage", "--lead-type", "Solar").returncode == 1


def test_live_agrees_then_reports_a_disagreement(cli: Cli, sandbox: Sandbox) -> None:
    cli.write(CONFIG.replace("        schedule:\n          - {days: [mon, tue, wed, thu, fri], from: \"08:00\", to: \"18:00\"}\n", ""))
    assert cli("apply", "--auto-approve").returncode == 0
    (cli.directory / "leads").mkdir()
    (cli.directory / "leads" / "tx.yaml").write_text("lead_type: Auto Insurance\nState: TX\nAge: 40\n")
    agree = cli("route", "leads/tx.yaml", "--live", "--api", sandbox.url)
    assert agree.returncode == 0, agree.stdout + agree.stderr
    assert "agree (beta $30.00, acme $25.00)" in agree.stdout
    assert sandbox.requests().get("GetClientsforCriteriaAdvanced") == 1
    beta = next(a for a in sandbox.dump()["accounts"] if a["Description"] == "beta-all")
    sandbox.mutate("accounts", beta["ClientAccountUID"], Status=11)
    differ = cli("route", "leads/tx.yaml", "--live", "--api", sandbox.url)
    assert differ.returncode == 1
    assert "lexsync finds beta takes the lead ($30.00); LeadExec does not offer it" in differ.stdout
    (cli.directory / "tests").mkdir()
    (cli.directory / "tests" / "t.yaml").write_text(TESTS)
    tested = cli("test", "--live", "--api", sandbox.url)
    assert tested.returncode == 1 and "disagreement(s) with LeadExec" in tested.stdout
