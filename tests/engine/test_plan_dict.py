"""ResourceChange.to_dict keeps its shape, and round-trips."""

from __future__ import annotations

from lexsync.engine.plan import Action, AttributeChange, Plan, ResourceChange


def sample() -> ResourceChange:
    return ResourceChange(
        address="client.acme.delivery_account.ca", kind="delivery_account", action=Action.UPDATE,
        call="PUT /v1/delivery/{ClientUID}/accounts", before={"caps": {"day": 5}, "price": 25},
        after={"caps": {"day": 100}, "price": 25},
        changes=[AttributeChange("caps.day", 5, 100), AttributeChange("password", "(sensitive)",
                                                                      "(sensitive)", True)],
        depends_on=["client.acme"], reason=None, remote_id=42)


def test_to_dict_has_its_shape() -> None:
    assert sample().to_dict() == {
        "address": "client.acme.delivery_account.ca", "kind": "delivery_account",
        "action": "update", "call": "PUT /v1/delivery/{ClientUID}/accounts",
        "before": {"caps": {"day": 5}, "price": 25}, "after": {"caps": {"day": 100}, "price": 25},
        "changes": [{"path": "caps.day", "before": 5, "after": 100, "sensitive": False},
                    {"path": "password", "before": "(sensitive)", "after": "(sensitive)",
                     "sensitive": True}],
        "depends_on": ["client.acme"], "reason": None, "remote_id": 42,
    }  # "defaults" is written only for a create that has some


def test_to_dict_round_trips_through_a_plan() -> None:
    plan = Plan(changes=[sample()], dialect="rest", state_lineage="l", state_serial=3,
                live_digest="a", desired_digest="b")
    assert Plan.from_dict(plan.to_dict()).to_dict() == plan.to_dict()


def test_changes_are_fresh_dicts_so_masking_a_copy_leaves_the_plan_alone() -> None:
    change = sample()
    data = change.to_dict()
    data["changes"][0]["before"] = "masked"
    assert change.changes[0].before == 5
