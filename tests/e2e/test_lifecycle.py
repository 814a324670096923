"""The lifecycle a user lives through, in both dialects, through the real CLI and a socket."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import PORTAL_PASSWORD, Cli, Sandbox, config_text

DIALECTS = ["rest", "soap"]
WRITE_CALL = {"rest": "PUT /v1/delivery/{ClientUID}/accounts", "soap": "AddEditClientAccount"}
METHOD_CALL = {"rest": "PUT /v1/delivery/{ClientUID}/methods", "soap": "AddEditClientDelivery"}


def apply_ok(cli: Cli) -> str:
    result = cli("apply", "--auto-approve")
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def plan_exit(cli: Cli) -> tuple[int, str]:
    result = cli("plan", "--detailed-exitcode")
    assert result.returncode in (0, 2), result.stdout + result.stderr
    return result.returncode, result.stdout


def account(dump: dict, description: str) -> dict:
    [found] = [a for a in dump["accounts"] if a["Description"] == description]
    return found


@pytest.mark.parametrize("dialect", DIALECTS)
def test_create_everything_then_plan_is_empty(cli: Cli, sandbox: Sandbox, dialect: str) -> None:
    cli.write(config_text(dialect))
    code, out = plan_exit(cli)
    assert code == 2 and "Plan: 5 to create, 0 to update, 0 to retire." in out
    output = apply_ok(cli)
    assert "Apply complete! Resources: 5 created, 0 updated, 0 retired." in output
    assert plan_exit(cli)[0] == 0
    dump = sandbox.dump()
    assert [g["Description"] for g in dump["groups"]] == ["Premium buyers"]
    assert [c["Username"] for c in dump["clients"]] == ["acme-portal"]
    assert account(dump, "acme-ca")["Price"] == 25


@pytest.mark.parametrize("dialect", DIALECTS)
def test_one_changed_attribute_is_exactly_one_write(cli: Cli, sandbox: Sandbox, dialect: str) -> None:
    cli.write(config_text(dialect))
    apply_ok(cli)
    cli.write(config_text(dialect, price="31.5"))
    sandbox.reset_requests()
    out = apply_ok(cli)
    assert "~ price" in out and "25 -> 31.5" in out
    assert sandbox.writes() == {WRITE_CALL[dialect]: 1}
    assert account(sandbox.dump(), "acme-ca")["Price"] == 31.5
    assert plan_exit(cli)[0] == 0


@pytest.mark.parametrize("dialect", DIALECTS)
def test_mapping_and_criterion_edits_update_in_place(cli: Cli, sandbox: Sandbox, dialect: str) -> None:
    cli.write(config_text(dialect))
    apply_ok(cli)
    before = sandbox.dump()
    [method] = before["methods"]
    setting_ids = {s["FieldName"]: s["DeliverySettingUID"] for s in method["FieldSettings"]}
    map_ids = {m["FieldValue"]: m["DeliveryMappingUID"]
               for s in method["FieldSettings"] for m in s["FieldMappings"]}
    criteria_ids = [c["ClientCriteriaUID"] for c in account(before, "acme-ca")["Criteria"]]

    cli.write(config_text(dialect, mapping="California: CALIF", age="[30, 60]"))
    sandbox.reset_requests()
    apply_ok(cli)
    assert sandbox.writes() == {METHOD_CALL[dialect]: 1, WRITE_CALL[dialect]: 1}
    after = sandbox.dump()
    [method] = after["methods"]
    assert {s["FieldName"]: s["DeliverySettingUID"] for s in method["FieldSettings"]} == setting_ids
    st = next(s for s in method["FieldSettings"] if s["FieldName"] == "st")
    assert [(m["DeliveryMappingUID"], m["DeliveryValue"]) for m in st["FieldMappings"]] == [
        (map_ids["California"], "CALIF")]
    acme_ca = account(after, "acme-ca")
    assert [c["ClientCriteriaUID"] for c in acme_ca["Criteria"]] == criteria_ids
    assert acme_ca["Criteria"][1]["Value"] == "30,60"
    assert plan_exit(cli)[0] == 0


@pytest.mark.parametrize("dialect", DIALECTS)
def test_removed_account_is_retired_not_deleted(cli: Cli, sandbox: Sandbox, dialect: str) -> None:
    cli.write(config_text(dialect))
    apply_ok(cli)
    cli.write(config_text(dialect, with_second_account=False))
    code, out = plan_exit(cli)
    assert code == 2 and "client.acme.delivery_account.acme-tx will be retired" in out
    assert "Plan: 0 to create, 0 to update, 1 to retire." in out
    apply_ok(cli)
    assert account(sandbox.dump(), "acme-tx")["Status"] == 9
    assert plan_exit(cli)[0] == 0
    state = cli("state", "list")
    assert "client.acme.delivery_account.acme-tx" not in state.stdout


@pytest.mark.parametrize("dialect", DIALECTS)
def test_unmanaged_live_attribute_survives_apply(cli: Cli, sandbox: Sandbox, dialect: str) -> None:
    cli.write(config_text(dialect))
    apply_ok(cli)
    acme_ca = account(sandbox.dump(), "acme-ca")
    sandbox.mutate("accounts", acme_ca["ClientAccountUID"], AgentName="Dana (set in the UI)",
                   RedirectURL="https://ui.example/r")
    assert plan_exit(cli)[0] == 0  # the YAML does not manage them: no diff
    cli.write(config_text(dialect, price="27"))
    apply_ok(cli)
    acme_ca = account(sandbox.dump(), "acme-ca")
    assert (acme_ca["AgentName"], acme_ca["RedirectURL"], acme_ca["Price"]) == (
        "Dana (set in the UI)", "https://ui.example/r", 27)


def test_managed_drift_is_planned_back(cli: Cli, sandbox: Sandbox) -> None:
    cli.write(config_text("rest"))
    apply_ok(cli)
    acme_ca = account(sandbox.dump(), "acme-ca")
    sandbox.mutate("accounts", acme_ca["ClientAccountUID"], DayMax=7)
    code, out = plan_exit(cli)
    assert code == 2 and "caps.day" in out and "7 -> 100" in out


def test_saved_plan_applies_exactly_and_refuses_when_stale(cli: Cli, sandbox: Sandbox) -> None:
    cli.write(config_text("rest"))
    assert cli("plan", "--out", "first.plan").returncode == 0
    result = cli("apply", "first.plan")
    assert result.returncode == 0, result.stderr
    assert "5 created" in result.stdout
    # A plan made before a live change is stale once LeadExec changes.
    cli.write(config_text("rest", price="40"))
    assert cli("plan", "--out", "second.plan").returncode == 0
    acme_ca = account(sandbox.dump(), "acme-ca")
    sandbox.mutate("accounts", acme_ca["ClientAccountUID"], DayMax=3)
    sandbox.reset_requests()
    stale = cli("apply", "second.plan")
    assert stale.returncode == 1 and "saved plan is stale" in stale.stderr
    assert "LeadExec's live values changed" in stale.stderr
    assert sandbox.writes() == {}
    # The same refusal when state moved on.
    assert cli("plan", "--out", "third.plan").returncode == 0
    apply_ok(cli)
    again = cli("apply", "third.plan")
    assert again.returncode == 1 and "serial" in again.stderr


def test_a_saved_targeted_plan_applies_with_its_targets(cli: Cli, sandbox: Sandbox) -> None:
    # It was planned again without them, and so refused as stale whatever changed.
    cli.write(config_text("rest"))
    apply_ok(cli)
    cli.write(config_text("rest", price="40"))
    assert cli("plan", "--target", "client.acme", "--out", "t.plan").returncode == 0
    other = cli("apply", "--target", "client_group.premium", "t.plan")
    assert other.returncode == 1
    assert "t.plan was made with --target client.acme: apply it without --target" in other.stderr
    sandbox.reset_requests()
    result = cli("apply", "t.plan")
    assert result.returncode == 0, result.stderr
    assert sandbox.writes() == {WRITE_CALL["rest"]: 1}
    assert account(sandbox.dump(), "acme-ca")["Price"] == 40
    assert plan_exit(cli)[0] == 0


def test_json_plan_has_terraform_shape_and_no_secret(cli: Cli) -> None:
    cli.write(config_text("rest"))
    result = cli("plan", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    actions = {c["address"]: c["change"]["actions"] for c in data["resource_changes"]}
    assert actions["client.acme"] == ["create"]
    assert PORTAL_PASSWORD not in result.stdout


def test_secrets_never_reach_output_state_or_plan_files(cli: Cli) -> None:
    cli.write(config_text("rest"))
    outputs = [cli("plan", "--out", "p.plan"), cli("apply", "--auto-approve")]
    artefacts = [o.stdout + o.stderr for o in outputs]
    artefacts += [p.read_text() for p in cli.directory.rglob("*") if p.is_file() and p.suffix != ".db"]
    for secret in (PORTAL_PASSWORD, "sandbox-secret", "sandbox-key"):
        assert not [a for a in artefacts if secret in a], secret
    state_file = cli.directory / ".lexsync" / "state.json"
    assert oct(state_file.stat().st_mode & 0o777) == "0o600"


def test_target_applies_only_the_named_resource(cli: Cli, sandbox: Sandbox) -> None:
    cli.write(config_text("rest"))
    apply_ok(cli)
    cli.write(config_text("rest", price="33", mapping="California: CAL"))
    sandbox.reset_requests()
    result = cli("apply", "--auto-approve", "--target", "client.acme.delivery_account.acme-ca")
    assert result.returncode == 0, result.stderr
    assert sandbox.writes() == {WRITE_CALL["rest"]: 1}
    code, out = plan_exit(cli)
    assert code == 2 and "delivery_method.acme-post will be updated" in out


def test_interactive_apply_needs_yes(cli: Cli, sandbox: Sandbox) -> None:
    cli.write(config_text("rest"))
    refused = cli("apply")  # no TTY and no --auto-approve
    assert refused.returncode == 1 and "--auto-approve" in refused.stderr
    assert sandbox.dump()["clients"] == []
