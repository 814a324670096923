"""Normalisation shared by the resource kinds, so spelling never causes a diff."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

PACIFIC = ZoneInfo("America/Los_Angeles")
WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
BASE_DATE = "1900-01-01"


def text(value: Any) -> str:
    """A text value exactly as written or read: spaces are part of it (docs/configuration.md,
    "Exactly what you wrote")."""
    if type(value) is str:  # the usual case, a few hundred thousand times per large plan
        return value
    return "" if value is None else str(value)


def number(value: Any) -> float | int:
    """A number as LeadExec stores it (a Double or an Int32), exactly: 25 and 25.0 are the same
    number and print without decimals; nothing is rounded."""
    as_float = float(value)
    return int(as_float) if as_float.is_integer() else as_float


def number_text(value: int | float) -> str:
    """A YAML number as criterion text: a whole number in digits, any other number in the
    shortest form that reads back as the same Double (Python's repr: 21.5, 1e-07)."""
    return str(value) if isinstance(value, int) else repr(value)


def scalar_text(value: Any) -> str:
    """A criterion value item as LeadExec stores it (a String): text as written, a number in
    `number_text`'s spelling, a boolean as true or false."""
    if type(value) is str:
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return number_text(value)
    return text(value)


@functools.lru_cache(maxsize=4096)
def clock(value: str) -> str:
    """A delivery-day date-time → HH:MM in Pacific Time; 23:59:59 is the end of the day, 24:00."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(PACIFIC)
    if (moment.hour, moment.minute, moment.second) == (23, 59, 59):
        return "24:00"
    return f"{moment.hour:02d}:{moment.minute:02d}"


def wire_clock(hhmm: str, day: str = BASE_DATE) -> str:
    """HH:MM → the date-time a delivery day carries: on `day` (the base date for weekday
    windows, the date itself for a static-date window)."""
    hours, minutes = hhmm.split(":")
    if hhmm == "24:00":
        return f"{day}T23:59:59"
    return f"{day}T{int(hours):02d}:{int(minutes):02d}:00"


# StaticDate values that mean "no static date": lexsync's own, and .NET's DateTime.MinValue.
UNUSED_DATES = frozenset({BASE_DATE, "0001-01-01"})


def static_date(value: Any) -> str | None:
    """A delivery day's StaticDate as YYYY-MM-DD, or None when the day is a weekday window."""
    day = text(value)[:10]
    if not day or day in UNUSED_DATES:
        return None
    try:
        datetime.fromisoformat(day)
    except ValueError:
        return None
    return day


def weekday_of(day: str) -> int:
    """The WeekDay (0 = Sunday ... 6 = Saturday) of a YYYY-MM-DD date."""
    return datetime.fromisoformat(day).isoweekday() % 7


def now_pacific() -> str:
    return datetime.now(PACIFIC).replace(tzinfo=None).isoformat(timespec="seconds")
