"""The executable side of a plan: one step per resource change, and how one is made."""

from __future__ import annotations

from typing import Any

from lexsync.engine.diff import diff, flatten, masked
from lexsync.engine.plan import Action, AttributeChange, ResourceChange
from lexsync.engine.settled import SettledValues, Values
from lexsync.resources.base import Context, Desired, Live, ResourceKind
from lexsync.state.document import ResourceState


class Step:
    """The executable side of one ResourceChange. A settled step (`settle`) keeps its values
    packed, built again when read (engine/settled.py)."""

    __slots__ = ("change", "kind", "_desired", "_live", "_previous", "parent_address", "_settled")

    def __init__(self, change: ResourceChange, kind: ResourceKind, desired: Desired | None,
                 live: Live | None, previous: ResourceState | None,
                 parent_address: str | None = None) -> None:
        self.change, self.kind, self.parent_address = change, kind, parent_address
        self._desired, self._live, self._previous = desired, live, previous
        self._settled: SettledValues | None = None

    @property
    def desired(self) -> Desired | None:
        return self._desired if self._settled is None else self._settled.unpacked().desired

    @property
    def live(self) -> Live | None:
        return self._live if self._settled is None else self._settled.unpacked().live

    @property
    def previous(self) -> ResourceState | None:
        return self._previous if self._settled is None else self._settled.unpacked().previous

    def settle(self) -> None:
        """Keep this step's values (and its change's) packed from now on: it writes nothing
        and nothing it depends on changes, so nothing changes them again. A step with a
        value marshal cannot keep (but a secret's hash) stays as it is."""
        change = self.change
        settled = SettledValues.pack(Values(self._desired, self._live, self._previous,
                                            change.before, change.after),
                                     self.kind.sensitive, self.kind.kind)
        if settled is not None:
            self._settled = settled
            self._desired = self._live = self._previous = None
            change.settle(settled)

    def __repr__(self) -> str:
        return f"Step({self.change.address}, {self.change.action.value})"


def client_key(address: str) -> str | None:
    """The client a resource belongs to (client.X, client.X.…), None for a group."""
    return address.split(".", 2)[1] if address.startswith("client.") else None


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
        # One copy of each value LeadExec holds as the YAML says it: a plan of thousands of
        # resources would otherwise keep nearly every value twice (before and after).
        live.attrs = shared(live.attrs, desired.attrs)
    after = masked(desired.attrs, kind.sensitive)
    change = ResourceChange(
        address=desired.address, kind=kind.kind, action=action, call=call,
        before=after if live is not None and live.attrs is desired.attrs
        else masked(live.attrs if live else None, kind.sensitive),
        after=after, changes=changes,
        depends_on=list(desired.depends_on), reason=reason,
        remote_id=live.remote_id if live else None,
    )
    parent = f"client.{desired.client}" if desired.client else None
    return Step(change, kind, desired, live, record, parent)


def shared(live: Any, desired: Any) -> Any:
    """`live` with every part that is exactly `desired`'s (the same types and values, nested
    alike) replaced by `desired`'s own object; the rest (what only LeadExec holds, what
    differs, 25.0 against 25) stays as read."""
    if alike(live, desired):
        return desired
    if type(live) is dict and type(desired) is dict:
        return {key: shared(value, desired[key]) if key in desired else value
                for key, value in live.items()}
    if type(live) is list and type(desired) is list and len(live) == len(desired):
        return [shared(a, b) for a, b in zip(live, desired, strict=True)]
    return live


def alike(a: Any, b: Any) -> bool:
    """Equal and of the same types throughout: `==` alone holds 1 equal to True and 25.0 to
    25, which a plan prints apart."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if type(a) is dict:
        return a.keys() == b.keys() and all(alike(value, b[key]) for key, value in a.items())
    if type(a) is list:
        return len(a) == len(b) and all(alike(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)
