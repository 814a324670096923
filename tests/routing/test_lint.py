"""Each lint rule fires on what it is for, says where, and can be turned off."""

from __future__ import annotations

import pytest

from lexsync.routing.lint import RULES, lint_configuration, locate_findings

CLEAN = """\
lead_types: [Auto Insurance, Home Insurance]
clients:
  acme:
    username: acme-portal
    time_zone: {zone}
    delivery_methods:
      post:
        type: http_post
        lead_type: Auto Insurance
        enabled: {enabled}
        in_testing: {testing}
        field_mappings: [{{name: st, lead_field: State}}, {{name: age, lead_field: Age}}]
        schedule: {schedule}
      home:
        type: http_post
        lead_type: Home Insurance
        field_mappings: [{{name: hv, lead_field: HomeValue}}]
    delivery_accounts:
      acme-tx:
        method: post
        price: {price}
        status: {status}
        caps: {caps}
        criteria: {criteria}
      acme-home: {{method: home, price: 10}}
"""
DEFAULTS = dict(zone="Central Standard Time", enabled="true", testing="false",
                schedule="[]", price="25", status="Open", caps="{}",
                criteria="[{field: State, op: In, value: [TX]}]")


def rules_for(load, extra: str = "", **changes: str) -> list[str]:
    loaded = load(CLEAN.format(**{**DEFAULTS, **changes}), extra)
    return [f.rule for f in lint_configuration(loaded.model)]


def test_a_clean_configuration_has_no_findings(load) -> None:
    assert rules_for(load) == []


@pytest.mark.parametrize("changes,rule", [
    ({"criteria": "[{field: State, op: In, value: [TX]}, {field: State, op: NotIn, value: [TX]}]"},
     "criteria-contradict"),
    ({"criteria": "[{field: State, op: In, value: [TX, OK]}, {field: State, op: NotIn, value: [OK]}]"},
     "in-notin-overlap"),
    ({"criteria": "[{field: Age, op: Between, value: [65, 25]}]"}, "between-reversed"),
    ({"criteria": "[{field: Age, op: Greater, value: 65}, {field: Age, op: Less, value: 25}]"},
     "criteria-contradict"),
    ({"criteria": "[{field: Age, op: GreaterOrEqual, value: 30}, {field: Age, op: Less, value: 30}]"},
     "criteria-contradict"),
    ({"criteria": "[{field: Age, op: Equal, value: 20}, {field: Age, op: Between, value: [25, 65]}]"},
     "criteria-contradict"),
    ({"criteria": "[{field: State, op: In, value: [TX, Texsa]}]"}, "state-unknown"),
    ({"criteria": "[{field: HomeValue, op: Greater, value: 100000}]"}, "field-other-lead-type"),
    ({"criteria": "[{field: Age, op: Greater, value: [1, 2]}]"}, "operator-value"),
    ({"criteria": "[{field: Zip, op: Distance_Compare, value: 90210}]"}, "operator-value"),
    ({"criteria": "[{field: DateOfBirth, op: DateCompare, value: soon}]"}, "operator-value"),
    ({"criteria": "[{field: State, op: In, value: [TX]}, {field: State, op: In, value: [TX]}]"},
     "duplicate-criterion"),
    ({"criteria": "[{field: Age, type: Expression, expression: '[Age] > 18'}]"}, "not-evaluated"),
    ({"status": "OnHold"}, "account-not-open"),
    ({"enabled": "false"}, "method-disabled"),
    ({"testing": "true"}, "method-in-testing"),
    ({"caps": "{day: 0}"}, "cap-zero"),
    ({"caps": "{day: 100, week: 50}"}, "cap-order"),
    ({"caps": "{hour: 20, day: 10}"}, "cap-order"),
    ({"price": "0"}, "price-zero"),
    ({"schedule": "[{days: [sun, mon, tue, wed, thu, fri, sat], from: '00:00', to: '24:00', allow: false}]"},
     "schedule-never-open"),
    ({"zone": "Moon Standard Time"}, "zone-unknown"),
    ({"zone": "Central Standard Time\n    time_offset: -5"}, "zone-offset-mismatch"),
])
def test_rule_fires(load, changes: dict[str, str], rule: str) -> None:
    assert rule in RULES
    assert rule in rules_for(load, **changes)


def test_client_not_active_and_no_buyer_for_a_lead_type(load) -> None:
    text = CLEAN.format(**DEFAULTS).replace("    username: acme-portal\n",
                                            "    username: acme-portal\n    status: Inactive\n")
    found = [f.rule for f in lint_configuration(load(text).model)]
    assert found.count("client-not-active") == 2 and found.count("lead-type-no-buyer") == 2


def test_routing_names_and_unknown_rules(load) -> None:
    extra = "routing: {priorities: {nobody: 1, acme/none: 2}, tier_delivery: [ghost]}\nlint: {disable: [no-such-rule]}\n"
    found = rules_for(load, extra)
    assert found.count("routing-unknown-name") == 3 and "lint-unknown-rule" in found


def test_declared_lead_fields_are_authoritative(load) -> None:
    extra = "routing: {lead_fields: {Auto Insurance: [State, Age]}}\n"
    found = rules_for(load, extra, criteria="[{field: Zip, op: Equal, value: '75001'}]")
    assert found == ["field-other-lead-type"]


def test_an_account_whose_criteria_contradict_receives_no_lead_type(load) -> None:
    found = rules_for(load, criteria="[{field: State, op: In, value: [TX]}, "
                                     "{field: State, op: NotIn, value: [TX]}]")
    # acme-auto can never match, so Auto Insurance has no buyer; acme-home still takes Home.
    assert found.count("criteria-contradict") == 1 and found.count("lead-type-no-buyer") == 1
    # Disabling the contradiction's report does not make the account a buyer.
    assert "lead-type-no-buyer" in rules_for(
        load, "lint: {disable: [criteria-contradict]}\n",
        criteria="[{field: State, op: In, value: [TX]}, {field: State, op: NotIn, value: [TX]}]")


def test_rules_can_be_turned_off(load) -> None:
    assert set(rules_for(load, caps="{day: 0}")) == {"cap-zero", "lead-type-no-buyer"}
    assert rules_for(load, "lint: {disable: [cap-zero]}\n", caps="{day: 0}") == ["lead-type-no-buyer"]


def test_findings_carry_file_line_column_and_a_fix(load) -> None:
    loaded = load(CLEAN.format(**{**DEFAULTS, "caps": "{day: 0}"}))
    [finding] = [f for f in locate_findings(lint_configuration(loaded.model), loaded.locate)
                 if f.rule == "cap-zero"]
    assert finding.location is not None and finding.location.file.endswith("lexsync.yaml")
    assert (finding.location.line, finding.location.column) == (23, 21)
    assert finding.line().startswith(f"{finding.location}: warning[cap-zero]: ")
    assert "fix: raise caps.day" in finding.line()
