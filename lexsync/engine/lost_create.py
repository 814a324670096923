"""A create whose answer was lost, looked for in LeadExec by its natural key.

Apply looks before it sends such a create again; the plan looks in what it read, so it can
say what apply will do and what only a person can settle (`lexsync state resolve`)."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lexsync.engine.diff import diff
from lexsync.engine.plan import Resolution, Unsettled
from lexsync.resources.base import Context, ResourceKind
from lexsync.resources.live import LiveView
from lexsync.resources.registry import kind_name


@dataclass(frozen=True, slots=True)
class Lookup:
    """What the live objects say of one lost create."""

    key: str  # its natural key, as LeadExec's objects are matched by it
    found: int | None = None  # the one unclaimed live object it saved
    ambiguous: tuple[int, ...] = ()  # several unclaimed objects it may have saved


def claimed(kind: ResourceKind, *id_maps: Mapping[str, int]) -> set[int]:
    """The IDs of this kind that resources already own: never the object a lost create saved."""
    return {remote_id for ids in id_maps for address, remote_id in ids.items()
            if kind_name(address) == kind.kind}


def look_up(kind: ResourceKind, attrs: Mapping[str, Any], client_key: str | None, view: LiveView,
            ctx: Context, owned: set[int]) -> Lookup:
    """The unclaimed live objects with the create's natural key. Several: the one closest to
    the values sent (a read may not show them all: a weekly cap), when only one is that close."""
    key = kind.natural_key(attrs)
    matches = [c for c in kind.live_candidates(view, ctx, client_key)
               if kind.natural_key(c.attrs) == key and c.remote_id not in owned]
    if len(matches) > 1:
        distance = {c.remote_id: len(diff(dict(attrs), c.attrs, kind.sensitive)) for c in matches}
        nearest = min(distance.values())
        same = [c for c in matches if distance[c.remote_id] == nearest]
        if len(same) != 1:
            return Lookup(key, ambiguous=tuple(sorted(c.remote_id for c in matches)))
        matches = same
    return Lookup(key, found=matches[0].remote_id if matches else None)


def ambiguous_reason(lookup: Lookup) -> str:
    ids = ", ".join(map(str, lookup.ambiguous))
    return (f"{len(lookup.ambiguous)} objects named {lookup.key!r} that lexsync does not manage "
            f"are in LeadExec (IDs {ids}); lexsync cannot tell which one this create saved")


UNSEEN_METHOD = ("a delivery method that no account uses cannot be read back, so lexsync will "
                 "not send it again and risk a duplicate")
LOST = "an earlier run sent this create and its answer was lost"


def unsettled(kind: ResourceKind, address: str, lookup: Lookup, *, configured: bool = True
              ) -> Unsettled | None:
    """What a person must settle, or None when apply settles it itself: it found the object,
    or may send the create again because a new one would show. A create no longer in the
    configuration is never looked at by apply, so it always needs a person."""
    if lookup.ambiguous:
        return Unsettled(address, kind.kind, f"{LOST}; {ambiguous_reason(lookup)}",
                         [Resolution(f"it is one of IDs {', '.join(map(str, lookup.ambiguous))}",
                                     resolve_command(address, "ID"))])
    if configured:
        if lookup.found is not None or kind.shown_alone:
            return None
        return Unsettled(address, kind.kind, f"{LOST}; {UNSEEN_METHOD}, and no account read "
                         f"shows one named {lookup.key!r}", resolutions(address, lookup.key))
    gone = "it is no longer in the configuration, so no apply settles it"
    if lookup.found is not None:
        return Unsettled(address, kind.kind, f"{LOST}; it is in LeadExec as ID {lookup.found}, "
                         f"but {gone}",
                         [Resolution("the next plan retires it",
                                     resolve_command(address, str(lookup.found))),
                          Resolution("lexsync leaves it alone", resolve_command(address, None))])
    if kind.shown_alone:
        return Unsettled(address, kind.kind, f"{LOST}; no object named {lookup.key!r} is in "
                         f"LeadExec, and {gone}",
                         [Resolution("it is not in LeadExec", resolve_command(address, None))])
    return Unsettled(address, kind.kind, f"{LOST}; {UNSEEN_METHOD}, and {gone}",
                     resolutions(address, lookup.key))


def resolutions(address: str, key: str) -> list[Resolution]:
    """How a person settles a lost method create: by looking in LeadExec for it."""
    return [Resolution(f"LeadExec has {key!r}", resolve_command(address, "ID")),
            Resolution("LeadExec does not have it", resolve_command(address, None))]


def resolve_command(address: str, remote_id: str | None) -> str:
    """`lexsync state resolve` for an address: `--id` the ID LeadExec shows, else `--absent`."""
    how = f"--id {remote_id}" if remote_id is not None else "--absent"
    return f"lexsync state resolve {shlex.quote(address)} {how}"  # a YAML key may hold a space
