"""The plan as a dict shaped like Terraform's JSON plan, so policy tools can read it."""

from __future__ import annotations

import re
from typing import Any

from lexsync.engine.plan import SENSITIVE, Action, Plan, ResourceChange

FORMAT_VERSION = "1.0"

# Terraform has no "retire"; "delete" is the closest action policy tools know.
_TERRAFORM_ACTIONS = {
    Action.CREATE: ["create"],
    Action.UPDATE: ["update"],
    Action.RETIRE: ["delete"],
    Action.NOOP: ["no-op"],
}
_PLAIN_KEY = re.compile(r"[^.\[\]]+")


def plan_to_json(plan: Plan) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "lexsync_plan": _masked_plan(plan),
        "resource_changes": [_resource_change(c) for c in plan.changes],
        "summary": plan.counts(),
        # Lost creates a person must settle: address, kind, reason, and `resolve`, the
        # `lexsync state resolve` commands with when each is the right one.
        "unsettled": [item.to_dict() for item in plan.unsettled],
    }


def _resource_change(change: ResourceChange) -> dict[str, Any]:
    body: dict[str, Any] = {
        "actions": list(_TERRAFORM_ACTIONS[change.action]),
        "before": change.before,
        "after": change.after,
        "before_sensitive": _sensitive_mask(change.before, change),
        "after_sensitive": _sensitive_mask(change.after, change),
    }
    if change.action is Action.RETIRE:
        body["lexsync_action"] = "retire"
    if change.defaults:
        body["lexsync_defaults"] = change.defaults  # sent on create, though the YAML omits them
    return {
        "address": change.address,
        "mode": "managed",
        "type": change.kind,
        "name": change.address.rsplit(".", 1)[-1],
        "change": body,
    }


def _sensitive_mask(value: Any, change: ResourceChange) -> dict[str, Any] | bool:
    """Terraform's *_sensitive: the value's shape with `true` wherever a secret sits."""
    if value is None:
        return False  # what Terraform writes for a missing side
    mask = _mask(value) if isinstance(value, dict) else None
    mask = mask if isinstance(mask, dict) else {}
    for attr in change.changes:
        if attr.sensitive and _PLAIN_KEY.fullmatch(attr.path):
            mask[attr.path] = True
    return mask


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return True if value == SENSITIVE else None
    if isinstance(value, dict):
        masked = {k: m for k, v in value.items() if (m := _mask(v)) is not None}
        return masked or None
    if isinstance(value, list):
        items = [_mask(v) for v in value]
        if all(m is None for m in items):
            return None
        return [False if m is None else m for m in items]
    return None


def _masked_plan(plan: Plan) -> dict[str, Any]:
    # The model should never hold a secret in a sensitive change; mask anyway, as defence.
    data = plan.to_dict()
    for change in data["changes"]:
        for attr in change["changes"]:
            if attr["sensitive"]:
                attr["before"] = attr["after"] = SENSITIVE
    return data
