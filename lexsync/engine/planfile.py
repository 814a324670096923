"""Saved plans: writing one, reading one back, and refusing one that is stale."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from lexsync.engine.plan import Plan
from lexsync.errors import LexsyncError, PlanStaleError


def check_not_stale(saved: Plan, fresh: Plan) -> None:
    """A saved plan applies only while state (lineage, serial and content) and the live values
    it was made from are unchanged."""
    reasons = []
    if saved.state_lineage != fresh.state_lineage:
        reasons.append("it was made for a different state (lineage differs)")
    elif saved.state_serial != fresh.state_serial:
        reasons.append(f"state changed since (serial {saved.state_serial} → {fresh.state_serial})")
    elif not saved.state_digest:
        reasons.append("it was saved by an older lexsync, without a digest of the state's content")
    elif saved.state_digest != fresh.state_digest:
        # An edit that kept the serial (by hand, by another tool) is a change all the same.
        reasons.append("the state's content changed since (its serial did not)")
    if saved.live_digest != fresh.live_digest:
        reasons.append("LeadExec's live values changed since")
    if saved.desired_digest != fresh.desired_digest:
        reasons.append("the configuration changed since")
    if saved.dialect != fresh.dialect:
        reasons.append(f"it was made for the {saved.dialect} dialect")
    if reasons:
        raise PlanStaleError("saved plan is stale: " + "; ".join(reasons) + ". Run plan again.")


def save_plan(plan: Plan, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(plan.to_dict(), handle, indent=2, sort_keys=True)
        handle.write("\n")


def load_plan(path: Path) -> Plan:
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
        return Plan.from_dict(data)
    except FileNotFoundError:
        raise LexsyncError(f"plan file {path} does not exist") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise LexsyncError(f"plan file {path} is not a lexsync plan: {exc}") from None
