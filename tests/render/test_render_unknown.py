"""Values lexsync does not know print as (unknown); a block of them, once."""

from __future__ import annotations

from lexsync.engine.plan import Action, AttributeChange, ResourceChange
from lexsync.render.lines import change_lines
from lexsync.resources.wirefields import UNKNOWN


def test_unknown_values_print_bare_and_an_unknown_block_prints_once() -> None:
    change = ResourceChange(
        address="client.acme.delivery_account.ca", kind="delivery_account", action=Action.UPDATE,
        call="PUT", before={}, after={},
        changes=[AttributeChange("caps.week", UNKNOWN, 400),
                 AttributeChange("offer.enabled", UNKNOWN, False),
                 AttributeChange("offer.name", UNKNOWN, ""),
                 AttributeChange("price", 25, 26)])
    text = [line.text for line in change_lines(change)]
    assert "      ~ caps.week = (unknown) -> 400" in text
    assert "      ~ offer     = (unknown) -> { enabled = false, name = \"\" }" in text
    assert "      ~ price     = 25 -> 26" in text
    assert not any("offer.name" in line for line in text)
