"""The executable side of a plan: one step per resource change, and how one is made."""

from __future__ import annotations

from dataclasses import dataclass

from lexsync.engine.diff import diff, flatten, masked
from lexsync.engine.plan import Action, AttributeChange, ResourceChange
from lexsync.resources.base import Context, Desired, Live, ResourceKind
from lexsync.state.document import ResourceState


@dataclass(slots=True)
class Step:
    """The executable side of one ResourceChange."""

    change: ResourceChange
    kind: ResourceKind
    desired: Desired | None
    live: Live | None
    previous: ResourceState | None
    parent_address: str | None = None


def previous_as_live(record: ResourceState) -> Live:
    """What state last recorded, in the shape `find_live` compares against."""
    return Live(record.remote_id, {}, dict(record.attributes), parent_id=record.parent_id,
                sub_ids=dict(record.sub_ids), observable=False)


def step_for(kind: ResourceKind, desired: Desired, live: Live | None,
             record: ResourceState | None, reason: str | None, ctx: Context) -> Step:
    """The step that makes live match desired (a create when nothing live was found)."""
    call = kind.call(ctx.dialect)
    if live is None:
        changes = [AttributeChange(path, None, value, path in kind.sensitive)
                   for path, value in flatten(masked(desired.attrs, kind.sensitive) or {}).items()]
        action = Action.CREATE
    else:
        changes = diff(desired.attrs, live.attrs, kind.sensitive)
        action = Action.UPDATE if changes else Action.NOOP
    change = ResourceChange(
        address=desired.address, kind=kind.kind, action=action, call=call,
        before=masked(live.attrs if live else None, kind.sensitive),
        after=masked(desired.attrs, kind.sensitive), changes=changes,
        depends_on=list(desired.depends_on), reason=reason,
        remote_id=live.remote_id if live else None,
    )
    parent = f"client.{desired.client}" if desired.client else None
    return Step(change, kind, desired, live, record, parent)
