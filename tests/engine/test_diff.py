"""Diffs compare exactly: a number to its last digit, text with its spaces; only an absent
value and empty text are alike."""

from lexsync.engine.diff import diff, flatten, masked
from lexsync.engine.plan import SENSITIVE


def test_numbers_compare_by_value_to_the_last_digit() -> None:
    assert diff({"price": 25}, {"price": 25.0}, frozenset()) == []
    # Once rounded to 4 decimals, so 0.123456 and 0.1235 were "equal" (issue 21, row 4).
    [change] = diff({"price": 0.123456}, {"price": 0.1235}, frozenset())
    assert (change.before, change.after) == (0.1235, 0.123456)
    [change] = diff({"price": 30}, {"price": 25.0}, frozenset())
    assert (change.path, change.before, change.after) == ("price", 25.0, 30)


def test_text_compares_with_its_spaces_and_empty_values_are_equal() -> None:
    # A read that trims text is a difference to report, not to hide (issue 21, row 7).
    [change] = diff({"notes": " (edited)"}, {"notes": "(edited)"}, frozenset())
    assert (change.before, change.after) == ("(edited)", " (edited)")
    assert diff({"redirect_url": ""}, {"redirect_url": None}, frozenset()) == []


def test_only_managed_attributes_are_compared() -> None:
    assert diff({"price": 10}, {"price": 10, "agent_name": "Set in the UI"}, frozenset()) == []


def test_nested_paths_are_readable() -> None:
    desired = {"field_mappings": {"st": {"source": "lead_field", "lead_field": "State",
                                         "map": {"California": "CA"}}}}
    live = {"field_mappings": {"st": {"source": "lead_field", "lead_field": "State",
                                      "map": {"California": "Calif"}}}}
    [change] = diff(desired, live, frozenset())
    assert change.path == "field_mappings[st].map.California"
    assert (change.before, change.after) == ("Calif", "CA")


def test_live_entries_of_owned_collections_not_in_yaml_are_removals() -> None:
    desired = {"field_mappings": {"a": {"source": "static", "value": "1"}}}
    live = {"field_mappings": {"a": {"source": "static", "value": "1"},
                               "b": {"source": "static", "value": "2"}}}
    changes = {c.path: (c.before, c.after) for c in diff(desired, live, frozenset())}
    assert changes == {"field_mappings[b].source": ("static", None),
                       "field_mappings[b].value": ("2", None)}


def test_criteria_flatten_to_one_readable_line_each() -> None:
    flat = flatten({"criteria": [{"field": "State", "op": "In", "value": "CA,NV", "type": "FieldValue"}]})
    assert flat == {"criteria[0]": "State In CA,NV"}


def test_sensitive_values_never_leave_as_plain_values() -> None:
    [change] = diff({"password": "sha256:new"}, {"password": "sha256:old"}, frozenset({"password"}))
    assert change.sensitive and change.before == SENSITIVE and change.after == SENSITIVE
    assert masked({"smtp": {"password": "sha256:x", "server": "s"}}, frozenset({"smtp.password"})) == {
        "smtp": {"password": SENSITIVE, "server": "s"}}


def test_values_with_nothing_to_hide_are_not_copied() -> None:
    sensitive = frozenset({"password", "smtp.password"})
    plain = {"url": "u", "smtp": {"server": "s"}, "ftp": None}
    assert masked(plain, sensitive) is plain
    secret = {"url": "u", "password": "h"}
    hidden = masked(secret, sensitive)
    assert hidden == {"url": "u", "password": SENSITIVE} and secret["password"] == "h"
    nested = {"smtp": {"server": "s", "password": "h"}}
    assert masked(nested, sensitive) == {"smtp": {"server": "s", "password": SENSITIVE}}
    assert nested["smtp"]["password"] == "h"
