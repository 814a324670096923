"""The rules of lead distribution as pure functions: criteria, schedules, eligibility, order.

Imports nothing of lexsync but `routing.states`: `lexsync route` (on the YAML) and the
sandbox's GetClientsforCriteriaAdvanced (on its store) evaluate with these same functions.
Where LeadExec documents nothing, the reading taken is an option of `RuleOptions`, each listed
in docs/routing.md with its label (A1, A2, ...).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lexsync.routing.states import state_abbr

ACCOUNT_STATUS_NAMES = {9: "Closed", 10: "Suspended", 11: "OnHold", 12: "Open"}
ACCOUNT_TYPE_NAMES = {0: "general", 1: "redirect", 2: "live_call", 3: "ivr_800"}
WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # WeekDay 0 = Sunday
DAY_MINUTES = 1440
OPERATORS = ("Equal", "NotEqual", "Greater", "Less", "GreaterOrEqual", "LessOrEqual", "Between",
             "In", "NotIn", "DateCompare", "Distance_Compare", "Contains", "Doesnt_Contain")
NO_STATIC_DATE_YEAR = 1900  # StaticDate 1900-01-01: the row is a weekday row


@dataclass(frozen=True)
class RuleOptions:
    """The readings of what LeadExec leaves open (docs/routing.md, "Assumptions")."""

    case_sensitive: bool = False  # A5
    between_inclusive: bool = True  # A6
    missing_field: str = "empty"  # A8: empty | fail
    unevaluated: str = "pass"  # A9: pass | fail
    date_compare: str = "evaluate"  # A10
    distance_compare: str = "evaluate"  # A11
    schedule_end: str = "exclusive"  # A13
    blocked_windows: str = "block"  # A14
    in_testing: str = "accept"  # A16
    orders: str = "assume_open"  # A17
    account_types: frozenset[str] = frozenset({"general"})  # A18


@functools.lru_cache(maxsize=4096)  # the same few field names, for every account of a network
def name_key(name: str) -> str:
    """Field names match ignoring case, spaces and underscores (`first_name` = `FirstName`)."""
    return "".join(ch for ch in name.lower() if ch.isalnum())


def text_of(value: object) -> str:
    """A YAML/JSON/CSV scalar as the text LeadExec would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# --- values --------------------------------------------------------------------------------
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


@functools.lru_cache(maxsize=65536)
def as_number(text: str) -> float | None:
    return float(text) if _NUMBER.match(text) else None


@functools.lru_cache(maxsize=65536)
def as_date(text: str) -> date | None:
    """ISO 8601 (a date, or a date-time whose date part is taken) or M/D/YYYY."""
    match = _US_DATE.match(text)
    try:
        if match:
            return date(int(match[3]), int(match[1]), int(match[2]))
        if len(text) >= 10 and text[4] == "-":
            return date.fromisoformat(text[:10])
    except ValueError:
        return None
    return None


@dataclass(frozen=True)
class Value:
    """One side of a comparison, read once: its folded text, and the number or date it is."""

    text: str
    number: float | None
    day: date | None


def read_value(text: str, options: RuleOptions) -> Value:
    text = text.strip()
    number = as_number(text)
    return Value(text if options.case_sensitive else text.casefold(), number,
                 as_date(text) if number is None else None)


def compare(a: Value, b: Value) -> int | None:
    """-1, 0, 1; numbers as numbers and dates as dates when both sides are; text when neither
    side is a number or date; None (not comparable) when only one side is."""
    if a.number is not None and b.number is not None:
        return (a.number > b.number) - (a.number < b.number)
    if a.day is not None and b.day is not None:
        return (a.day > b.day) - (a.day < b.day)
    if a.number is None and b.number is None and a.day is None and b.day is None:
        return (a.text > b.text) - (a.text < b.text)
    return None


def equal(a: Value, b: Value) -> bool:
    if a.number is not None and b.number is not None:
        return a.number == b.number
    if a.day is not None and b.day is not None:
        return a.day == b.day
    return a.text == b.text


def split_items(value: str) -> list[str]:
    """A list value as stored: items joined with ',' (A7)."""
    return [item.strip() for item in value.split(",") if item.strip()]


# --- criteria ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Criterion:
    """One criterion as LeadExec holds it: `value` is the stored text (list items joined with
    ','); on a state field its items are state names or abbreviations."""

    field: str
    op: str
    value: str = ""
    type: str = "FieldValue"
    is_state: bool = False

    def describe(self) -> str:
        kind = "" if self.type == "FieldValue" else f" ({self.type})"
        return f"{self.field} {self.op} {self.value}{kind}".rstrip()


@dataclass(frozen=True)
class Verdict:
    passed: bool
    evaluated: bool = True
    why: str = ""  # a failure's reason or a note on a criterion not evaluated


PASS = Verdict(True)
Test = Callable[[str | None, datetime], Verdict]


def compile_criterion(criterion: Criterion, options: RuleOptions) -> Test:
    """A function (lead value or None, moment) -> Verdict for one criterion."""
    if criterion.type != "FieldValue":
        return _not_evaluated(f"{criterion.type} criteria are not evaluated", options)
    op = criterion.op
    if op == "DateCompare" and options.date_compare != "evaluate":
        return _not_evaluated("DateCompare is not evaluated (routing.date_compare)", options)
    if op == "Distance_Compare" and options.distance_compare != "evaluate":
        return _not_evaluated("Distance_Compare is not evaluated (routing.distance_compare)",
                              options)
    build = _BUILDERS.get(op)
    if build is None:
        return _not_evaluated(f"unknown operator {op}", options)
    check = build(criterion, options)
    missing_fails = options.missing_field == "fail"
    normalise = state_text if criterion.is_state else str.strip
    shown = criterion.field

    def test(lead_value: str | None, moment: datetime) -> Verdict:
        if lead_value is None:
            if missing_fails:
                return Verdict(False, why=f"the lead has no {shown}")
            lead_value = ""
        failure = check(normalise(lead_value), moment)
        return PASS if failure is None else Verdict(False, why=failure)

    return test


def _not_evaluated(why: str, options: RuleOptions) -> Test:
    verdict = Verdict(options.unevaluated == "pass", evaluated=False, why=why)
    return lambda lead_value, moment: verdict


def state_text(text: str) -> str:
    """A state-field value as its abbreviation when it names a state, else as written."""
    text = text.strip()
    return state_abbr(text) or text


# Each builder returns check(lead text, moment) -> None when the criterion passes, else why.
Check = Callable[[str, datetime], str | None]


def _items(criterion: Criterion) -> list[str]:
    items = split_items(criterion.value)
    return [state_text(i) for i in items] if criterion.is_state else items


def _whole(criterion: Criterion) -> str:
    return state_text(criterion.value) if criterion.is_state else criterion.value.strip()


def _shown(text: str) -> str:
    return repr(text) if text else "empty"


def _equal(criterion: Criterion, options: RuleOptions, negate: bool = False) -> Check:
    wanted = read_value(_whole(criterion), options)

    def check(lead: str, moment: datetime) -> str | None:
        if equal(read_value(lead, options), wanted) != negate:
            return None
        return f"{_shown(lead)} {'equals' if negate else 'is not'} {criterion.value!r}"

    return check


def _ordered(symbol: str, accept: Callable[[int], bool]) -> Callable[[Criterion, RuleOptions], Check]:
    def build(criterion: Criterion, options: RuleOptions) -> Check:
        bound = read_value(_whole(criterion), options)

        def check(lead: str, moment: datetime) -> str | None:
            order = compare(read_value(lead, options), bound)
            if order is None:
                return f"{_shown(lead)} cannot be compared with {criterion.value!r}"
            return None if accept(order) else f"{_shown(lead)} is not {symbol} {criterion.value}"

        return check

    return build


def _between(criterion: Criterion, options: RuleOptions) -> Check:
    items = _items(criterion)
    if len(items) != 2:
        return lambda lead, moment: f"Between needs two values, has {criterion.value!r}"
    low, high = (read_value(i, options) for i in items)
    inclusive = options.between_inclusive

    def check(lead: str, moment: datetime) -> str | None:
        value = read_value(lead, options)
        above, below = compare(value, low), compare(value, high)
        if above is None or below is None:
            return f"{_shown(lead)} cannot be compared with {criterion.value!r}"
        ok = (above >= 0 and below <= 0) if inclusive else (above > 0 and below < 0)
        return None if ok else f"{_shown(lead)} is not between {items[0]} and {items[1]}"

    return check


def _membership(criterion: Criterion, options: RuleOptions, negate: bool = False) -> Check:
    items = [read_value(i, options) for i in _items(criterion)]
    texts = {i.text for i in items if i.number is None and i.day is None}
    others = [i for i in items if i.number is not None or i.day is not None]

    def check(lead: str, moment: datetime) -> str | None:
        value = read_value(lead, options)
        found = value.text in texts or any(equal(value, item) for item in others)
        if found != negate:
            return None
        return f"{_shown(lead)} is {'in' if negate else 'not in'} [{criterion.value}]"

    return check


def _contains(criterion: Criterion, options: RuleOptions, negate: bool = False) -> Check:
    fold = (lambda s: s) if options.case_sensitive else str.casefold
    items = [fold(i) for i in split_items(criterion.value)]

    def check(lead: str, moment: datetime) -> str | None:
        text = fold(lead)
        hit = next((i for i in items if i in text), None)
        if negate:
            return None if hit is None else f"{_shown(lead)} contains {hit!r}"
        return None if hit is not None or not items else \
            f"{_shown(lead)} contains none of [{criterion.value}]"

    return check


def _date_compare(criterion: Criterion, options: RuleOptions) -> Check:
    """A12: one item N = a date at most N days before the moment (not after it); one date =
    that day; two items = between them, each a date or a number of days before the moment."""
    items = split_items(criterion.value)
    if not 1 <= len(items) <= 2 or not all(as_number(i) is not None or as_date(i) for i in items):
        return lambda lead, moment: (f"DateCompare value {criterion.value!r} is not days or dates "
                                     "(docs/routing.md A12)")

    def end(item: str, today: date) -> date:
        days = as_number(item)
        if days is not None:
            return today - timedelta(days=days)
        day = as_date(item)
        assert day is not None  # every item was checked above
        return day

    def bounds(today: date) -> tuple[date, date]:
        ends = [end(i, today) for i in items]
        if len(items) == 1:
            return (ends[0], today) if as_number(items[0]) is not None else (ends[0], ends[0])
        low, high = sorted(ends)
        return low, high

    def check(lead: str, moment: datetime) -> str | None:
        day = as_date(lead)
        if day is None:
            return f"{_shown(lead)} is not a date"
        low, high = bounds(moment.date())
        return None if low <= day <= high else f"{lead} is not between {low} and {high}"

    return check


def _distance(criterion: Criterion, options: RuleOptions) -> Check:
    """A11: the value is `ZIP,MILES`; the lead's value is a ZIP code within MILES of it."""
    items = split_items(criterion.value)
    if len(items) != 2 or as_number(items[1]) is None:
        return lambda lead, moment: (f"Distance_Compare value {criterion.value!r} is not "
                                     "ZIP,MILES (docs/routing.md A11)")
    center, miles = items[0], float(items[1])

    def check(lead: str, moment: datetime) -> str | None:
        distance = zip_distance(lead, center)
        if distance is None:
            return f"no distance known between ZIP {_shown(lead)} and {center}"
        return None if distance <= miles else f"ZIP {lead} is {distance:.0f} miles from {center}"

    return check


@functools.lru_cache(maxsize=65536)
def zip_distance(a: str, b: str) -> float | None:
    """Miles between two US ZIP codes (their centres), None if either is unknown."""
    import zipcodes  # the ZIP database loads on first use only

    points = []
    for code in (a.strip()[:5], b.strip()[:5]):
        try:
            found = zipcodes.matching(code)
        except (ValueError, TypeError):
            return None
        if not found:
            return None
        points.append((float(found[0]["long"]), float(found[0]["lat"])))
    return float(zipcodes.haversine(*points[0], *points[1]))


_BUILDERS: dict[str, Callable[[Criterion, RuleOptions], Check]] = {
    "Equal": _equal,
    "NotEqual": lambda c, o: _equal(c, o, negate=True),
    "Greater": _ordered(">", lambda order: order > 0),
    "Less": _ordered("<", lambda order: order < 0),
    "GreaterOrEqual": _ordered(">=", lambda order: order >= 0),
    "LessOrEqual": _ordered("<=", lambda order: order <= 0),
    "Between": _between,
    "In": _membership,
    "NotIn": lambda c, o: _membership(c, o, negate=True),
    "DateCompare": _date_compare,
    "Distance_Compare": _distance,
    "Contains": _contains,
    "Doesnt_Contain": lambda c, o: _contains(c, o, negate=True),
}


# --- schedules -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Window:
    """One delivery-day row: minutes from midnight, `end` 1440 meaning 24:00."""

    weekday: int  # 0 = Sunday
    start: int
    end: int
    allow: bool = True
    static_date: date | None = None  # a row for that date only


def clock_minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")[:2]
    return int(hours) * 60 + int(minutes)


def windows_from_config(window: Any) -> list[Window]:
    """The rows one configured schedule entry writes: one per weekday it names, or one for its
    calendar date (`date`, LeadExec's StaticDate) on that date's weekday."""
    start, end = clock_minutes(window.from_), clock_minutes(window.to)
    if window.date:
        day = date.fromisoformat(window.date)
        return [Window((day.weekday() + 1) % 7, start, end, window.allow, day)]
    return [Window(WEEKDAYS.index(name), start, end, window.allow) for name in window.days or ()]


def window_from_wire(row: dict) -> Window:
    """A DeliveryDays row (WeekDay, StaticDate, StartTime, EndTime, Allow) as a Window."""

    def minutes(value: object) -> int:
        text = str(value or "")
        clock = text.split("T", 1)[1] if "T" in text else text
        if clock.startswith("23:59:59"):
            return DAY_MINUTES
        return clock_minutes(clock) if clock else 0

    static = as_date(str(row.get("StaticDate") or ""))
    return Window(int(row.get("WeekDay", 0)), minutes(row.get("StartTime")),
                  minutes(row.get("EndTime")), bool(row.get("Allow", True)),
                  static if static is not None and static.year > NO_STATIC_DATE_YEAR else None)


def schedule_open(windows: Sequence[Window], local: datetime, options: RuleOptions) -> bool:
    """Whether a method's schedule takes leads at `local` (the moment in the schedule's zone).

    No rows: always (documented). A14: `allow: false` rows are blackouts that win; a schedule
    of blackouts only is open outside them. A15: rows with a static date replace the weekday's
    rows on that date. A13: the end minute is excluded unless routing.schedule_end says so."""
    if options.blocked_windows == "ignore":
        windows = [w for w in windows if w.allow]
    if not windows:
        return True
    today = local.date()
    minute = local.hour * 60 + local.minute
    dated = [w for w in windows if w.static_date == today]
    weekday = (local.weekday() + 1) % 7
    rows = dated or [w for w in windows if w.static_date is None and w.weekday == weekday]
    inclusive = options.schedule_end == "inclusive"

    def covers(w: Window) -> bool:
        return w.start <= minute and (minute <= w.end if inclusive else minute < w.end)

    if any(not w.allow and covers(w) for w in rows):
        return False
    if not any(w.allow for w in windows):
        return True
    return any(w.allow and covers(w) for w in rows)


def describe_windows(windows: Sequence[Window]) -> str:
    """`mon-fri 08:00-19:00, sat 09:00-13:00`: rows with the same hours share their days."""
    if not windows:
        return "always"
    hours: dict[tuple, list[str]] = {}
    for w in windows:
        day = w.static_date.isoformat() if w.static_date else WEEKDAYS[w.weekday]
        hours.setdefault((w.allow, w.start, w.end), []).append(day)
    parts = []
    for (allow, start, end), days in hours.items():
        finish = "24:00" if end >= DAY_MINUTES else f"{end // 60:02d}:{end % 60:02d}"
        parts.append(f"{'' if allow else 'not '}{_day_span(days)} "
                     f"{start // 60:02d}:{start % 60:02d}-{finish}")
    return ", ".join(parts)


def _day_span(days: list[str]) -> str:
    indexes = [WEEKDAYS.index(d) for d in days if d in WEEKDAYS]
    if len(indexes) == len(days) and len(days) > 2 and \
            sorted(indexes) == list(range(min(indexes), max(indexes) + 1)):
        return f"{WEEKDAYS[min(indexes)]}-{WEEKDAYS[max(indexes)]}"
    return ",".join(days)


# --- time zones ----------------------------------------------------------------------------
@functools.lru_cache(maxsize=512)
def zone_named(name: str) -> tzinfo | None:
    """An IANA zone, or a Windows zone name as LeadExec's TimeZoneName holds them
    ("Pacific Standard Time"), else None."""
    name = name.strip()
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        pass
    from tzlocal.windows_tz import win_tz  # the CLDR Windows -> IANA table

    iana = win_tz.get(name)
    return ZoneInfo(iana) if iana else None


def client_zone(time_zone: str | None, time_offset: int | None, platform: tzinfo) -> tzinfo:
    """A4: the client's zone name wins; else a non-zero TimeOffset (hours from UTC, fixed);
    else the platform zone (an offset of 0 is what a client never given one holds). A client
    the YAML gives no time_zone holds the name apply creates it with, Pacific Standard Time."""
    if time_zone:
        zone = zone_named(time_zone)
        if zone is not None:
            return zone
    if time_offset:
        return timezone(timedelta(hours=time_offset))
    return platform


# --- eligibility ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Blocker:
    """Why an account cannot take a lead, whatever the lead: a code and a sentence."""

    code: str
    message: str


CAP_NAMES = ("hour", "day", "week", "month")


def account_blocker(*, client_status: str, account_status: str, automation_enabled: bool,
                    account_type: str, method_enabled: bool, in_testing: bool, use_order: bool,
                    caps: dict[str, int | None], options: RuleOptions) -> Blocker | None:
    """The first thing of the automation checklist (help centre 6140033) that fails."""
    if client_status != "Active":
        return Blocker("client_status", f"client status is {client_status}, not Active")
    if account_status != "Open":
        return Blocker("account_status", f"account status is {account_status}, not Open")
    if not automation_enabled:
        return Blocker("automation", "the account does not take leads through automation "
                                     "(automation: false)")
    if account_type not in options.account_types:
        return Blocker("account_type", f"{account_type} accounts are not in the normal scan "
                                       "(routing.account_types)")
    if not method_enabled:
        return Blocker("method_disabled", "its delivery method is disabled")
    if in_testing and options.in_testing == "skip":
        return Blocker("in_testing", "its delivery method is in testing (routing.in_testing: skip)")
    if use_order and options.orders == "assume_none":
        return Blocker("order", "it needs an open order (routing.orders: assume_none)")
    for name in CAP_NAMES:
        if caps.get(name) == 0:
            return Blocker("cap_zero", f"its {name} cap is 0")
    return None


# --- order ---------------------------------------------------------------------------------
@dataclass
class Candidate:
    """An account that accepts the lead, with what ordering needs."""

    client: Hashable
    client_order: int  # entry order of the client (YAML order; ClientUID in the sandbox)
    account: Hashable
    account_order: int
    price: float
    automation: str = "Price"  # the client's DeliveryAccountAutomationType
    client_priority: int = 0
    account_priority: int = 0
    tiers: bool = False  # Use Tier Delivery
    extra: object = field(default=None, compare=False)


def _rank(kind: str | None, price: float, priority: int) -> float:
    if kind == "Price":
        return -price
    if kind == "Priority":
        return priority
    return 0  # RoundRobin, none: A3, entry order decides


def order_candidates(candidates: Iterable[Candidate], distribution: str,
                     tie_break: str | None) -> list[tuple[Candidate, bool]]:
    """The scan order: clients by `distribution` then `tie_break` then entry order (A1, A2);
    each client's accounts by its own automation then entry order. The flag says whether the
    account is a buyer: a client's first account only, unless it uses tier delivery (A19)."""
    by_client: dict[Hashable, list[Candidate]] = {}
    for candidate in candidates:
        by_client.setdefault(candidate.client, []).append(candidate)
    groups = []
    for accounts in by_client.values():
        accounts.sort(key=lambda c: (_rank(c.automation, c.price, c.account_priority),
                                     c.account_order))
        first = accounts[0]
        key = (_rank(distribution, first.price, first.client_priority),
               _rank(tie_break, first.price, first.client_priority), first.client_order)
        groups.append((key, accounts))
    groups.sort(key=lambda g: g[0])
    ordered: list[tuple[Candidate, bool]] = []
    for _, accounts in groups:
        for index, candidate in enumerate(accounts):
            ordered.append((candidate, index == 0 or candidate.tiers))
    return ordered
