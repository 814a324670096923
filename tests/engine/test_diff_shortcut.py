"""`diff` skips the flattened comparison for unchanged values; it must never hide a change."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from lexsync.engine.diff import diff, flat_diff

SENSITIVE = frozenset({"password", "smtp.password"})

leaf = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from([1.0, 2.5]),
                 st.sampled_from(["", "a", " a", "b", "CA"]))
block = st.dictionaries(st.sampled_from(["to", "password", "server", "California", "x"]), leaf,
                        max_size=4)
mapping = st.fixed_dictionaries({"source": st.sampled_from(["static", "lead_field"])},
                                optional={"value": leaf, "map": block})
criterion = st.fixed_dictionaries({"field": st.sampled_from(["State", "Age"]),
                                   "op": st.sampled_from(["In", "Equal"]),
                                   "value": st.sampled_from(["CA", "18,65", ""])},
                                  optional={"type": st.sampled_from(["FieldValue", "Expr"]),
                                            "expression": st.sampled_from(["", "x > 1"])})
attrs = st.fixed_dictionaries({}, optional={
    "price": leaf, "password": leaf, "fields": block, "smtp": block, "caps": block,
    "field_mappings": st.dictionaries(st.sampled_from(["fn", "st"]), mapping, max_size=2),
    "criteria": st.lists(criterion, max_size=2),
    "schedule": st.lists(st.sampled_from(["mon 08:00-18:00", "tue 09:00-17:00"]), max_size=2),
})


@st.composite
def desired_and_live(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A desired value and a live one that is mostly the same: equal, with extra live keys
    in blocks and collections, or with some values redrawn."""
    desired = draw(attrs)
    live: dict[str, Any] = {}
    for key, value in desired.items():
        if draw(st.booleans()):
            live[key] = value
        elif isinstance(value, dict):
            live[key] = {**value, **draw(st.dictionaries(st.sampled_from(["x", "y", "fn", "st"]),
                                                         mapping if key == "field_mappings" else leaf,
                                                         max_size=2))}
        elif draw(st.booleans()):
            live[key] = draw(attrs).get(key, value)
    live.update(draw(attrs.map(lambda extra: {k: v for k, v in extra.items() if k not in desired})))
    return desired, live


@settings(max_examples=400, deadline=None)
@given(desired_and_live())
def test_diff_finds_exactly_what_comparing_every_path_finds(pair: tuple[dict, dict]) -> None:
    desired, live = pair
    assert diff(desired, live, SENSITIVE) == flat_diff(desired, live, SENSITIVE)


def test_live_keys_the_yaml_does_not_manage_are_no_change() -> None:
    desired = {"status": "Active", "fields": {"Company": "Acme"}}
    live = {"status": "Active", "fields": {"Company": "Acme", "City": "", "Zip": "90210"}}
    assert diff(desired, live, frozenset()) == []


def test_a_managed_value_inside_a_larger_live_block_is_still_compared() -> None:
    desired = {"fields": {"Company": "Acme"}, "smtp": {"server": "mail", "password": "sha256:a"}}
    live = {"fields": {"Company": "Acme Inc", "City": ""},
            "smtp": {"server": "mail", "password": "sha256:b", "auth": False}}
    changes = {c.path: (c.before, c.after) for c in diff(desired, live, frozenset({"smtp.password"}))}
    assert changes == {"fields.Company": ("Acme Inc", "Acme"),
                       "smtp.password": ("(sensitive)", "(sensitive)")}


def test_extra_live_entries_of_whole_collections_are_changes() -> None:
    entry = {"field": "State", "op": "In", "value": "CA"}
    desired = {"criteria": [entry], "field_mappings": {"fn": {"source": "static"}}}
    live = {"criteria": [entry, {"field": "Age", "op": "Equal", "value": "18"}],
            "field_mappings": {"fn": {"source": "static"}, "ln": {"source": "static"}}}
    assert {c.path for c in diff(desired, live, frozenset())} == {
        "criteria[1]", "field_mappings[ln].source"}
