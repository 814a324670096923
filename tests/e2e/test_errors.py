"""Bad input gets a clear error naming where, a non-zero exit, no traceback, and state untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, Sandbox, config_text


def applied(cli: Cli) -> bytes:
    cli.write(config_text("rest"))
    result = cli("apply", "--auto-approve")
    assert result.returncode == 0, result.stderr
    return (cli.directory / ".lexsync" / "state.json").read_bytes()


def assert_clean_failure(result, *fragments: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output
    for fragment in fragments:
        assert fragment in output, (fragment, output)


# case → (how to break the YAML, text on the offending line, what the message must say)
BROKEN_CONFIGS = {
    "yaml syntax": (lambda t: t.replace("price: 25", "price: 25: 30"), "price: 25: 30", ["YAML syntax error"]),
    "unknown key": (lambda t: t.replace("price: 25", "prise: 25"), "prise: 25",
                    ["unknown key 'prise'", "did you mean 'price'"]),
    "wrong type": (lambda t: t.replace("price: 25", "price: cheap"), "price: cheap",
                   ["expected a number, got 'cheap'"]),
    "unknown method": (lambda t: t.replace("method: acme-post\n        price: 25",
                                           "method: acme-pst\n        price: 25"),
                       "method: acme-pst", ["acme-pst"]),
    "unknown group": (lambda t: t.replace("group: premium", "group: premum"), "group: premum", ["premum"]),
    "unknown lead field": (lambda t: t.replace("lead_field: FirstName", "lead_field: FirstNam"),
                           "lead_field: FirstNam",
                           ["unknown lead field 'FirstNam'", "did you mean 'FirstName'"]),
    "unknown state": (lambda t: t.replace("value: [CA, NV]", "value: [CA, Narnia]"), "Narnia",
                      ["unknown US state 'Narnia'"]),
    "duplicate description": (lambda t: t.replace("price: 18", "description: acme-ca\n        price: 18"),
                              "description: acme-ca", ["acme-ca"]),
    "missing env var": (lambda t: t.replace("${env:PORTAL_PASSWORD}", "${env:NO_SUCH_VARIABLE_X}"),
                        "NO_SUCH_VARIABLE_X", ["NO_SUCH_VARIABLE_X"]),
}


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize("case", sorted(BROKEN_CONFIGS))
def test_broken_configuration_is_reported_and_state_untouched(cli: Cli, sandbox: Sandbox, case: str) -> None:
    before = applied(cli)
    breaker, marker, fragments = BROKEN_CONFIGS[case]
    broken = breaker(config_text("rest"))
    cli.write(broken)
    fragments = [f"lexsync.yaml:{line_of(broken, marker)}:", *fragments]
    sandbox.reset_requests()
    for command in (("plan",), ("apply", "--auto-approve")):
        assert_clean_failure(cli(*command), *fragments)
    assert (cli.directory / ".lexsync" / "state.json").read_bytes() == before
    assert sandbox.writes() == {}


def test_weekly_cap_with_soap_dialect_is_refused(cli: Cli) -> None:
    cli.write(config_text("soap").replace("caps: {hour: 10, day: 100,", "caps: {hour: 10, day: 100, week: 5,"))
    assert_clean_failure(cli("validate"), "lexsync.yaml:", "weekly caps need the rest dialect")


@pytest.mark.parametrize("content,fragment", [
    ("{not json", "state"),
    ('{"version": 99, "lineage": "x", "serial": 1, "secret_salt": "ab", "resources": {}}', "newer lexsync"),
])
def test_corrupt_or_newer_state_is_refused_and_left_alone(cli: Cli, sandbox: Sandbox, content: str,
                                                         fragment: str) -> None:
    cli.write(config_text("rest"))
    state = cli.directory / ".lexsync" / "state.json"
    state.parent.mkdir()
    state.write_text(content)
    for command in (("plan",), ("apply", "--auto-approve")):
        assert_clean_failure(cli(*command), fragment)
    assert state.read_text() == content
    assert sandbox.dump()["clients"] == []


def test_wrong_credentials_are_reported_without_the_secret(cli: Cli) -> None:
    before = applied(cli)
    result = cli("plan", env={"LEADEXEC_API_KEY": "wrong-key-123", "LEADEXEC_CLIENT_SECRET": "nope-456"})
    assert_clean_failure(result, "Invalid API key")
    assert "wrong-key-123" not in result.stdout + result.stderr
    result = cli("apply", "--auto-approve", env={"LEADEXEC_CLIENT_SECRET": "nope-456"})
    cli.write(config_text("rest", price="26"))
    result = cli("apply", "--auto-approve", env={"LEADEXEC_CLIENT_SECRET": "nope-456"})
    assert_clean_failure(result, "refused the client credentials")
    assert "nope-456" not in result.stdout + result.stderr
    assert (cli.directory / ".lexsync" / "state.json").read_bytes() == before


def test_missing_credentials_name_the_variables(cli: Cli) -> None:
    cli.write(config_text("rest"))
    result = cli("plan", env={"LEADEXEC_API_KEY": ""})
    assert_clean_failure(result, "LEADEXEC_API_KEY")


def test_unreachable_api_is_a_clear_error(tmp_path: Path, cli: Cli) -> None:
    cli.write(config_text("rest"))
    result = cli("plan", "--api", "http://127.0.0.1:9", api=False)
    # The first read to fail is named: every read of a plan is sent together.
    assert_clean_failure(result, "failed: ConnectError", "gave up after 5 attempts")
    output = result.stdout + result.stderr
    assert any(f"{call} failed" in output
               for call in ("GetLeadTypes", "GetClientList", "GetClientGroups", "GetStateList"))


def test_plain_http_to_a_remote_host_is_refused(cli: Cli) -> None:
    cli.write(config_text("rest"))
    result = cli("plan", "--api", "http://leadexec.example.com", api=False)
    assert_clean_failure(result, "refusing plain http://")


def test_missing_configuration_is_a_clear_error(cli: Cli) -> None:
    assert_clean_failure(cli("plan"), "no configuration found")
