from __future__ import annotations

from lexsync.engine.plan import SENSITIVE, Action, AttributeChange, ResourceChange
from lexsync.render import values
from lexsync.render.lines import change_lines


def test_scalars() -> None:
    assert values.scalar(None) == "null"
    assert values.scalar(True) == "true"
    assert values.scalar(25.5) == "25.5"
    assert values.scalar('say "hi"') == '"say \\"hi\\""'
    assert values.scalar(SENSITIVE) == "(sensitive)"


def test_keys_needing_quotes_are_quoted() -> None:
    assert values.inline({"Company Name": "Acme", "Email": None}) == (
        '{ "Company Name" = "Acme", Email = null }')


def test_list_of_dicts_gets_one_line_per_item_and_long_items_expand() -> None:
    mappings = [
        {"name": "first_name", "lead_field": "FirstName"},
        {"name": "st", "lead_field": "State",
         "map": {"California": "CA", "Nevada": "NV", "Oregon": "OR", "Washington": "WA"}},
    ]
    assert values.block(mappings) == [
        "[",
        '    { name = "first_name", lead_field = "FirstName" },',
        "    {",
        '        name       = "st"',
        '        lead_field = "State"',
        '        map        = { California = "CA", Nevada = "NV", Oregon = "OR", Washington = "WA" }',
        "    },",
        "]",
    ]


def test_short_flat_values_stay_inline() -> None:
    assert values.block({"hour": 10, "day": 100}) == ["{ hour = 10, day = 100 }"]
    assert values.block(["CA", "NV"]) == ['["CA", "NV"]']
    assert values.block([]) == ["[]"]


def test_whole_list_change_joins_old_and_new() -> None:
    change = ResourceChange(
        "client.a.delivery_account.x", "delivery_account", Action.UPDATE, "PUT",
        before={"criteria": []}, after={"criteria": []},
        changes=[AttributeChange("criteria", [{"field": "State", "op": "In", "value": ["CA"]}],
                                 [{"field": "Age", "op": "Between", "value": [25, 65]}])])
    assert [line.text for line in change_lines(change)] == [
        "  # client.a.delivery_account.x will be updated in place",
        '  ~ delivery_account "x" {',
        "      ~ criteria = [",
        '            { field = "State", op = "In", value = ["CA"] },',
        "        ] -> [",
        '            { field = "Age", op = "Between", value = [25, 65] },',
        "        ]",
        "    }",
    ]
