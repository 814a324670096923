"""lexsync against every behaviour profile of the sandbox, in both dialects, through the real
CLI over a socket: each end-to-end scenario (create everything, no-change plan, one edit,
remove a criterion, a day and a mapping, retire an account and a client, import) converges,
or stops with a message naming the limitation.

The cells (docs/sandbox.md, "Behaviour profiles"; every setting's every value is in one):
- literal: the seed text read most literally (no saved IDs but AddEditClient's, lists merged,
  omitted fields cleared, other element names, the v1 table's list names, a form-encoded
  token request);
- xmlserializer: elements a write names differently are skipped without a word;
- sparse: no saved IDs at all, un-namespaced answers, statuses by name, a JSON-only token;
- today: the sandbox as it always was (the other e2e tests run against it too).
A scenario is one sequence of CLI runs per cell: each apply's plan shows that the one before
converged (its counts name only the new edit), so few plans need running on their own.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import PORTAL_PASSWORD
from tests.profiles.conftest import Box, Runner

pytestmark = pytest.mark.e2e

RETIRED_CLIENT = "beta-portal"


def converge(run: Runner, box: Box, dialect: str, *, criteria_merged: bool,
             statuses_measured: bool = False) -> None:
    """From everything created: one edit and three removals, then retirements, then import,
    each converging. Where LeadExec merges criteria lists (measured), removing a criterion
    is refused by the plan, saying so, and the rest goes on without it. Where reading depends
    on a measurement (statuses numbered from 1), the new project is measured first: state
    keeps what doctor measured per project."""
    if criteria_merged:
        run.configure(dialect, price="31.5", age=False, sat=False, src=False)
        refused = run("plan", code=1)
        assert "merges a criteria list" in refused and "Age Between 25,65" in refused, refused
        assert "no write can remove" in refused
    run.configure(dialect, price="31.5", age=criteria_merged, sat=False, src=False)
    edited = run("apply", "--auto-approve")
    # The price and a criterion on the account, a day and a mapping on the method: nothing
    # else, so the creates converged.
    assert "Plan: 0 to create, 2 to update, 0 to retire." in edited, edited
    account = box.account("acme-ca")
    assert account["Price"] == 31.5
    assert len(account["Criteria"]) == (2 if criteria_merged else 1)
    [method] = [m for m in box.dump()["methods"] if m["Name"] == "acme-post"]
    assert sorted(s["FieldName"] for s in method["FieldSettings"]) == ["first_name", "st"]
    saturday = [d for d in method["DeliveryDays"] if d["WeekDay"] == 6]
    # Sent with Allow false and a window of no length, whether LeadExec replaces or merges.
    assert all(not d["Allow"] for d in saturday), saturday

    run.configure(dialect, price="31.5", age=criteria_merged, sat=False, src=False, tx=False,
                  beta=False)
    retired = run("apply", "--auto-approve", "--allow-retire")
    assert "Plan: 0 to create, 0 to update, 2 to retire." in retired, retired
    assert box.account("acme-tx")["Status"] == 9
    assert box.client(RETIRED_CLIENT)["Status"] == "Closed"
    assert "No changes" in run("plan", "--detailed-exitcode")

    out = run.directory / "imported"
    if statuses_measured:
        run("doctor", "--write-probe", "--state", str(out / ".lexsync" / "state.json"))
    imported = run("import", "--out", str(out), "--client", "acme-portal", "--dialect", dialect)
    assert "Imported 1 client, " in imported, imported
    assert "status: Active" in (out / "client-acme-insurance.yaml").read_text()
    assert "No changes" in run("plan", "--detailed-exitcode", "-c", str(out),
                               env=run.imported_env(out))


def create_everything(run: Runner, dialect: str) -> None:
    run.configure(dialect)
    created = run("apply", "--auto-approve")
    assert "Plan: 6 to create, 0 to update, 0 to retire." in created, created


def create_methods_with_rest(run: Runner) -> None:
    """The soap dialect where AddEditClientDelivery answers no ID: the plan refuses the method
    create and says to use rest for it; a rest apply creates it; soap takes over again."""
    run.configure("soap")
    refused = run("plan", code=1)
    assert "AddEditClientDelivery answers no saved ID" in refused, refused
    assert "create it with the rest dialect" in refused
    run.configure("rest")
    assert "6 created" in run("apply", "--auto-approve")
    run.configure("soap")
    # week caps and automation are rest-only: the soap configuration leaves them unmanaged.
    assert "No changes" in run("plan", "--detailed-exitcode")


@pytest.mark.parametrize("profile_box", ["literal"], indirect=True)
@pytest.mark.parametrize("dialect", ["rest"])
def test_literal_rest_stops_on_the_tables_list_names_until_doctor_measures_them(
        run: Runner, profile_box: tuple[str, Box], dialect: str) -> None:
    _, box = profile_box
    run.configure(dialect)
    # Unmeasured, lexsync sends the example's FieldSettings; this LeadExec takes the table's.
    stopped = run("apply", "--auto-approve", code=1)
    assert "Could not find member 'FieldSettings'" in stopped, stopped
    assert "lexsync doctor --write-probe" in stopped
    measured = run("doctor", "--write-probe")
    assert "v1 list names: Settings/Mappings" in measured, measured
    assert "criteria lists: merged" in measured and "fields a write omits: cleared" in measured
    applied = run("apply", "--auto-approve")
    assert "Apply complete!" in applied and "v1 list names: Settings/Mappings" in applied
    converge(run, box, dialect, criteria_merged=True)


@pytest.mark.parametrize("profile_box", ["literal"], indirect=True)
@pytest.mark.parametrize("dialect", ["soap"])
def test_literal_soap_creates_methods_with_rest_then_converges(
        run: Runner, profile_box: tuple[str, Box], dialect: str) -> None:
    _, box = profile_box
    run.configure(dialect)  # doctor probes in the configuration's dialect
    measured = run("doctor", "--write-probe")
    assert "AddEditClientDelivery answers the saved ID: no" in measured, measured
    assert "SOAP <Criteria> item name: ClientCriteria" in measured
    create_methods_with_rest(run)
    converge(run, box, dialect, criteria_merged=True)


@pytest.mark.parametrize("profile_box", ["xmlserializer"], indirect=True)
@pytest.mark.parametrize("dialect", ["rest", "soap"])
def test_silently_dropped_lists_are_detected_then_measured(
        run: Runner, profile_box: tuple[str, Box], dialect: str) -> None:
    _, box = profile_box
    run.configure(dialect)
    # LeadExec skips what it does not know, without a fault: the post-apply check sees the
    # lists missing and says what LeadExec did instead.
    stopped = run("apply", "--auto-approve", code=1)
    if dialect == "rest":
        assert "field mappings: LeadExec kept none of the 3 sent" in stopped, stopped
        assert "the list named FieldSettings" in stopped
    else:
        assert "criteria: LeadExec kept none of the 2 sent" in stopped, stopped
        assert "<ClientCriteriaType>" in stopped
    # Statuses numbered from 1: seen after the apply, and read that way from now on.
    assert "numbers client statuses from 1" in stopped
    again = run("plan", code=1)  # no plan repeats a write that would be lost again
    assert "LeadExec ignored" in again and "lexsync doctor --write-probe" in again, again
    run("doctor", "--write-probe")
    fixed = run("apply", "--auto-approve")
    assert "Apply complete!" in fixed, fixed
    assert "No changes" in run("plan", "--detailed-exitcode")
    account = box.account("acme-ca")
    assert len(account["Criteria"]) == 2
    converge(run, box, dialect, criteria_merged=False, statuses_measured=True)


@pytest.mark.parametrize("profile_box", ["sparse"], indirect=True)
@pytest.mark.parametrize("dialect", ["rest"])
def test_sparse_rest_converges_unmeasured(run: Runner, profile_box: tuple[str, Box],
                                          dialect: str) -> None:
    _, box = profile_box
    create_everything(run, dialect)  # the group found by its description: no ID came back
    converge(run, box, dialect, criteria_merged=False)


@pytest.mark.parametrize("profile_box", ["sparse"], indirect=True)
@pytest.mark.parametrize("dialect", ["soap"])
def test_sparse_soap_finds_every_new_object_by_its_key(run: Runner, profile_box: tuple[str, Box],
                                                       dialect: str) -> None:
    _, box = profile_box
    run.configure(dialect)
    run("doctor", "--write-probe")
    create_methods_with_rest(run)
    converge(run, box, dialect, criteria_merged=False)


@pytest.mark.parametrize("profile_box", ["today"], indirect=True)
@pytest.mark.parametrize("dialect", ["rest", "soap"])
def test_doctor_measures_todays_behaviour_as_assumed(run: Runner, profile_box: tuple[str, Box],
                                                     dialect: str) -> None:
    run.configure(dialect)
    out = run("doctor", "--write-probe")
    assert "Verdict: lexsync can work with this LeadExec" in out, out
    wire = run.state()["wire"]
    from lexsync.api.behaviour import OPEN_POINTS

    for name, finding in wire.items():
        assumed = OPEN_POINTS[name][0]
        assert finding["value"] == assumed and finding["source"] == "doctor", (name, finding)
    assert PORTAL_PASSWORD not in out
