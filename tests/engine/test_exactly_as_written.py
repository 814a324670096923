"""Values reach LeadExec exactly as the YAML writes them, and settle: one apply, then no
changes (docs/configuration.md, "Exactly what you wrote"). One test per way a value was once
changed on its way."""

from __future__ import annotations

from lexsync.engine.plan import Action
from lexsync.render.lines import change_lines
from tests.engine.conftest import BASE_CONFIG, Harness

CRITERIA = """        criteria:
          - {field: State, op: In, value: [NV, CA]}
          - {field: Age, op: Between, value: [25, 65]}
"""


def with_criteria(*lines: str) -> str:
    return BASE_CONFIG.replace(CRITERIA, "        criteria:\n" + "".join(
        f"          - {line}\n" for line in lines))


def sent_criteria(harness: Harness) -> list[str]:
    [account] = harness.api.accounts.values()
    return [c["Value"] for c in account["Criteria"]]


def applied_and_settled(harness: Harness) -> None:
    _, result = harness.apply()
    assert not result.failed and not result.verify_problems, result.verify_problems
    leftovers = [(c.address, [(a.path, a.before, a.after) for a in c.changes])
                 for c in harness.plan().actionable]
    assert leftovers == []


def test_number_looking_text_is_sent_as_text(harness: Harness) -> None:
    harness.write(with_criteria('{field: Zip, op: In, value: ["06101", "02134"]}',
                                '{field: Zip, value: "00501"}',
                                '{field: LastName, op: Contains, value: "1.50"}'))
    applied_and_settled(harness)
    assert sent_criteria(harness) == ["02134,06101", "00501", "1.50"]


def test_only_list_operators_split_their_text_on_commas(harness: Harness) -> None:
    harness.write(with_criteria('{field: LastName, op: Doesnt_Contain, value: "test, demo"}',
                                '{field: Zip, op: In, value: "06101,02134"}'))
    applied_and_settled(harness)
    assert sent_criteria(harness) == ["test, demo", "02134,06101"]


def test_a_one_digit_hour_is_the_two_digit_hour_on_both_sides(harness: Harness) -> None:
    harness.write(BASE_CONFIG.replace('from: "08:00"', 'from: "8:00"'))
    applied_and_settled(harness)
    [method] = harness.api.methods.values()
    assert {day["StartTime"] for day in method["DeliveryDays"]} == {"1900-01-01T08:00:00"}


def test_numbers_keep_every_digit(harness: Harness) -> None:
    harness.write(with_criteria("{field: Age, op: Greater, value: 21.123456}")
                  .replace("price: 25", "price: 0.123456"))
    applied_and_settled(harness)
    [account] = harness.api.accounts.values()
    assert (account["Price"], sent_criteria(harness)) == (0.123456, ["21.123456"])
    harness.write(with_criteria("{field: Age, op: Greater, value: 21.123457}")
                  .replace("price: 25", "price: 0.123457"))
    [change] = harness.plan().actionable
    assert [(a.path, a.before, a.after) for a in change.changes] == [
        ("price", 0.123456, 0.123457),
        ("criteria[0]", "Age Greater 21.123456", "Age Greater 21.123457")]


def test_a_dotted_mapping_name_is_deleted_when_removed(harness: Harness) -> None:
    dotted = BASE_CONFIG.replace("{name: fn, lead_field: FirstName}",
                                 "{name: contact.first_name, lead_field: FirstName, "
                                 "map: {J.R.: JR}}")
    harness.write(dotted)
    applied_and_settled(harness)
    [method] = harness.api.methods.values()
    assert sorted(s["FieldName"] for s in method["FieldSettings"]) == ["contact.first_name", "st"]
    harness.write(dotted.replace("map: {J.R.: JR}", "map: {}"))
    applied_and_settled(harness)
    harness.write(dotted.replace(
        "          - {name: contact.first_name, lead_field: FirstName, map: {J.R.: JR}}\n", ""))
    assert [c.address for c in harness.plan().actionable] == ["client.acme.delivery_method.post"]
    applied_and_settled(harness)
    [method] = harness.api.methods.values()
    assert [s["FieldName"] for s in method["FieldSettings"]] == ["st"]


def test_a_lead_type_change_moves_the_accounts_criteria_in_the_same_plan(harness: Harness) -> None:
    harness.write(with_criteria("{field: FirstName, value: Ann}"))
    applied_and_settled(harness)
    home = with_criteria("{field: FirstName, value: Ann}").replace(
        "lead_type: Auto Insurance", "lead_type: Home Insurance").replace(
        "lead_types: [Auto Insurance]", "lead_types: [Auto Insurance, Home Insurance]").replace(
        "          - {name: st, lead_field: State, map: {California: CA}}\n", "")
    harness.write(home)
    plan = harness.plan()
    assert [(c.address, c.action) for c in plan.actionable] == [
        ("client.acme.delivery_method.post", Action.UPDATE),
        ("client.acme.delivery_account.ca", Action.UPDATE)]
    account_change = plan.actionable[1]
    assert "written on 'Home Insurance''s fields" in (account_change.reason or "")
    applied_and_settled(harness)
    [account] = harness.api.accounts.values()
    assert [c["LeadFieldUID"] for c in account["Criteria"]] == [201]  # Home's FirstName


def test_a_lead_type_change_stops_when_leadexec_holds_criteria_the_yaml_does_not_set(
        harness: Harness) -> None:
    applied_and_settled(harness)
    harness.write(BASE_CONFIG.replace(CRITERIA, "").replace(
        "lead_type: Auto Insurance", "lead_type: Home Insurance").replace(
        "lead_types: [Auto Insurance]", "lead_types: [Auto Insurance, Home Insurance]").replace(
        "          - {name: st, lead_field: State, map: {California: CA}}\n", ""))
    try:
        harness.plan()
    except Exception as exc:  # PlanProblems, which the CLI shows as a located problem
        assert "name 'Auto Insurance''s fields" in str(getattr(exc, "problems", exc))
    else:
        raise AssertionError("a plan that leaves criteria on the old lead type's fields")


def test_text_keeps_its_outer_spaces(harness: Harness) -> None:
    harness.write(BASE_CONFIG.replace("fields: {Company: Acme}",
                                      'fields: {Company: Acme}\n    notes: " (edited)"'))
    applied_and_settled(harness)
    [client] = harness.api.clients.values()
    assert client["Notes"] == " (edited)"


def test_a_create_shows_the_defaults_it_sends(harness: Harness) -> None:
    [client] = [c for c in harness.plan().actionable if c.address == "client.acme"]
    assert client.defaults == {"time_zone": "Pacific Standard Time", "time_offset": -8,
                               "automation": "Price"}
    shown = [line.body for line in change_lines(client)]
    assert any(body.startswith("time_zone") and body.endswith("(default on create)")
               for body in shown), shown
    harness.write(BASE_CONFIG.replace("fields: {Company: Acme}",
                                      "fields: {Company: Acme}\n    time_offset: -5"))
    [client] = [c for c in harness.plan().actionable if c.address == "client.acme"]
    assert "time_offset" not in client.defaults
