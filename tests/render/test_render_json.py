from __future__ import annotations

import json

from lexsync.engine.plan import SENSITIVE, Action, AttributeChange, Plan, ResourceChange
from lexsync.render.json import plan_to_json


def test_top_level_shape(full_plan: Plan) -> None:
    data = plan_to_json(full_plan)
    assert list(data) == ["format_version", "lexsync_plan", "resource_changes", "summary",
                          "unsettled"]
    assert data["unsettled"] == []
    assert data["format_version"] == "1.0"
    assert data["lexsync_plan"] == full_plan.to_dict()
    assert Plan.from_dict(data["lexsync_plan"]) == full_plan
    assert data["summary"] == {"create": 1, "update": 1, "retire": 1, "no-op": 1}
    json.dumps(data)  # serialisable as is


def test_actions_map_to_terraform_names(full_plan: Plan) -> None:
    changes = {rc["address"]: rc for rc in plan_to_json(full_plan)["resource_changes"]}
    assert [rc["address"] for rc in plan_to_json(full_plan)["resource_changes"]] == [
        c.address for c in full_plan.changes]
    assert changes["client.acme"]["change"]["actions"] == ["create"]
    assert changes["client.acme.delivery_method.acme-post"]["change"]["actions"] == ["update"]
    retire = changes["client.acme.delivery_account.acme-tx"]
    assert retire["change"]["actions"] == ["delete"]
    assert retire["change"]["lexsync_action"] == "retire"
    noop = changes["client_group.premium"]
    assert noop["change"]["actions"] == ["no-op"]
    assert "lexsync_action" not in noop["change"]
    assert (retire["type"], retire["name"], retire["mode"]) == (
        "delivery_account", "acme-tx", "managed")


def test_before_after_and_sensitive_masks(full_plan: Plan) -> None:
    changes = {rc["address"]: rc["change"] for rc in plan_to_json(full_plan)["resource_changes"]}
    create = changes["client.acme"]
    assert create["before"] is None
    assert create["after"]["username"] == "acme-portal"
    assert create["before_sensitive"] is False
    assert create["after_sensitive"] == {"password": True}
    update = changes["client.acme.delivery_method.acme-post"]
    assert update["before"]["url"] == "https://acme.example/leads"
    assert update["after"]["url"] == "https://acme.example/v2/leads"
    assert update["after_sensitive"] == {"password": True}
    assert changes["client.acme.delivery_account.acme-tx"]["after_sensitive"] == {}


def test_nested_secrets_are_marked_in_place() -> None:
    after = {"fields": {"Api Key": SENSITIVE, "Company": "Acme"},
             "headers": [{"name": "X", "value": "v"}, {"name": "Auth", "value": SENSITIVE}]}
    plan = Plan(changes=[ResourceChange("client.a", "client", Action.CREATE, "POST", after=after)],
                dialect="rest", state_lineage="l", state_serial=0, live_digest="a",
                desired_digest="b")
    mask = plan_to_json(plan)["resource_changes"][0]["change"]["after_sensitive"]
    assert mask == {"fields": {"Api Key": True}, "headers": [False, {"value": True}]}


def test_a_leaked_secret_in_a_sensitive_change_is_masked() -> None:
    change = ResourceChange(
        "client.a", "client", Action.UPDATE, "POST", before={}, after={},
        changes=[AttributeChange("password", "old-hunter2", "hunter2", sensitive=True)])
    plan = Plan(changes=[change], dialect="rest", state_lineage="l", state_serial=1,
                live_digest="a", desired_digest="b")
    data = plan_to_json(plan)
    assert "hunter2" not in json.dumps(data)
    assert data["lexsync_plan"]["changes"][0]["changes"][0]["after"] == SENSITIVE
    assert data["resource_changes"][0]["change"]["after_sensitive"] == {"password": True}
    assert change.after == {}  # the plan itself is left untouched
    assert change.changes[0].after == "hunter2"
