"""Where the seed texts leave LeadExec's behaviour open, what the plan and the post-apply
check make of it (docs/wire.md, "Open points").

- `plan_problems`: writes no apply can make under the behaviour lexsync knows of (measured
  by `lexsync doctor --write-probe`, or seen after an earlier apply), refused with the
  limitation named, so no plan repeats a change that can never land.
- `relied_on`: the measured behaviour a plan relies on, for the plan to say.
- `explain`: after an apply, what LeadExec did instead of what was sent, in words a person
  can act on, and the findings that lets lexsync keep (state's `wire`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lexsync.api.behaviour import WireBehaviour
from lexsync.api.protocol import LeadExecClient
from lexsync.engine.diff import criterion_text, diff
from lexsync.engine.plan import Action, AttributeChange
from lexsync.engine.planner import PlanBundle, PlanProblems
from lexsync.engine.steps import Step
from lexsync.errors import Diagnostic
from lexsync.state.document import StateDocument

DOCTOR = "`lexsync doctor --write-probe` measures what this LeadExec takes"
# The SOAP list each attribute is written through, and the element carrying its items.
SOAP_LISTS = {"criteria": "Criteria", "field_mappings": "FieldSettings", "schedule": "DeliveryDays",
              "fields": "FieldData"}
REST_LISTS = {"field_mappings": "FieldSettings"}
# The SOAP writes whose answers' IDs are findings (the open point; REST answers carry one).
SAVED_ID_FINDINGS = frozenset(f"saved_id.{m}" for m in (
    "AddEditClientGroup", "AddEditClient", "AddEditClientDelivery", "AddEditClientAccount"))
CLIENT_STATUSES = ("New", "Pending", "Working", "Waiting", "Dead", "Inactive", "Active", "Late",
                   "Suspended", "Closed")


def _measured(behaviour: WireBehaviour, name: str) -> str:
    finding = behaviour.findings[name]
    how = "measured by lexsync doctor" if finding.source == "doctor" else "seen after an apply"
    return f"{how} on {finding.at[:10]}"


# --- plan ----------------------------------------------------------------------------------

def plan_problems(steps: list[Step], behaviour: WireBehaviour, dialect: str,
                  item_tags: Mapping[str, str]) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    for step in steps:
        change = step.change
        if change.action not in (Action.CREATE, Action.UPDATE) or step.desired is None:
            continue
        attrs = step.desired.attrs
        address = change.address
        if (step.kind.kind == "delivery_method" and change.action is Action.CREATE
                and dialect == "soap" and behaviour.known("saved_id.AddEditClientDelivery")
                and not behaviour.saved_id("AddEditClientDelivery")):
            problems.append(Diagnostic(
                summary="AddEditClientDelivery answers no saved ID ("
                        + _measured(behaviour, "saved_id.AddEditClientDelivery") + "), and "
                        "LeadExec shows a delivery method only through an account that uses "
                        "it, so lexsync cannot learn the ID of a method it creates over SOAP",
                address=address,
                detail="create it with the rest dialect, whose answer carries the ID: set "
                       "`lexsync: {dialect: rest}` for that apply, then return to soap "
                       "(docs/wire.md, \"SOAP writes without saved IDs\")"))
        if (step.kind.kind == "delivery_account" and change.action is Action.UPDATE
                and behaviour.get("criteria_lists") == "merge" and step.live is not None
                and "criteria" in attrs):
            stranded = _stranded_criteria(attrs["criteria"], step.live.attrs.get("criteria") or [])
            if stranded:
                problems.append(Diagnostic(
                    summary="LeadExec merges a criteria list into the stored one ("
                            + _measured(behaviour, "criteria_lists") + ") and a criterion has "
                            "no Delete flag, so no write can remove "
                            + "; ".join(criterion_text(c) for c in stranded),
                    address=address,
                    detail="remove it in LeadExec (then plan again), or keep it in the YAML"))
        for attr, value in attrs.items():
            if not value:
                continue
            ignored = _ignored_name(behaviour, dialect, attr, item_tags)
            if ignored is not None:
                what, name, finding = ignored
                problems.append(Diagnostic(
                    summary=f"LeadExec ignored {what} lexsync sent as {name} ("
                            + _measured(behaviour, finding) + "), so this write would lose "
                            f"its {attr.replace('_', ' ')} again",
                    address=address, detail=DOCTOR + ", and lexsync then sends that"))
    return problems


def _stranded_criteria(wanted: list[dict[str, Any]], live: list[dict[str, Any]]
                       ) -> list[dict[str, Any]]:
    """The live criteria a write of `wanted` cannot get rid of when lists are merged: those
    past the end of the list sent (the ones before are updated in place, by their IDs)."""
    return live[len(wanted):]


def _ignored_name(behaviour: WireBehaviour, dialect: str, attr: str,
                  item_tags: Mapping[str, str]) -> tuple[str, str, str] | None:
    """(what, the name, its finding) when `attr` would be sent under a name LeadExec was seen
    to ignore."""
    if dialect == "soap" and attr in SOAP_LISTS:
        list_field = SOAP_LISTS[attr]
        finding = f"ignored.soap.{list_field}"
        name = item_tags.get(list_field, "")
        if behaviour.known(finding) and behaviour.get(finding) == name:
            return f"the <{list_field}> items", f"<{name}>", finding
    if dialect == "rest" and attr in REST_LISTS:
        finding = "ignored.rest.FieldSettings"
        name = "Settings" if behaviour.get("rest_lists") == "table" else "FieldSettings"
        if behaviour.known(finding) and behaviour.get(finding) == name:
            return "the list", name, finding
    return None


def relied_on(behaviour: WireBehaviour, steps: list[Step], dialect: str) -> list[str]:
    """The measured behaviour this plan's writes rely on, one line each."""
    if not behaviour.findings:
        return []
    kinds = {s.kind.kind for s in steps if s.change.action is not Action.NOOP}
    if not kinds:  # nothing to write: only how the reads were understood
        return behaviour.summary(["client_status"])
    wanted: list[str] = []
    if dialect == "soap":
        wanted += [name for name in behaviour.findings if name.startswith("saved_id.")]
    elif "client_group" in kinds:  # groups are written over SOAP in both dialects
        wanted.append("saved_id.AddEditClientGroup")
    if "delivery_account" in kinds:
        wanted.append("criteria_lists")
    if "delivery_method" in kinds:
        wanted += ["day_lists", "rest_lists" if dialect == "rest" else "mapping_list"]
    if "client" in kinds:
        wanted.append("field_data")
    wanted += ["omitted_fields", "client_status", "token_encoding" if dialect == "rest" else ""]
    if dialect == "soap":
        wanted += [name for name in behaviour.findings if name.startswith("item.")]
    lines = behaviour.summary([name for name in wanted if name])
    if dialect == "soap" and behaviour.get("omitted_fields") == "clear":
        if "delivery_account" in kinds:
            lines.append("AddEditClientAccount carries no WeekMax, AlternatePosting or Offer* "
                         "fields and LeadExec clears what a write omits: each account update "
                         "resets them")
        if "client" in kinds:
            lines.append("AddEditClient carries no automation type and LeadExec clears what a "
                         "write omits: each client update resets it to its default")
    return lines


# --- after apply ---------------------------------------------------------------------------

@dataclass
class Explained:
    """What the post-apply check found for one resource."""

    problems: list[str] = field(default_factory=list)
    findings: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (value, detail)


def explain(step: Step, after: dict[str, Any], dialect: str, item_tags: Mapping[str, str],
            raw_status: Any = None, rest_lists: str = "example") -> Explained:
    """Compare what the apply wanted with what LeadExec shows after it, and say what LeadExec
    did instead. `raw_status` is a client's status as GetClientList answered it."""
    assert step.desired is not None
    out = Explained()
    address = step.change.address
    desired = step.desired.attrs
    handled: set[str] = set()
    before = step.live.attrs if step.live is not None and step.live.observable else None
    for attr in ("criteria", "field_mappings", "schedule", "fields"):
        wanted = desired.get(attr)
        if not wanted:
            continue
        got = after.get(attr)
        if not got:
            handled.add(attr)
            out.problems.append(f"{address}: {attr.replace('_', ' ')}: LeadExec kept none of "
                                f"the {len(wanted)} sent, and answered no error: "
                                + _ignored_because(attr, dialect, item_tags, rest_lists, out))
    if desired.get("criteria") and after.get("criteria") and before is not None:
        wanted, got = desired["criteria"], after["criteria"]
        if len(got) > len(wanted) and got[len(wanted):] == before.get("criteria", [])[len(wanted):]:
            handled.add("criteria")
            out.findings["criteria_lists"] = ("merge", f"{address} kept criteria a write left out")
            out.problems.append(
                f"{address}: criteria: LeadExec kept "
                + "; ".join(criterion_text(c) for c in got[len(wanted):])
                + ", which this write left out: it merges a criteria list into the stored one, "
                  "and a criterion has no Delete flag, so no write can remove it. Remove it in "
                  "LeadExec; lexsync's next plan says so instead of trying again")
    if step.kind.kind == "client" and "status" in desired and after.get("status") != desired["status"]:
        handled.add("status")
        out.problems.append(f"{address}: status: " + _status_numbering(desired["status"],
                                                                       raw_status, out))
    for change in diff(desired, after, step.kind.sensitive):
        if _root(change) in handled:
            continue
        out.problems.append(f"{address}: {change.path} is {change.before!r} in LeadExec after "
                            f"apply, expected {change.after!r}")
    if before is not None:
        for key in sorted(set(before) & set(after) - set(desired)):
            if _same(before[key], after[key]):
                continue
            shown = "(sensitive)" if key in step.kind.sensitive else f"{after[key]!r}"
            was = "(sensitive)" if key in step.kind.sensitive else f"{before[key]!r}"
            out.findings["omitted_fields"] = ("clear", f"{address}.{key} was cleared")
            out.problems.append(
                f"{address}: {key} changed from {was} to {shown} in LeadExec although this "
                "write did not change it: LeadExec clears what a write omits. lexsync now "
                "knows it and sends what it can read back; set the value again in LeadExec "
                "or manage it in the YAML")
    return out


def _root(change: AttributeChange) -> str:
    return change.path.split("[", 1)[0].split(".", 1)[0]


def _same(a: Any, b: Any) -> bool:
    if a in (None, "") and b in (None, ""):
        return True
    return bool(a == b)


def _ignored_because(attr: str, dialect: str, item_tags: Mapping[str, str], rest_lists: str,
                     out: Explained) -> str:
    if dialect == "soap" and attr in SOAP_LISTS:
        list_field = SOAP_LISTS[attr]
        name = item_tags.get(list_field, "")
        out.findings[f"ignored.soap.{list_field}"] = (name, f"<{list_field}> items ignored")
        return (f"it does not take <{list_field}> items named <{name}> (a .NET endpoint skips "
                f"elements it does not know). {DOCTOR}")
    if dialect == "rest" and attr in REST_LISTS:
        name = "Settings" if rest_lists == "table" else "FieldSettings"
        out.findings["ignored.rest.FieldSettings"] = (name, "v1 list ignored")
        return (f"it does not take the list named {name} (the v1 reference names it both "
                f"Settings and FieldSettings). {DOCTOR}")
    return f"the list was not kept. {DOCTOR}"


def _status_numbering(wanted: str, raw: Any, out: Explained) -> str:
    if isinstance(raw, int) and wanted in CLIENT_STATUSES:
        index = CLIENT_STATUSES.index(wanted)
        if raw == index + 1:
            out.findings["client_status"] = ("index1", f"wrote {wanted}, read {raw}")
            return (f"LeadExec answers {raw} for {wanted!r}: it numbers client statuses from 1 "
                    "(New=1), not from 0 as lexsync assumed; lexsync now knows it, and the "
                    "next plan reads statuses that way")
        return (f"LeadExec answers {raw} for {wanted!r}, which is neither its position from 0 "
                f"nor from 1 in the ClientStatus list. {DOCTOR}")
    return f"LeadExec answers {raw!r} after lexsync wrote {wanted!r}"


# --- the session's seams -------------------------------------------------------------------

def use_state_behaviour(api: LeadExecClient, state: StateDocument) -> None:
    api.use_behaviour(WireBehaviour.from_state(state.wire))


async def load_state_prefetching(api: LeadExecClient, load: Callable[[], StateDocument]
                                 ) -> StateDocument:
    """State, loaded (`load`) on a thread while the reads every plan and import make first,
    whatever state holds (the client list, the lead types), travel: at 10,000 buyers state
    takes ~0.2 s to load, and LeadExec answers the client list in about as long. What state
    says of how LeadExec answers (a client's status numbering) is taken before any answer is
    decoded."""
    api.prefetch()
    state = await asyncio.to_thread(load)
    use_state_behaviour(api, state)
    return state


def check_plan(bundle: PlanBundle, api: LeadExecClient) -> None:
    """Refuse what no apply can do under the known behaviour (PlanProblems), and have the plan
    say which measured behaviour it relies on."""
    behaviour = api.behaviour
    if not behaviour.findings:
        return
    dialect = bundle.ctx.dialect
    item_tags = api.item_tags()
    problems = plan_problems(bundle.steps, behaviour, dialect, item_tags)
    if problems:
        raise PlanProblems(problems)
    bundle.plan.relies_on = relied_on(behaviour, bundle.steps, dialect)
