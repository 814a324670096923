"""Saved plans: writing one, reading one back, and refusing one that is stale.

A saved plan remembers which LeadExec it was made against ("sandbox", or the base URL without
any credential), so `apply FILE` reaches the same one without being told again, and refuses
to apply it anywhere else.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lexsync.engine.endpoint import normal_url
from lexsync.engine.plan import PLAN_FORMAT, Plan
from lexsync.errors import LexsyncError, PlanStaleError

SANDBOX = "sandbox"


@dataclass
class SavedPlan:
    plan: Plan
    api: str | None = None  # "sandbox" or a base URL; None from a plan saved before it was kept
    retire_all: bool = False  # made with --retire-all: applying exactly it needs no flag again
    targets: tuple[str, ...] = ()  # made with --target: applied with the same


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
    if saved.format_version < PLAN_FORMAT:
        reasons.append("it was saved by an older lexsync, whose digests of the live values and "
                       "the configuration are made otherwise")
    else:
        if saved.live_digest != fresh.live_digest:
            reasons.append("LeadExec's live values changed since")
        if saved.desired_digest != fresh.desired_digest:
            reasons.append("the configuration changed since")
    if saved.dialect != fresh.dialect:
        reasons.append(f"it was made for the {saved.dialect} dialect")
    if reasons:
        raise PlanStaleError("saved plan is stale: " + "; ".join(reasons) + ". Run plan again.")


def api_of(url: str | None, sandbox: bool) -> str | None:
    """What a saved plan records of the LeadExec it was made against: never a credential."""
    if sandbox:
        return SANDBOX
    return normal_url(url) if url else None


def api_for_apply(saved: SavedPlan, path: Path, given: str | None, source: str) -> str | None:
    """The --api value to apply `saved` with: the one it was made against, unless `given`
    names it too; another one is refused."""
    if saved.api is None:
        return given  # saved before plans remembered their LeadExec
    if given is None:
        return saved.api
    same = given == SANDBOX if saved.api == SANDBOX else (
        given != SANDBOX and normal_url(given) == saved.api)
    if not same:
        made = "the sandbox" if saved.api == SANDBOX else saved.api
        now = "the sandbox" if given == SANDBOX else given
        raise LexsyncError(f"{path} was made against {made}, but {source} names {now}. A saved "
                           f"plan applies only where it was made: drop {source} to apply it "
                           "there, or run plan again against the other LeadExec")
    return given


def save_plan(plan: Plan, path: Path, api: str | None = None, retire_all: bool = False,
              targets: tuple[str, ...] = ()) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = plan.to_dict()
    if api is not None:
        data["api"] = api
    if retire_all:
        data["retire_all"] = True
    if targets:
        data["targets"] = list(targets)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
        handle.write("\n")


def load_saved_plan(path: Path) -> SavedPlan:
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
        api = data.get("api")
        if api is not None and not isinstance(api, str):
            raise ValueError("api is not text")
        targets = data.get("targets", [])
        if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
            raise ValueError("targets is not a list of addresses")
        return SavedPlan(Plan.from_dict(data), api, data.get("retire_all") is True,
                         tuple(targets))
    except FileNotFoundError:
        raise LexsyncError(f"plan file {path} does not exist") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise LexsyncError(f"plan file {path} is not a lexsync plan: {exc}") from None


def targets_for_apply(saved: SavedPlan, path: Path, targets: tuple[str, ...]) -> tuple[str, ...]:
    """The targets a saved plan is applied with: those it was made with. A --target given
    with it must name the same, as the plan it checks against is made with them."""
    if targets and set(targets) != set(saved.targets):
        made = " ".join(f"--target {t}" for t in saved.targets) or "no --target"
        raise LexsyncError(f"plan file {path} was made with {made}: apply it without --target, "
                           "and it applies with what it was made with")
    return saved.targets


def load_plan(path: Path) -> Plan:
    return load_saved_plan(path).plan
