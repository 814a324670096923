"""`lexsync doctor` through the real CLI: read-only by default, a verdict and its exit code."""

from __future__ import annotations

import pytest

from tests.profiles.conftest import Box, Runner

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("profile_box", ["sparse"], indirect=True)
def test_doctor_reads_only_and_reports_the_answers_shapes(run: Runner,
                                                          profile_box: tuple[str, Box]) -> None:
    _, box = profile_box
    out = run("doctor")
    requests = box.http.get("/_sandbox/requests").json()
    assert {k for k in requests if not k.startswith(("Get", "is"))} == {"token"}  # no write
    assert "GetClientList ok <ArrayOfClientItemType> in no namespace" in out, out
    assert "GetClientsforCriteriaAdvanced ok" in out, out
    assert "issued for a JSON request" in out
    assert "Auto Insurance: FirstName, LastName" in out
    assert "Verdict: lexsync can work with this LeadExec" in out
    for secret in ("sandbox-key", "sandbox-secret"):
        assert secret not in out
    assert not (run.directory / ".lexsync").exists()  # nothing recorded without --write-probe


@pytest.mark.parametrize("profile_box", ["today"], indirect=True)
def test_a_refused_key_is_a_failing_verdict(run: Runner, profile_box: tuple[str, Box]) -> None:
    out = run("doctor", code=1, env={"LEADEXEC_API_KEY": "wrong-key"})
    assert "API key" in out and "Invalid API key" in out
    assert "Verdict: lexsync cannot work with this LeadExec yet" in out
    assert "wrong-key" not in out


@pytest.mark.parametrize("profile_box", ["today"], indirect=True)
def test_lexsync_debug_logs_to_standard_error_without_secrets(run: Runner,
                                                              profile_box: tuple[str, Box]) -> None:
    result = run.cli("doctor", "--api", run.cli.url, env={"LEXSYNC_DEBUG": "1"})
    assert result.returncode == 0, result.stderr
    assert "lexsync debug: POST /service.asmx/GetClientList -> 200" in result.stderr
    assert "sandbox-key" not in result.stderr and "sandbox-secret" not in result.stderr
