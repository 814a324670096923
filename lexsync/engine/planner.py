"""Desired + live + state → an ordered plan, and the steps apply will execute for it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from lexsync.engine import lost_create
from lexsync.engine.diff import masked
from lexsync.engine.plan import Action, AttributeChange, Plan, ResourceChange, Unsettled
from lexsync.engine.steps import Step, client_key, previous_as_live, shared, step_for
from lexsync.errors import Diagnostic, LexsyncError
from lexsync.resources.base import Context, Desired, IdMap, Live, ResourceKind
from lexsync.resources.live import LiveView
from lexsync.resources.registry import KINDS, kind_name
from lexsync.state.document import ResourceState, StateDocument


@dataclass
class PlanBundle:
    plan: Plan
    steps: list[Step]
    ctx: Context
    problems: list[Diagnostic] = field(default_factory=list)


class PlanProblems(Exception):
    """Problems found while planning (ambiguous adoption, creates LeadExec would refuse)."""

    def __init__(self, problems: list[Diagnostic]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


class Digests:
    """SHA-256 of every value by address, one address at a time, in any order: each value's
    own digest is taken as it is seen (so the value itself need not be kept), and the whole
    is the digest of those, by address. Each `[address, value]` is hashed as a JSON array, so
    values read one way only."""

    def __init__(self) -> None:
        self._by_address: dict[str, bytes] = {}

    def add(self, address: str, value: Any) -> None:
        text = json.dumps([address, value], sort_keys=True, default=str)
        self._by_address[address] = hashlib.sha256(text.encode()).digest()

    def hexdigest(self) -> str:
        hashed = hashlib.sha256()
        for address in sorted(self._by_address):
            hashed.update(self._by_address[address])
        return hashed.hexdigest()


def digest(values: dict[str, Any]) -> str:
    """The digest `Digests` gives of these values by address."""
    digests = Digests()
    for address, value in values.items():
        digests.add(address, value)
    return digests.hexdigest()


def build_plan(desired_by_kind: dict[str, list[Desired]], state: StateDocument, view: LiveView,
               ctx: Context, *, adopt: bool = False, targets: tuple[str, ...] = (),
               release: bool = False) -> PlanBundle:
    """One step per resource the configuration or state names (with `targets`, per resource
    under them and per create they need), in dependency order, and the plan they make.

    With `release`, the answer of each resource that will not be written is let go as soon
    as its step is made: the view then holds only what the plan writes or claims nothing
    of, and a plan of thousands never holds every answer beside every observed value."""
    planned = _under_targets(desired_by_kind, state, targets) if targets else None
    builder = PlanBuilder(state, view, ctx, adopt=adopt, targets=targets, release=release,
                          planned=planned)
    builder.add([d for kind in KINDS for d in desired_by_kind.get(kind.kind, [])])
    return builder.finish()


class PlanBuilder:
    """A plan built a part at a time: `add` plans desired resources (the groups, then one
    client's resources, say, as soon as its answers are read), `finish` plans what state
    records that nothing added claims, orders the steps and makes the plan.

    Every resource a later part depends on must be added before it (a client's group before
    the client; `add` takes each part's resources in kind order). The steps keep the
    configuration's order (`client_order`), whatever order the parts come in."""

    def __init__(self, state: StateDocument, view: LiveView, ctx: Context, *,
                 adopt: bool = False, targets: tuple[str, ...] = (), release: bool = False,
                 planned: set[str] | None = None, client_order: list[str] | None = None) -> None:
        self.state, self.view, self.ctx = state, view, ctx
        self.adopt, self.targets, self.release = adopt, targets, release
        self.planned = planned  # a targeted plan's addresses (None: all)
        self.client_rank = {key: rank for rank, key in enumerate(client_order or [])}
        self.steps: list[Step] = []
        self.order: dict[int, tuple[int, int]] = {}  # id(step) -> (client rank, place in part)
        self.problems: list[Diagnostic] = []
        # What LeadExec cannot show, by address: noted for the steps the plan keeps.
        self.unobservable: dict[str, str] = {}
        self.live_seen = Digests()
        self.desired_seen = Digests()
        self.wanted: set[str] = set()  # every desired address added
        self.claimed: set[tuple[str, int]] = set()
        self.changing: set[str] = set()  # addresses of steps that write: their dependants may move
        self.unsettled: dict[str, Unsettled] = {}  # lost creates only a person can settle
        # Adoption's candidates by (kind, client key), then by natural key: observed once a
        # plan, not once a desired resource (which was quadratic in the network's size).
        self.candidates: dict[tuple[str, str | None], dict[str, list[Live]]] = {}

    def add(self, desired_list: list[Desired]) -> None:
        """Plan these desired resources, in kind order (a kind's dependencies first)."""
        for place, kind in enumerate(KINDS):
            # An object is observed with the addresses of those of earlier kinds it refers
            # to (a client's group, an account's method): candidates are observed anew once
            # those are adopted.
            self.candidates.clear()
            for index, desired in enumerate(desired_list):
                if desired.kind != kind.kind:
                    continue
                self.wanted.add(desired.address)
                if self.planned is None or desired.address in self.planned:
                    step = self._plan(kind, desired)
                    key = client_key(desired.address)
                    rank = -1 if key is None else \
                        self.client_rank.setdefault(key, len(self.client_rank))
                    self.order[id(step)] = (rank, place * len(desired_list) + index)

    def _candidates(self, kind: ResourceKind, client: str | None) -> dict[str, list[Live]]:
        """The live objects of `kind` under `client`, by natural key (`live_candidates`)."""
        found = self.candidates.get((kind.kind, client))
        if found is None:
            found = self.candidates[(kind.kind, client)] = {}
            for live in kind.live_candidates(self.view, self.ctx, client):
                found.setdefault(kind.natural_key(live.attrs), []).append(live)
        return found

    def _plan(self, kind: ResourceKind, desired: Desired) -> Step:
        state, view, ctx = self.state, self.view, self.ctx
        # Built for this step, which keeps it: state keeps its record as stored, and a step
        # that settles keeps it packed.
        record = state.resources.peek(desired.address)
        live = _find_live(kind, view, desired.address, record, ctx) if record else None
        reason = None
        if record and live is None:
            reason = "recorded in state but not found in LeadExec"
        if record is None and self.adopt:
            live = _adopt(kind, desired, self._candidates(kind, desired.client), ctx,
                          self.claimed, self.problems)
            if live is not None:
                reason = f"adopted live object {live.remote_id} by natural key"
        if live is not None:
            ctx.ids[desired.address] = live.remote_id
            self.claimed.add((kind.kind, live.remote_id))
            if not live.observable:
                self.unobservable[desired.address] = (
                    f"{desired.address}: no delivery account uses this method, so LeadExec cannot "
                    "show it; compared with the last applied values")
        self.desired_seen.add(desired.address, desired.attrs)
        if live is None:
            self.problems += [Diagnostic(summary=text, address=desired.address)
                              for text in kind.create_problems(desired)]
            if record is None and desired.address in state.pending:
                reason = _lost_create(kind, desired.address, desired.attrs, desired.client,
                                      view, ctx, self.unsettled)
        step = step_for(kind, desired, live, record, reason, ctx)
        if live is not None:
            self.live_seen.add(desired.address, live.attrs)  # as step_for left it
            if record is not None:
                # What state last recorded is, as a rule, what LeadExec shows (and the YAML
                # says): one copy of each value, not three. (No attributes are changed in
                # place: a write records a new ResourceState.)
                record.attributes = shared(record.attributes, live.attrs)
                if record.sub_ids == live.sub_ids:  # (sub-ID maps are copied, never changed)
                    record.sub_ids = live.sub_ids
        else:
            step.change.defaults = kind.create_defaults(desired, ctx)
        self.steps.append(step)
        if step.change.action is not Action.NOOP:
            self.changing.add(desired.address)
        elif self.release and live is not None and self.changing.isdisjoint(desired.depends_on):
            # No write, and nothing it depends on changes (which could move it along:
            # _move_dependants), so no write will need its answer, and its values are only
            # read from now on.
            kind.release(view, live)
            step.settle()
        return step

    def finish(self) -> PlanBundle:
        """Plan what state records that no part claimed (retired, or a lost create no longer
        configured), move dependants, order the steps and make the plan."""
        state, view, ctx, planned = self.state, self.view, self.ctx, self.planned
        retire_steps: list[Step] = []
        # A targeted plan builds no other record.
        unclaimed = [a for a in state.resources if a not in self.wanted
                     and (planned is None or a in planned)]
        for kind in KINDS:
            for address in unclaimed:
                record = state.resources[address]
                if record.kind != kind.kind:
                    continue
                ctx.ids.setdefault(address, record.remote_id)
                live = _find_live(kind, view, address, record, ctx)
                if live is not None:
                    self.live_seen.add(address, live.attrs)
                retire_steps.append(_retire_step(kind, address, live, record, ctx))
            for address, marker in state.pending.items():
                if marker.get("kind") != kind.kind or address in self.wanted \
                        or address in state.resources \
                        or (planned is not None and not in_targets(address, self.targets)):
                    continue
                attributes = marker.get("attributes")
                _lost_create(kind, address, attributes if isinstance(attributes, dict) else {},
                             address.split(".")[1] if kind.parent else None, view, ctx,
                             self.unsettled, configured=False)
        order = self.order
        steps = sorted(self.steps, key=lambda s: (s.kind.level, *order[id(s)]))
        moved = _move_dependants(steps, self.problems)
        if self.problems:
            raise PlanProblems(self.problems)
        retire_steps.sort(key=lambda s: -s.kind.level)
        ordered = steps + retire_steps
        if self.targets:
            ordered = _targeted(ordered, self.targets, moved)
            kept = {id(step) for step in ordered}
            steps = [step for step in steps if id(step) in kept]
        notes = [self.unobservable[s.change.address] for s in steps
                 if s.change.address in self.unobservable]
        if ctx.dialect == "rest" and any(s.kind.kind == "delivery_account" for s in steps):
            notes.append("caps.week, alternate_posting, offer: account reads carry no WeekMax, "
                         "AlternatePosting or Offer*; compared with the last applied values")
        unsettled = self.unsettled
        kept_addresses = {s.change.address for s in ordered} if unsettled else set()
        plan = Plan(
            changes=[s.change for s in ordered],
            dialect=ctx.dialect,
            state_lineage=state.lineage,
            state_serial=state.serial,
            live_digest=self.live_seen.hexdigest(),
            desired_digest=self.desired_seen.hexdigest(),
            unobservable=notes,
            # The text state was read from, fixed now: apply changes the document afterwards.
            state_digest=state.source_digest or state.content_digest(),
            # A targeted plan's: those of its steps, and those under its targets no longer
            # configured.
            unsettled=[unsettled[a] for a in sorted(unsettled)
                       if a in kept_addresses or a not in self.wanted],
        )
        return PlanBundle(plan=plan, steps=ordered, ctx=ctx)


def _lost_create(kind: ResourceKind, address: str, attrs: dict[str, Any], client_key: str | None,
                 view: LiveView, ctx: Context, unsettled: dict[str, Unsettled], *,
                 configured: bool = True) -> str:
    """An earlier run's create whose answer was lost, looked for as apply will look for it:
    what apply will do (the change's reason), and what only a person can settle."""
    lookup = lost_create.look_up(kind, attrs, client_key, view, ctx,
                                 lost_create.claimed(kind, ctx.ids))
    item = lost_create.unsettled(kind, address, lookup, configured=configured)
    if item is not None:
        unsettled[address] = item
        return "unsettled: an earlier run's create whose answer was lost; apply will not send it " \
               "until `lexsync state resolve` settles it"
    if lookup.found is not None:
        return f"an earlier run's create whose answer was lost is in LeadExec as ID " \
               f"{lookup.found}: apply records that ID and sends nothing"
    return "an earlier run's create whose answer was lost is not in LeadExec: apply sends it again"


def _find_live(kind: ResourceKind, view: LiveView, address: str, record: ResourceState,
               ctx: Context) -> Live | None:
    client_key = address.split(".")[1] if kind.parent else None
    return kind.find_live(view, record.remote_id, ctx, previous_as_live(record), client_key)


def in_targets(address: str, targets: tuple[str, ...]) -> bool:
    return any(address == t or address.startswith(t + ".") for t in targets)


def under_targets(addresses: Iterable[str], targets: tuple[str, ...]) -> list[str]:
    """`in_targets` of many addresses (every record of a large state) at C speed."""
    exact, dotted = set(targets), tuple(t + "." for t in targets)
    return [a for a in addresses if a in exact or a.startswith(dotted)]


def refuse_targets_naming_nothing(steps: list[Step], targets: tuple[str, ...]) -> None:
    """A plan, apply or drift of nothing is no finding: "No changes" would hide a mistyped
    address."""
    for target in targets:
        if not any(in_targets(step.change.address, (target,)) for step in steps):
            raise LexsyncError(f"--target {target} names nothing in the configuration or the "
                               "state, so there is nothing to plan or check (an address is "
                               "client.NAME, client_group.NAME or one under a client)")


def _under_targets(desired_by_kind: dict[str, list[Desired]], state: StateDocument,
                   targets: tuple[str, ...]) -> set[str]:
    """The addresses a targeted plan plans: those under its targets, and what they depend on
    that state does not record (those may need creating; what state records exists)."""
    desired = {d.address: d for kind in desired_by_kind.values() for d in kind}
    planned = set(under_targets(desired, targets)) | set(under_targets(state.resources, targets))
    # The accounts of a planned method, which move with it when its lead type changes.
    planned |= {a for a, d in desired.items()
                if d.kind == "delivery_account" and planned.intersection(d.depends_on)}
    pending = [d for a in planned if a in desired for d in desired[a].depends_on]
    while pending:
        address = pending.pop()
        if address in planned or address in state.resources or address not in desired:
            continue
        planned.add(address)
        pending += desired[address].depends_on
    return planned


def _adopt(kind: ResourceKind, desired: Desired, candidates: dict[str, list[Live]],
           ctx: Context, claimed: set[tuple[str, int]], problems: list[Diagnostic]) -> Live | None:
    key = kind.natural_key(desired.attrs)
    found = [c for c in candidates.get(key, []) if (kind.kind, c.remote_id) not in claimed]
    # An object state records under another address is managed, not to be adopted: the same
    # plan would write it as this resource and retire it as that one (a key renamed in the
    # YAML, whose state record was not moved).
    assert isinstance(ctx.ids, IdMap)
    elsewhere = {c.remote_id: owner for c in found for owner in ctx.ids.addresses_of(c.remote_id)
                 if owner != desired.address and kind_name(owner) == kind.kind}
    matches = [c for c in found if c.remote_id not in elsewhere]
    if not matches and elsewhere:
        remote_id, owner = min(elsewhere.items())
        problems.append(Diagnostic(
            summary=f"the live object matching natural key {key!r} (ID {remote_id}) is "
                    f"recorded in state as {owner}",
            address=desired.address,
            detail=f"if it was renamed in the YAML, move its state: lexsync state mv {owner} "
                   f"{desired.address}"))
        return None
    if len(matches) > 1:
        ids = ", ".join(str(m.remote_id) for m in matches)
        problems.append(Diagnostic(
            summary=f"{len(matches)} live objects match natural key {key!r} (IDs {ids})",
            address=desired.address,
            detail=f"adopt one explicitly: lexsync import {desired.address} ID"))
        return None
    return matches[0] if matches else None


def _retire_step(kind: ResourceKind, address: str, live: Live | None, record: ResourceState,
                 ctx: Context) -> Step:
    if live is None:
        call, reason = "none (state only)", "removed from configuration; not found in LeadExec, only forgotten"
    elif kind.is_retired(live):
        call, reason = "none (state only)", "removed from configuration; already retired in LeadExec"
    elif kind.retire_body(live, ctx) is None:
        call, reason = "none (state only)", f"removed from configuration; {kind.retire_wording()}"
    else:
        call, reason = kind.call(ctx.dialect), f"removed from configuration; will be {kind.retire_wording()}"
    change = ResourceChange(
        address=address, kind=kind.kind, action=Action.RETIRE, call=call,
        before=masked(live.attrs if live else record.attributes, kind.sensitive), after=None,
        reason=reason, remote_id=record.remote_id, depends_on=list(record.depends_on),
    )
    parent = ".".join(address.split(".")[:2]) if kind.parent else None
    return Step(change, kind, None, live, record, parent)


def _targeted(steps: list[Step], targets: tuple[str, ...], moved: dict[str, str]) -> list[Step]:
    """Only the targeted addresses (and what is under them), plus creates they depend on and
    the dependants that move with them."""
    by_address = {s.change.address: s for s in steps}
    keep: set[str] = set()
    pending = [s.change.address for s in steps if in_targets(s.change.address, targets)
               or in_targets(moved.get(s.change.address, ""), targets)]
    while pending:
        address = pending.pop()
        if address in keep:
            continue
        keep.add(address)
        step = by_address[address]
        pending += [d for d in step.change.depends_on
                    if d in by_address and by_address[d].change.action is Action.CREATE]
    return [s for s in steps if s.change.address in keep]


def _move_dependants(steps: list[Step], problems: list[Diagnostic]) -> dict[str, str]:
    """Dependants move with what they depend on: a method whose lead type changes takes its
    field mappings and its accounts' criteria along, since they name lead fields and each
    lead type has its own. Each is written in the same plan, on the new lead type's fields,
    and the plan says so; what the YAML does not set cannot be moved, and is a problem.
    Answers each moved account's method address."""
    lead_types = {s.change.address: (c.before, c.after) for s in steps
                  if s.kind.kind == "delivery_method" for c in s.change.changes
                  if c.path == "lead_type"}
    moved: dict[str, str] = {}
    for step in steps if lead_types else ():
        if step.desired is None or step.live is None:
            continue
        if step.change.address in lead_types:
            _carry(step, "field_mappings", lead_types[step.change.address], "its", problems,
                   lambda mappings: any("lead_field" in m for m in (mappings or {}).values()))
        method = f"client.{step.desired.client}.delivery_method.{step.desired.attrs.get('method')}"
        if step.kind.kind == "delivery_account" and method in lead_types:
            old, new = lead_types[method]
            if _carry(step, "criteria", (old, new), "its method's", problems, bool):
                step.change.changes.append(AttributeChange("criteria.lead_type", old, new))
                if step.change.action is Action.NOOP:
                    step.change.action = Action.UPDATE
                moved[step.change.address] = method
    return moved


def _carry(step: Step, attr: str, lead_types: tuple[str, str], whose: str,
           problems: list[Diagnostic], names_fields: Callable[[Any], bool]) -> bool:
    """Whether the step writes its `attr` on the new lead type's fields (the reason says so);
    a problem when LeadExec holds some that the YAML does not set."""
    assert step.desired is not None and step.live is not None
    old, new = lead_types
    words = attr.replace("_", " ")
    if attr not in step.desired.attrs:
        if names_fields(step.live.attrs.get(attr)):
            problems.append(Diagnostic(
                summary=f"{whose} lead type changes from {old!r} to {new!r}, and its {words} in "
                        f"LeadExec, which the YAML does not set, name {old!r}'s fields",
                address=step.change.address,
                detail=f"declare its {attr} so lexsync writes them on {new!r}'s fields"))
        return False
    if not names_fields(step.desired.attrs[attr]):
        return False
    moves = f"its {words} are written on {new!r}'s fields ({whose} lead type changes)"
    step.change.reason = f"{step.change.reason}; {moves}" if step.change.reason else moves
    return True
