"""The values the YAML does not set: refusing a write that would carry one nothing knows,
seeing one changed outside lexsync, and recording what each apply saw.

A plan that must write a resource whose body holds a field neither the YAML, nor LeadExec's
read, nor state's last applied value knows (docs/wire.md, "What lexsync sends") is refused
for that resource, naming the keys to declare. A plan that does not write it is unaffected.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lexsync.engine.diff import _equal
from lexsync.engine.plan import SENSITIVE, Action
from lexsync.engine.planner import PlanBundle, PlanProblems
from lexsync.engine.steps import Step
from lexsync.errors import Diagnostic
from lexsync.resources.base import Context, ResourceKind
from lexsync.resources.wirefields import UNKNOWN, has_path, path_value, without_unknown
from lexsync.state.document import ResourceState, StateDocument


@dataclass
class UnmanagedChange:
    """A value the YAML does not set, changed in LeadExec since lexsync last saw it. Kept as
    LeadExec has it (every write carries the live value); listed for information."""

    address: str
    kind: str
    path: str
    live: Any
    last_seen: Any


def unknown_writes(steps: Iterable[Step], ctx: Context) -> list[Diagnostic]:
    """One diagnostic per key to declare, for each step that writes a value nothing knows."""
    problems: list[Diagnostic] = []
    for step in steps:
        action, address = step.change.action, step.change.address
        if action is Action.UPDATE and step.desired is not None:
            previous = step.previous.attributes if step.previous is not None else {}
            fields = step.kind.unknown_fields(step.desired.attrs, step.live, ctx, previous)
            problems += [Diagnostic(summary=message, address=address)
                         for message in step.kind.unknown_messages(address, fields, step.live)]
        elif action is Action.RETIRE and step.live is not None \
                and not step.change.call.startswith("none"):
            fields = step.kind.unknown_fields(step.kind.retire_overlay(), step.live, ctx,
                                              without_unknown(step.live.attrs))
            if fields:
                names = ", ".join(dict.fromkeys(f.yaml or f.key for f in fields))
                problems.append(Diagnostic(
                    summary=f"{address}: removed from the YAML, but retiring it sends {names}, "
                            "which lexsync does not know (LeadExec cannot show them and state "
                            "does not record them)",
                    address=address,
                    detail=f"put it back in the YAML with {names} declared and apply once, or "
                           f"retire it in LeadExec and run `lexsync state rm {address}`"))
    return problems


def refuse_unknown_writes(bundle: PlanBundle) -> None:
    """Raise PlanProblems naming every write of the plan that would carry an unknown value."""
    problems = unknown_writes(bundle.steps, bundle.ctx)
    if problems:
        raise PlanProblems(problems)


def unmanaged_changes(step: Step, dialect: str) -> list[UnmanagedChange]:
    """The readable values the YAML does not set that LeadExec holds differently from what
    state last saw (applied or read) for the same object."""
    record, live, desired = step.previous, step.live, step.desired
    if record is None or live is None or not live.observable or desired is None:
        return []
    kind = step.kind
    skip = kind.unreported_attrs(dialect)
    out: list[UnmanagedChange] = []
    for wire_field in kind.wire_table(dialect).sent():
        attr = wire_field.attr
        if not attr or attr in skip:
            continue
        now, seen = path_value(live.attrs, attr), path_value(record.attributes, attr)
        if isinstance(now, dict) and attr not in kind.whole:
            # A block of named values (client fields): each on its own, the YAML's left out.
            pairs = [(f"{attr}.{key}", value, path_value(seen, key) if isinstance(seen, dict)
                      else UNKNOWN) for key, value in now.items()
                     if not has_path(desired.attrs, f"{attr}.{key}")]
        elif has_path(desired.attrs, attr):
            continue
        else:
            pairs = [(attr, now, seen)]
        for path, value, last in pairs:
            if UNKNOWN in (value, last) or _same(value, last):
                continue
            secret = path in kind.sensitive
            out.append(UnmanagedChange(step.change.address, kind.kind, path,
                                       SENSITIVE if secret else value, SENSITIVE if secret else last))
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return a == b
    return _equal(a, b)


def _unseen(step: Step, dialect: str) -> bool:
    """Whether LeadExec shows a value the YAML does not set that state has never recorded."""
    assert step.previous is not None and step.live is not None and step.desired is not None
    skip = step.kind.unreported_attrs(dialect)
    for wire_field in step.kind.wire_table(dialect).sent():
        attr = wire_field.attr
        if not attr or attr in skip:
            continue
        now = path_value(step.live.attrs, attr)
        paths = [f"{attr}.{key}" for key in now] if isinstance(now, dict) \
            and attr not in step.kind.whole else [attr]
        if any(has_path(step.live.attrs, path) and not has_path(step.desired.attrs, path)
               and not has_path(step.previous.attributes, path) for path in paths):
            return True
    return False


@functools.lru_cache(maxsize=32)
def _compared(kind: ResourceKind, dialect: str) -> tuple[tuple[str, frozenset[str]], ...]:
    """The top-level attributes that hold readable values of `kind`'s body, each with the
    keys inside it that are write-only (compared by the slow path only)."""
    skip = kind.unreported_attrs(dialect)
    tops: dict[str, set[str]] = {}
    for wire_field in kind.wire_table(dialect).sent():
        attr = wire_field.attr
        if not attr:
            continue
        top, _, inner = attr.partition(".")
        ignored = tops.setdefault(top, set())
        if attr in skip:
            ignored.add(inner or "*")
    return tuple((top, frozenset(ignored)) for top, ignored in tops.items() if "*" not in ignored)


def _same_as_recorded(step: Step, dialect: str) -> bool:
    """Whether every readable value LeadExec shows equals what state recorded (nearly every
    resource of an apply): then nothing changed outside and nothing is new."""
    assert step.previous is not None and step.live is not None
    live, seen = step.live.attrs, step.previous.attributes
    for top, ignored in _compared(step.kind, dialect):
        now, last = live.get(top, UNKNOWN), seen.get(top, UNKNOWN)
        if now == last:
            continue
        if not (ignored and isinstance(now, dict) and isinstance(last, dict)):
            return False
        if {k: v for k, v in now.items() if k not in ignored} != \
                {k: v for k, v in last.items() if k not in ignored}:
            return False
    return True


def remember_live(bundle: PlanBundle, state: StateDocument) -> bool:
    """For each resource the plan leaves as it is, record what LeadExec shows now for the
    values the YAML does not set, when one changed outside lexsync or was never recorded, so
    it is known from now on and drift stops reporting it. True when state changed."""
    changed = False
    dialect = bundle.ctx.dialect
    for step in bundle.steps:
        record = step.previous
        if step.change.action is not Action.NOOP or record is None or step.desired is None \
                or step.live is None or not step.live.observable:
            continue
        if _same_as_recorded(step, dialect) or \
                (not unmanaged_changes(step, dialect) and not _unseen(step, dialect)):
            continue
        state.resources[step.change.address] = ResourceState(
            address=record.address, kind=record.kind, remote_id=record.remote_id,
            parent_id=record.parent_id, sub_ids=dict(record.sub_ids),
            attributes=step.kind.recorded(step.desired, step.live, bundle.ctx),
            depends_on=list(record.depends_on))
        changed = True
    return changed
