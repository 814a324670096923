"""Cross-reference and dialect checks: one test per rule, each with its location."""

from __future__ import annotations

from pathlib import Path

from .conftest import BASE, load_text, problems

ACCOUNT_B = """
      acme-nv:
        method: acme-post
        description: acme-ca
"""
CLIENT_B = """
  beta:
    username: acme-portal
"""


def test_base_configuration_passes(tmp_path: Path) -> None:
    assert load_text(tmp_path, BASE).model.clients["acme"].group == "premium"


def test_unknown_group(tmp_path: Path) -> None:
    assert problems(tmp_path, BASE.replace("group: premium", "group: gold")) == [
        "6:12: client group 'gold' is not defined in client_groups (known: premium)"]


def test_unknown_method(tmp_path: Path) -> None:
    assert problems(tmp_path, BASE.replace("method: acme-post", "method: acme-get")) == [
        "20:17: delivery method 'acme-get' is not one of client 'acme''s delivery_methods (acme-post)"]


def test_duplicate_account_description(tmp_path: Path) -> None:
    assert problems(tmp_path, BASE + ACCOUNT_B) == [
        "28:22: accounts 'acme-ca' and 'acme-nv' of client 'acme' have the same description 'acme-ca'"]


def test_duplicate_account_description_without_explicit_description(tmp_path: Path) -> None:
    text = BASE.replace("      acme-ca:\n        method", "      acme-ca:\n        description: x\n        method") + """
      x:
        method: acme-post
"""
    assert problems(tmp_path, text) == [
        "27:7: accounts 'acme-ca' and 'x' of client 'acme' have the same description 'x'"]


def test_duplicate_username(tmp_path: Path) -> None:
    text = BASE.replace("clients:\n", "clients:" + CLIENT_B)
    assert problems(tmp_path, text) == [
        "9:15: clients 'beta' and 'acme' have the same username 'acme-portal'"]


def test_duplicate_group_description(tmp_path: Path) -> None:
    text = BASE.replace("client_groups:\n", "client_groups:\n  gold: {description: Premium buyers}\n")
    assert problems(tmp_path, text) == [
        "4:26: client groups 'gold' and 'premium' have the same description 'Premium buyers'"]


def test_weekly_cap_needs_rest(tmp_path: Path) -> None:
    text = "lexsync: {dialect: soap}\n" + BASE
    assert problems(tmp_path, text) == [
        "23:32: weekly caps need the rest dialect: the SOAP AddEditClientAccount has no WeekMax"]


def test_client_automation_needs_rest(tmp_path: Path) -> None:
    text = "lexsync: {dialect: soap}\n" + BASE.replace("caps: {hour: 10, week: 400}", "caps: {hour: 10}")
    text = text.replace("group: premium", "group: premium\n    automation: Price")
    assert problems(tmp_path, text) == [
        "8:17: automation needs the rest dialect: the SOAP AddEditClient has no automation field"]


def test_rest_dialect_allows_both(tmp_path: Path) -> None:
    text = BASE.replace("group: premium", "group: premium\n    automation: RoundRobin")
    assert load_text(tmp_path, text).model.clients["acme"].automation == "RoundRobin"


def test_lead_type_not_listed(tmp_path: Path) -> None:
    assert problems(tmp_path, BASE.replace("lead_type: Auto Insurance", "lead_type: Health")) == [
        "12:20: lead type 'Health' is not in lead_types (Auto Insurance)"]


def test_lead_type_unchecked_when_list_is_empty(tmp_path: Path) -> None:
    text = BASE.replace("lead_types: [Auto Insurance]", "lead_types: []").replace(
        "lead_type: Auto Insurance", "lead_type: Health")
    assert load_text(tmp_path, text).model.lead_types == []


def test_schedule_window_from_not_before_to(tmp_path: Path) -> None:
    assert problems(tmp_path, BASE.replace('from: "08:00"', 'from: "18:00"')) == [
        "17:38: schedule window starts at 18:00, not before its end 18:00"]


def test_schedule_until_midnight(tmp_path: Path) -> None:
    loaded = load_text(tmp_path, BASE.replace('to: "18:00"', 'to: "24:00"'))
    assert loaded.model.clients["acme"].delivery_methods["acme-post"].schedule[0].to == "24:00"


def test_empty_in_list(tmp_path: Path) -> None:
    assert problems(tmp_path, BASE.replace("op: In, value: [CA, NV]", "op: NotIn, value: []")) == [
        "24:46: NotIn needs a non-empty list of values"]


def test_in_without_value(tmp_path: Path) -> None:
    assert problems(tmp_path, BASE.replace("op: In, value: [CA, NV]", "op: In")) == [
        "24:13: In needs a non-empty list of values"]
