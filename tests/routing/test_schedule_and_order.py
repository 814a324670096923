"""Schedules, time zones, the automation checklist and the scan order."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from lexsync.routing.rules import (
    Candidate,
    RuleOptions,
    Window,
    account_blocker,
    client_zone,
    order_candidates,
    schedule_open,
    window_from_wire,
)

LA = ZoneInfo("America/Los_Angeles")
MON_0800 = 1 * 1440  # not used as minutes; windows are per weekday
WEEKDAY_9_TO_5 = tuple(Window(day, 9 * 60, 17 * 60) for day in range(1, 6))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LA)


@pytest.mark.parametrize("moment,expected", [
    ("2025-06-02T09:00", True),   # Monday, start minute included
    ("2025-06-02T16:59", True),
    ("2025-06-02T17:00", False),  # A13: end minute excluded
    ("2025-06-02T08:59", False),
    ("2025-06-01T12:00", False),  # Sunday: no row
])
def test_weekday_windows(moment: str, expected: bool) -> None:
    assert schedule_open(WEEKDAY_9_TO_5, at(moment), RuleOptions()) is expected


def test_no_rows_means_always_open() -> None:
    assert schedule_open((), at("2025-06-01T03:00"), RuleOptions())


def test_end_minute_inclusive_when_asked() -> None:
    assert schedule_open(WEEKDAY_9_TO_5, at("2025-06-02T17:00"), RuleOptions(schedule_end="inclusive"))


def test_blocked_windows_win_or_are_ignored() -> None:
    rows = (Window(1, 0, 1440), Window(1, 12 * 60, 13 * 60, allow=False))
    assert not schedule_open(rows, at("2025-06-02T12:30"), RuleOptions())
    assert schedule_open(rows, at("2025-06-02T13:00"), RuleOptions())
    assert schedule_open(rows, at("2025-06-02T12:30"), RuleOptions(blocked_windows="ignore"))
    only_blackouts = (Window(1, 12 * 60, 13 * 60, allow=False),)
    assert schedule_open(only_blackouts, at("2025-06-03T12:30"), RuleOptions())
    assert not schedule_open(only_blackouts, at("2025-06-02T12:30"), RuleOptions())


def test_a_static_date_replaces_its_weekday_rows() -> None:
    rows = WEEKDAY_9_TO_5 + (Window(0, 20 * 60, 21 * 60, static_date=date(2025, 6, 2)),)
    assert not schedule_open(rows, at("2025-06-02T10:00"), RuleOptions())
    assert schedule_open(rows, at("2025-06-02T20:30"), RuleOptions())
    assert schedule_open(rows, at("2025-06-03T10:00"), RuleOptions())


def test_wire_rows_read_as_windows() -> None:
    row = {"WeekDay": 2, "StaticDate": "1900-01-01T00:00:00", "StartTime": "1900-01-01T08:30:00",
           "EndTime": "1900-01-01T23:59:59", "Allow": False}
    assert window_from_wire(row) == Window(2, 8 * 60 + 30, 1440, allow=False)
    dated = {**row, "StaticDate": "2025-07-04T00:00:00"}
    assert window_from_wire(dated).static_date == date(2025, 7, 4)


def test_client_zones() -> None:
    utc = UTC
    assert client_zone("Central Standard Time", -8, utc) == ZoneInfo("America/Chicago")
    assert client_zone("America/Denver", None, utc) == ZoneInfo("America/Denver")
    assert client_zone(None, -5, utc) == timezone(timedelta(hours=-5))
    assert client_zone(None, 0, LA) is LA   # A4: offset 0 is what a client never given one holds
    assert client_zone("Atlantis Time", None, LA) is LA


BASE = dict(client_status="Active", account_status="Open", automation_enabled=True,
            account_type="general", method_enabled=True, in_testing=False, use_order=False,
            caps={"hour": None, "day": 10, "week": -1, "month": None}, options=RuleOptions())


@pytest.mark.parametrize("change,code", [
    ({"client_status": "Inactive"}, "client_status"),
    ({"account_status": "OnHold"}, "account_status"),
    ({"automation_enabled": False}, "automation"),
    ({"account_type": "redirect"}, "account_type"),
    ({"method_enabled": False}, "method_disabled"),
    ({"caps": {"day": 0}}, "cap_zero"),
    ({"in_testing": True, "options": RuleOptions(in_testing="skip")}, "in_testing"),
    ({"use_order": True, "options": RuleOptions(orders="assume_none")}, "order"),
])
def test_each_checklist_item_blocks(change: dict, code: str) -> None:
    assert account_blocker(**BASE) is None
    blocker = account_blocker(**{**BASE, **change})
    assert blocker is not None and blocker.code == code


def test_in_testing_and_orders_do_not_block_by_default() -> None:
    assert account_blocker(**{**BASE, "in_testing": True, "use_order": True}) is None


def candidate(client: str, order: int, account: str, price: float, **kw: object) -> Candidate:
    return Candidate(client, order, account, int(price * 100), price, **kw)  # type: ignore[arg-type]


def refs(ordered: list[tuple[Candidate, bool]]) -> list[tuple[str, bool]]:
    return [(f"{c.client}/{c.account}", buyer) for c, buyer in ordered]


def test_price_between_clients_and_automation_within() -> None:
    cands = [candidate("a", 0, "a1", 10), candidate("a", 0, "a2", 30),
             candidate("b", 1, "b1", 20, automation="Priority", account_priority=5),
             candidate("b", 1, "b2", 25, automation="Priority", account_priority=1)]
    assert refs(order_candidates(cands, "Price", None)) == [
        ("a/a2", True), ("a/a1", False), ("b/b2", True), ("b/b1", False)]


def test_priority_distribution_tie_break_and_entry_order() -> None:
    cands = [candidate("a", 0, "a1", 10, client_priority=2), candidate("b", 1, "b1", 20, client_priority=1),
             candidate("c", 2, "c1", 30, client_priority=1)]
    assert [r for r, _ in refs(order_candidates(cands, "Priority", None))] == ["b/b1", "c/c1", "a/a1"]
    assert [r for r, _ in refs(order_candidates(cands, "Priority", "Price"))] == ["c/c1", "b/b1", "a/a1"]
    assert [r for r, _ in refs(order_candidates(cands, "RoundRobin", None))] == ["a/a1", "b/b1", "c/c1"]


def test_tier_delivery_makes_every_account_a_buyer() -> None:
    cands = [candidate("a", 0, "a1", 10, tiers=True), candidate("a", 0, "a2", 30, tiers=True)]
    assert refs(order_candidates(cands, "Price", None)) == [("a/a2", True), ("a/a1", True)]
