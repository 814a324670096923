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
    if type(value) is str:  # the usual case, a few hundred thousand times per large plan
        return value.strip()
    return "" if value is None else str(value).strip()


def number(value: Any) -> float | int:
    """25, 25.0 and '25.00' are the same number; integral values print without decimals."""
    as_float = round(float(value), 4)
    return int(as_float) if as_float.is_integer() else as_float


def scalar_text(value: Any) -> str:
    """A criterion value item as LeadExec stores it (a string)."""
    if type(value) is str:
        return _text_scalar(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _number_text(value)
    return _text_scalar(text(value))


@functools.lru_cache(maxsize=1024, typed=True)  # typed: 1 and 1.0 are different keys
def _number_text(value: float) -> str:
    return str(number(value))


@functools.lru_cache(maxsize=4096)
def _text_scalar(value: str) -> str:
    # Cached: a large plan spells the same few hundred criterion items tens of thousands of times.
    stripped = value.strip()
    try:
        return str(number(stripped)) if stripped and stripped.lstrip("-").replace(".", "", 1).isdigit() else stripped
    except ValueError:
        return stripped


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
