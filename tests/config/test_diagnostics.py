"""Validation errors: exact locations and readable summaries."""

from __future__ import annotations

from pathlib import Path

import pytest

from lexsync.errors import ConfigError

from .conftest import BASE, load_text, problems


def test_unknown_key_did_you_mean(tmp_path: Path) -> None:
    assert problems(tmp_path, BASE.replace("price: 25", "prise: 25")) == [
        "21:9: unknown key 'prise' (did you mean 'price'?)"]


def test_unknown_key_without_close_match_lists_keys(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, "client_groups:\n  g: {description: x, colour: red}\n")
    assert problem == "2:23: unknown key 'colour' (expected one of: description, display_order)"


def test_unknown_top_level_key(tmp_path: Path) -> None:
    assert problems(tmp_path, "client: {}\n") == [
        "1:1: unknown key 'client' (did you mean 'clients'?)"]


def test_field_name_with_alias_is_suggested_by_alias(tmp_path: Path) -> None:
    text = BASE.replace('from: "08:00"', 'form: "08:00"')
    assert problems(tmp_path, text) == [
        "17:13: missing required key 'from'",
        "17:32: unknown key 'form' (did you mean 'from'?)",
    ]


def test_python_field_name_is_not_a_yaml_key(tmp_path: Path) -> None:
    text = BASE.replace('from: "08:00"', 'from_: "08:00"')
    assert "17:32: unknown key 'from_' (did you mean 'from'?)" in problems(tmp_path, text)


def test_not_a_number(tmp_path: Path) -> None:
    assert problems(tmp_path, BASE.replace("price: 25", "price: abc")) == [
        "21:16: expected a number, got 'abc'"]


def test_not_a_whole_number(tmp_path: Path) -> None:
    assert problems(tmp_path, BASE.replace("hour: 10", "hour: ten")) == [
        "22:22: expected a whole number, got 'ten'"]


def test_enum_did_you_mean(tmp_path: Path) -> None:
    text = BASE.replace("price: 25", "price: 25\n        status: Opne")
    assert problems(tmp_path, text) == [
        "22:17: 'Opne' is not one of Open, OnHold, Suspended, Closed (did you mean 'Open'?)"]


def test_enum_case_slip(tmp_path: Path) -> None:
    text = BASE.replace("type: http_post", "type: HTTP_POST")
    [problem] = problems(tmp_path, text)
    assert problem.startswith("11:15: 'HTTP_POST' is not one of http_post, http_get,")
    assert problem.endswith("(did you mean 'http_post'?)")


def test_missing_required_key_points_at_parent_key(tmp_path: Path) -> None:
    assert problems(tmp_path, "clients:\n  acme:\n    status: Active\n") == [
        "2:3: missing required key 'username'"]


def test_number_where_text_expected(tmp_path: Path) -> None:
    assert problems(tmp_path, BASE.replace("acme-portal", "12345")) == [
        "7:15: expected a string, got 12345 (quote it if it is meant as text)"]


def test_negative_cap(tmp_path: Path) -> None:
    # -1 is LeadExec's "no cap", so it may be written; below it nothing is a cap.
    assert problems(tmp_path, BASE.replace("hour: 10", "hour: -2")) == [
        "22:22: must be at least -1, got -2"]


def test_parallelism_bound(tmp_path: Path) -> None:
    assert problems(tmp_path, "lexsync: {parallelism: 100}\n") == ["1:24: must be at most 64, got 100"]


def test_mapping_expected(tmp_path: Path) -> None:
    assert problems(tmp_path, BASE.replace("caps: {hour: 10, week: 400}", "caps: 5")) == [
        "22:15: expected a mapping, got 5"]


def test_empty_value_where_mapping_expected(tmp_path: Path) -> None:
    assert problems(tmp_path, "clients:\n  acme:\n") == ["2:3: expected a mapping, got an empty value"]


def test_model_rule_is_reported_at_the_item(tmp_path: Path) -> None:
    text = BASE.replace("{name: first_name, lead_field: FirstName}",
                        "{name: first_name, static: a, special: b}")
    assert problems(tmp_path, text) == [
        "15:13: a field mapping needs exactly one of static, lead_field, special, expr, "
        "substring, concat, client_field, lead_source_field, evaluate (got static, special)"]


def test_bad_time(tmp_path: Path) -> None:
    assert problems(tmp_path, BASE.replace('to: "18:00"', 'to: "24:30"')) == [
        "17:51: expected a time HH:MM (00:00 to 24:00), got '24:30'"]


def test_criterion_value_of_wrong_shape(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, BASE.replace("value: [CA, NV]", "value: {a: 1}"))
    assert problem.startswith("24:43: expected ")
    assert "a string" in problem and "a list" in problem and problem.endswith("got a mapping")


def test_all_problems_are_collected_in_file_order(tmp_path: Path) -> None:
    text = (BASE.replace("price: 25", "prise: 25")
            .replace("group: premium", "group: premium\n    status: Activ")
            .replace("days: [mon, tue]", "days: [mon, tuesday]"))
    found = problems(tmp_path, text)
    assert [p.split(":")[0] for p in found] == ["7", "18", "22"]
    assert "did you mean 'Active'?" in found[0]
    assert "did you mean 'tue'?" in found[1]


def test_diagnostic_text_names_file_line_and_column(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_text(tmp_path, BASE.replace("price: 25", "price: abc"))
    assert str(caught.value) == f"{tmp_path / 'lexsync.yaml'}:21:16: expected a number, got 'abc'"
    assert caught.value.diagnostics[0].address == "clients.acme.delivery_accounts.acme-ca.price"


MAPPING = "{name: first_name, lead_field: FirstName}"
CRITERION = "{field: State, op: In, value: [CA, NV]}"


@pytest.mark.parametrize(("old", "new", "expected"), [
    (MAPPING, "{name: first_name, lead_fild: FirstName}",
     "15:32: unknown key 'lead_fild' (did you mean 'lead_field'?)"),
    (MAPPING, "{name: first_name, lead_field: FirstName, colour: red}",
     "15:55: unknown key 'colour' (expected one of: name, static, lead_field, special, expr, "
     "substring, concat, client_field, lead_source_field, evaluate, format, map)"),
    (MAPPING, "first_name", "15:13: expected a mapping, got 'first_name'"),
    (MAPPING, "{name: 5, lead_field: FirstName}",
     "15:20: expected a string, got 5 (quote it if it is meant as text)"),
    (MAPPING, "{name: first_name, static: x, map: {CA: 1}}",
     "15:53: expected a string, got 1 (quote it if it is meant as text)"),
    (MAPPING, '{name: "", lead_field: FirstName}', "15:20: must not be empty"),
    (CRITERION, "{field: State, valu: [CA, NV]}", "24:28: unknown key 'valu' (did you mean 'value'?)"),
    (CRITERION, "{field: State, op: 1}",
     "24:32: '1' is not one of Equal, NotEqual, Greater, Less, GreaterOrEqual, LessOrEqual, "
     "Between, In, NotIn, DateCompare, Distance_Compare, Contains, Doesnt_Contain"),
    (CRITERION, "{field: State, op: Between, value: [1]}",
     "24:13: Between needs a list of two values: [low, high]"),
    (CRITERION, "State", "24:13: expected a mapping, got 'State'"),
])
def test_mappings_and_criteria_are_checked_as_strictly_as_every_model(
        tmp_path: Path, old: str, new: str, expected: str) -> None:
    """Field mappings and criteria are slotted dataclasses, not models (config/models.py,
    `leaf`): their problems read as every other model's."""
    assert problems(tmp_path, BASE.replace(old, new)) == [expected]


def test_mappings_and_criteria_keep_each_value_as_written(tmp_path: Path) -> None:
    text = BASE.replace(CRITERION, "{field: Age, op: In, value: [18, 2.5, true, '7']}")
    account = load_text(tmp_path, text).model.clients["acme"].delivery_accounts
    [criterion] = next(iter(account.values())).criteria
    assert criterion.value == [18, 2.5, True, "7"]
    assert [type(v) for v in criterion.value] == [int, float, bool, str]
