"""`validate` refuses, at file:line:column, every value LeadExec could not store as written:
numbers that are not finite or not representable, integers beyond their Int32 fields, text
XML cannot carry, and values of the wrong type (no coercion: `true` is not 1, "25" is not 25)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lexsync.config import load_configuration, yamlio
from lexsync.config.positions import Positions
from lexsync.config.validate import surely_sendable, unsendable_text
from lexsync.errors import ConfigError

from .conftest import BASE, load_text, problems


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("price: 25", "price: .inf",
     "21:16: must be a finite number, got inf (LeadExec stores a Double)"),
    ("price: 25", "price: .nan",
     "21:16: must be a finite number, got nan (LeadExec stores a Double)"),
    ("price: 25", "price: 0.1234567890123456",
     "21:16: 0.1234567890123456 has more significant digits than LeadExec keeps in a Double (15); "
     "write at most 15"),
    ("price: 25", "price: true", "21:16: expected a number, got true"),
    ("price: 25", 'price: "25"', "21:16: expected a number, got '25'"),
    ("hour: 10", "hour: 2147483648",
     "22:22: must be at most 2147483647 (LeadExec stores it as an Int32), got 2147483648"),
    ("display_order: 1", "display_order: 2147483648",
     "3:57: must be at most 2147483647 (LeadExec stores it as an Int32), got 2147483648"),
    ("display_order: 1", "display_order: -2147483649",
     "3:57: must be at least -2147483648, got -2147483649"),
    ("display_order: 1", 'display_order: "1"', "3:57: expected a whole number, got '1'"),
    ("[CA, NV]", "[CA, .inf]", "24:48: must be a finite number, got inf"),
    ("[CA, NV]", '["CA,NV", TX]',
     "24:44: list item 'CA,NV' holds a ',', which separates the items LeadExec reads; "
     "write each item on its own"),
])
def test_values_leadexec_cannot_store_are_refused_where_written(
        tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in BASE
    assert problems(tmp_path, BASE.replace(old, new)) == [expected]


@pytest.mark.parametrize(("spelled", "named"), [
    ('"\\e"', "the control character U+001B, which XML (and so LeadExec) cannot carry"),
    ('"a\\0b"', "the control character U+0000, which XML (and so LeadExec) cannot carry"),
    ('"\\uD800"', "a lone surrogate (U+D800), which is not a character LeadExec can store"),
    ('"a\\rb"', "a carriage return (U+000D), which LeadExec's XML reads give back as a line "
                "feed; use \\n for a new line"),
])
def test_text_xml_cannot_carry_is_refused_where_written(
        tmp_path: Path, spelled: str, named: str) -> None:
    text = BASE.replace("password: hunter2", f"password: hunter2\n    notes: {spelled}")
    assert problems(tmp_path, text) == [f"9:12: text holds {named}"]


@pytest.mark.parametrize(("written", "inserted", "named"), [
    ("${env:NOTE}", "a\rb", "a carriage return (U+000D), which LeadExec's XML reads give back "
                            "as a line feed; use \\n for a new line"),
    ("see ${env:NOTE}", "\x01", "the control character U+0001, which XML (and so LeadExec) "
                               "cannot carry"),
    ("${file:note.txt}", "a\x1fb\n", "the control character U+001F, which XML (and so "
                                      "LeadExec) cannot carry"),
])
def test_text_an_interpolation_inserts_is_refused_where_referenced(
        tmp_path: Path, written: str, inserted: str, named: str) -> None:
    (tmp_path / "note.txt").write_text(inserted, encoding="utf-8", newline="")
    text = BASE.replace("password: hunter2", f"password: hunter2\n    notes: {written}")
    assert "\\" not in text  # nothing but the inserted text can hold the character
    assert problems(tmp_path, text, {"NOTE": inserted}) == [f"9:12: text holds {named}"]


def test_text_in_other_files_of_a_folder_is_checked_too(tmp_path: Path) -> None:
    (tmp_path / "lexsync.yaml").write_text(BASE, encoding="utf-8")
    (tmp_path / "groups.yaml").write_text('client_groups:\n  basic: {description: "a\\eb"}\n',
                                          encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_configuration(tmp_path, {})
    [problem] = caught.value.diagnostics
    assert problem.location is not None and problem.location.file.endswith("groups.yaml")
    assert (problem.location.line, problem.location.column) == (2, 24)
    assert problem.summary.startswith("text holds the control character U+001B")


# Pieces of YAML run together: escapes, control characters, line breaks of every kind.
PIECES = ["a", "k: ", "- ", "\n", "  ", '"', "'", "\\", "\\e", "\\r", "\\x01", "\\u0000",
          "\\uD800", "\\\n", "\r\n", "\r", "\x85", "\u2028", "\x01", "\ufffe", "\t", "|",
          ">", "{", "}", "[", "]", ", ", "#", "$", "{x}"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=14).map("".join))
def test_a_text_surely_sendable_reads_into_nothing_unsendable(text: str) -> None:
    try:
        values = yamlio.parse_values(text, "f.yaml")
    except ConfigError:
        return
    if surely_sendable([text], []):
        assert unsendable_text(values, Positions()) == []


def test_a_key_xml_cannot_carry_is_refused_at_the_key(tmp_path: Path) -> None:
    text = BASE.replace("password: hunter2", 'password: hunter2\n    fields: {"Co\\e": Acme}')
    assert problems(tmp_path, text) == [
        "9:14: this key holds the control character U+001B, which XML (and so LeadExec) cannot "
        "carry"]


def test_tabs_and_new_lines_are_text(tmp_path: Path) -> None:
    text = BASE.replace("password: hunter2", 'password: hunter2\n    notes: "a\\tb\\nc"')
    assert load_text(tmp_path, text).model.clients["acme"].notes == "a\tb\nc"


@pytest.mark.parametrize(("old", "new"), [
    ("password: hunter2", "password: hunter2\n    notes: 25"),
    ("password: hunter2", "password: hunter2\n    fields: {Zip: 02134}"),
    ("first_name, lead_field: FirstName}", "first_name, lead_field: FirstName, map: {a: 1.50}}"),
])
def test_a_number_where_text_is_wanted_is_refused_not_spelled_anew(
        tmp_path: Path, old: str, new: str) -> None:
    # 02134 is the number 2134 and 1.50 is 1.5: sent as text they would lose what was written.
    [problem] = problems(tmp_path, BASE.replace(old, new))
    assert "expected a string, got" in problem and "(quote it if it is meant as text)" in problem


def test_a_whole_reference_is_typed_by_its_key(tmp_path: Path) -> None:
    text = BASE.replace("price: 25", "price: ${env:PRICE}").replace(
        "hour: 10", 'hour: "${env:HOUR}"').replace("password: hunter2",
                                                 "password: hunter2\n    notes: ${env:NOTE}")
    model = load_text(tmp_path, text, {"PRICE": "19.5", "HOUR": "7", "NOTE": "007"}).model
    account = model.clients["acme"].delivery_accounts["acme-ca"]
    assert (account.price, account.caps.hour, model.clients["acme"].notes) == (19.5, 7, "007")
    assert problems(tmp_path, text, {"PRICE": "cheap", "HOUR": "7", "NOTE": "x"}) == [
        "22:16: expected a number, got 'cheap'"]


def test_a_whole_reference_is_typed_in_a_schedule_window(tmp_path: Path) -> None:
    """Schedule windows and caps are dataclasses (models.leaf): typed as in the models."""
    text = BASE.replace('to: "18:00"', 'to: "18:00", allow: "${env:ALLOW}"')
    [window] = load_text(tmp_path, text, {"ALLOW": "false"}).model.clients["acme"] \
        .delivery_methods["acme-post"].schedule
    assert window.allow is False


@pytest.mark.parametrize(("old", "new", "where"), [
    ("  acme:\n", "  ac.me:\n", "5:3"), ("  premium: {", "  pre.mium: {", "3:3"),
    ("      acme-post:\n", "      acme.post:\n", "10:7"), ("      acme-ca:\n", "      acme.ca:\n", "19:7")])
def test_a_name_is_a_part_of_an_address_and_holds_no_dot(
        tmp_path: Path, old: str, new: str, where: str) -> None:
    name = new.strip().split(":")[0]
    [problem] = problems(tmp_path, BASE.replace(old, new))
    assert problem == (f"{where}: the name '{name}' holds a '.', which separates the parts of an "
                       "address (client.KEY.delivery_method.NAME); choose a name without one")
