"""Routing one lead through a small configuration: buyers, order and reasons."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from lexsync.errors import LexsyncError
from lexsync.routing.leads import make_lead
from lexsync.routing.moment import parse_moment
from lexsync.routing.network import build_network
from lexsync.routing.route import Router

LA = ZoneInfo("America/Los_Angeles")


def route(loaded, at: str, **fields: object):
    lead = make_lead({"lead_type": "Auto Insurance", **fields}, "test")
    return Router(build_network(loaded.model)).route(lead, parse_moment(at, LA))


def reasons(result) -> dict[str, str]:
    return {r.account.ref: r.reason for r in result.rejected}


def test_weekday_texas_lead(load) -> None:
    result = route(load(), "2025-06-02T10:00 America/Chicago", State="TX", Age=40)
    assert [a.account.ref for a in result.buyers] == ["beta/beta-all", "acme/acme-tx"]
    assert [(a.account.ref, a.buyer) for a in result.accepted] == [
        ("beta/beta-all", True), ("acme/acme-tx", True), ("acme/acme-backup", False)]
    assert reasons(result) == {"gamma/gamma-tx": "client status is Inactive, not Active"}


def test_schedule_is_read_in_the_clients_zone(load) -> None:
    # 07:30 in Chicago is before acme's 08:00 window, although 09:30 in New York.
    result = route(load(), "2025-06-02T08:30 America/New_York", State="TX", Age=40)
    assert reasons(result)["acme/acme-tx"] == (
        "outside its schedule: Mon 07:30 in America/Chicago; its method takes leads "
        "mon-fri 08:00-18:00")
    platform = load(extra="routing: {schedule_time_zone: platform}\n")
    assert "acme/acme-tx" in reasons(route(platform, "2025-06-02T08:30 America/New_York",
                                           State="TX", Age=40))
    assert "acme/acme-tx" not in reasons(route(platform, "2025-06-02T11:30 America/New_York",
                                               State="TX", Age=40))


def test_the_first_failing_criterion_with_the_leads_value(load) -> None:
    result = route(load(), "2025-06-02T10:00 America/Chicago", State="tx", Age=19)
    assert reasons(result)["acme/acme-tx"] == "criterion 2 (Age Between 25,65): '19' is not between 25 and 65"
    assert [a.account.ref for a in result.buyers] == ["beta/beta-all", "acme/acme-backup"]


def test_no_buyer(load) -> None:
    result = route(load(), "2025-06-02T10:00 America/Chicago", State="CA", Age=30)
    assert result.buyers == []
    assert reasons(result)["beta/beta-all"] == "criterion 1 (State NotIn CA): 'CA' is in [CA]"


def test_distribution_priorities_and_tiers(load) -> None:
    settings = """routing:
  distribution: Priority
  priorities: {acme: 0, beta: 3}
  tier_delivery: [acme]
"""
    result = route(load(extra=settings), "2025-06-02T10:00 America/Chicago", State="TX", Age=40)
    assert [a.account.ref for a in result.buyers] == ["acme/acme-tx", "acme/acme-backup", "beta/beta-all"]


def test_unknown_lead_type_is_a_clear_error(load) -> None:
    lead = make_lead({"lead_type": "Solar", "State": "TX"}, "leads.yaml:1:1")
    with pytest.raises(LexsyncError, match="no delivery method takes lead type 'Solar'"):
        Router(build_network(load().model)).route(lead, parse_moment("now", LA))


def test_moments() -> None:
    assert parse_moment("2025-06-01T21:00-05:00", LA).utcoffset().total_seconds() == -5 * 3600
    assert parse_moment("2025-06-01T21:00", LA).tzinfo is LA
    assert str(parse_moment("2025-06-01T21:00 Eastern Standard Time", LA).tzinfo) == "America/New_York"
    with pytest.raises(LexsyncError, match="cannot read the moment"):
        parse_moment("sunday night", LA)
    with pytest.raises(LexsyncError, match="unknown time zone"):
        parse_moment("2025-06-01T21:00 Mars/Olympus", LA)
