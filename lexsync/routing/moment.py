"""Moments: `--at` and a test case's `at`, always with a time zone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo

from lexsync.errors import LexsyncError
from lexsync.routing.rules import zone_named

MOMENT_HELP = ("an ISO date-time with an offset (2025-06-01T21:00-05:00), or followed by a time "
               "zone name (2025-06-01T21:00 America/Chicago), or 'now'")


def parse_moment(text: str | None, default_zone: tzinfo,
                 now: Callable[[tzinfo], datetime] = datetime.now) -> datetime:
    """The moment `text` names; one written without a zone is in `default_zone`."""
    if text is None or text.strip().lower() in ("", "now"):
        return now(default_zone)
    raw = text.strip()
    stamp, _, zone_name = raw.partition(" ")
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        raise LexsyncError(f"cannot read the moment {raw!r}: expected {MOMENT_HELP}") from None
    zone = default_zone
    if zone_name.strip():
        found = zone_named(zone_name.strip())
        if found is None:
            raise LexsyncError(f"unknown time zone {zone_name.strip()!r} in moment {raw!r}")
        zone = found
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zone)
    if zone_name.strip():
        raise LexsyncError(f"the moment {raw!r} has both an offset and a time zone name; give one")
    return moment
