"""The fields modelled for issue 14: static-date schedule days, offers, AlternatePosting,
LeadCatUID, tAddress and ClientEmail, from the YAML to the wire and back."""

from __future__ import annotations

from typing import Any

import pytest

from lexsync.config.models import Configuration
from lexsync.resources.base import Live, Target
from lexsync.resources.delivery_account import EMPTY_OFFER, DeliveryAccountKind
from lexsync.resources.delivery_method import DeliveryMethodKind, schedule_yaml
from lexsync.resources.wirefields import UNKNOWN
from tests.resources.test_observe import context


def day(uid: int, weekday: int, static: str, start: str, end: str, allow: bool = True) -> dict[str, Any]:
    return {"DeliveryDayUID": uid, "DeliveryUID": 9, "WeekDay": weekday, "StaticDate": static,
            "StartTime": start, "EndTime": end, "Allow": allow}


METHOD_WIRE = {
    "ClientDeliveryUID": 9, "ClientUID": 2, "Name": "post", "Type": 5, "Status": True,
    "LeadTypeUID": 1, "tAddress": "t@x.example", "LeadCatUID": 4, "ClientEmail": "thanks",
    "DeliveryDays": [
        day(51, 1, "1900-01-01T00:00:00", "1900-01-01T08:00:00", "1900-01-01T18:00:00"),
        day(52, 3, "2030-12-25T00:00:00", "2030-12-25T00:00:00", "2030-12-25T23:59:59", False),
        day(53, 2, "0001-01-01T00:00:00", "1900-01-01T09:00:00", "1900-01-01T10:00:00"),
    ],
}


def test_a_static_date_day_is_its_own_window_not_a_weekday() -> None:
    kind = DeliveryMethodKind()
    attrs = kind.observe(METHOD_WIRE, context())
    assert attrs["schedule"] == ["mon 08:00-18:00", "tue 09:00-10:00", "2030-12-25 00:00-24:00 deny"]
    assert kind.sub_ids(METHOD_WIRE) == {"schedule.mon.0": 51, "schedule.2030-12-25.0": 52,
                                         "schedule.tue.0": 53}
    assert schedule_yaml(attrs["schedule"]) == [
        {"days": ["mon"], "from": "08:00", "to": "18:00"},
        {"days": ["tue"], "from": "09:00", "to": "10:00"},
        {"date": "2030-12-25", "from": "00:00", "to": "24:00", "allow": False}]
    assert (attrs["email"]["t_address"], attrs["lead_category"], attrs["client_email"]) == \
        ("t@x.example", 4, "thanks")


def test_a_static_date_day_is_written_back_on_its_date() -> None:
    kind = DeliveryMethodKind()
    days = kind._days(["mon 08:00-18:00", "2030-12-25 00:00-24:00 deny"],
                      {"schedule.2030-12-25.0": 52}, 9)
    assert days[1] == day(52, 3, "2030-12-25T00:00:00", "2030-12-25T00:00:00", "2030-12-25T23:59:59",
                          False)
    assert days[0]["StaticDate"] == "1900-01-01T00:00:00" and days[0]["DeliveryDayUID"] == 0


def configuration(account: dict[str, Any], method: dict[str, Any] | None = None) -> Configuration:
    return Configuration.model_validate({
        "clients": {"acme": {"username": "acme", "delivery_methods": {
            "post": {"type": "email", "lead_type": "Auto Insurance", **(method or {})},
            "backup": {"type": "http_post", "lead_type": "Auto Insurance"}},
            "delivery_accounts": {"main": {"method": "post", **account}}}}})


def test_the_yaml_of_the_new_method_keys_and_a_static_window() -> None:
    method = {"lead_category": 4, "client_email": "thanks", "email": {"t_address": "t@x.example"},
              "schedule": [{"days": ["mon"], "from": "08:00", "to": "18:00"},
                           {"date": "2030-12-25", "from": "00:00", "to": "24:00", "allow": False}]}
    ctx = context()
    [desired, _] = DeliveryMethodKind().expand(configuration({}, method), ctx)
    observed = DeliveryMethodKind().observe(METHOD_WIRE, ctx)
    assert desired.attrs["schedule"] == ["mon 08:00-18:00", "2030-12-25 00:00-24:00 deny"]
    for key in ("lead_category", "client_email"):
        assert desired.attrs[key] == observed[key]
    assert desired.attrs["email"] == {"t_address": "t@x.example"}
    yaml = DeliveryMethodKind().to_yaml("post", observed, ctx, {})
    assert (yaml["lead_category"], yaml["client_email"], yaml["email"]) == \
        (4, "thanks", {"t_address": "t@x.example"})


@pytest.mark.parametrize("offer", ["none", "None", None, {}, {"enabled": False}])
def test_no_offer_is_every_offer_field_empty_and_known(offer: Any) -> None:
    [desired] = DeliveryAccountKind().expand(configuration({"offer": offer}), context())
    assert desired.attrs["offer"] == EMPTY_OFFER
    assert EMPTY_OFFER["duration"] == "monthly" and EMPTY_OFFER["start_date"] == ""


def test_an_offer_and_an_alternate_posting_in_the_yaml_and_on_the_wire() -> None:
    ctx = context()
    ctx.ids = {"client.acme": 2, "client.acme.delivery_method.post": 9,
               "client.acme.delivery_method.backup": 10}
    kind = DeliveryAccountKind()
    offer = {"enabled": True, "name": "Summer", "amount": "9.99", "start_date": "2030-06-01",
             "end_date": "2030-06-30T12:30", "duration": "yearly"}
    [desired] = kind.expand(configuration({"offer": offer, "alternate_posting": "backup"}), ctx)
    assert desired.depends_on[-1] == "client.acme.delivery_method.backup"
    wanted = desired.attrs["offer"]
    assert (wanted["amount"], wanted["start_date"], wanted["end_date"]) == \
        ("9.99", "2030-06-01T00:00:00", "2030-06-30T12:30:00")
    target = Target(ctx, "acme", None, desired, 0, 2)
    table = kind.wire_table("rest")
    wire = {f.key: kind.wire_value(f, desired.attrs, target) for f in table.fields
            if f.key.startswith("Offer") or f.key == "AlternatePosting"}
    assert (wire["AlternatePosting"], wire["OfferDuration"], wire["OfferAmount"]) == (10, 1, "9.99")
    assert (wire["OfferStartDate"], wire["OfferTimeZone"]) == ("2030-06-01T00:00:00", "")
    yaml = kind.to_yaml("main", desired.attrs, ctx, {})
    assert yaml["alternate_posting"] == "backup"
    assert yaml["offer"] == {"enabled": True, "name": "Summer", "amount": "9.99",
                             "start_date": "2030-06-01T00:00:00", "end_date": "2030-06-30T12:30:00",
                             "duration": "yearly"}
    assert kind.to_yaml("main", {**desired.attrs, "offer": dict(EMPTY_OFFER)}, ctx, {})["offer"] == "none"


def account_wire() -> dict[str, Any]:
    return {"ClientAccountUID": 6, "ClientUID": 2, "DeliveryUID": 9, "Price": 5, "HourMax": 1,
            "DayMax": -1, "MonthMax": -1, "Status": 12, "Description": "main",
            "DeliveryDetails": {"LeadTypeUID": 1}}


def test_what_no_read_shows_is_unknown_without_state_and_never_a_default() -> None:
    kind, ctx = DeliveryAccountKind(), context()
    attrs = kind.observe(account_wire(), ctx, {}, "acme")
    assert (attrs["caps"]["week"], attrs["alternate_posting"]) == (UNKNOWN, UNKNOWN)
    assert set(attrs["offer"].values()) == {UNKNOWN}
    assert [key for key, _ in kind.unknown_placeholders(attrs, ctx)] == \
        ["caps.week", "alternate_posting", "offer"]
    yaml = kind.to_yaml("main", attrs, ctx, {})
    assert "week" not in yaml.get("caps", {}) and "offer" not in yaml and "alternate_posting" not in yaml
    live = Live(6, account_wire(), attrs, parent_id=2)
    assert [f.key for f in kind.unknown_fields({"price": 6}, live, ctx, {})][:2] == \
        ["WeekMax", "AlternatePosting"]


def test_a_weekly_cap_an_older_lexsync_recorded_is_not_trusted_alone() -> None:
    # Before lexsync knew AlternatePosting, import recorded caps.week = -1 without knowing it.
    kind, ctx = DeliveryAccountKind(), context()
    old = {"caps": {"hour": 1, "day": -1, "week": -1, "month": -1}}
    assert kind.observe(account_wire(), ctx, old, "acme")["caps"]["week"] == UNKNOWN
    known = {**old, "alternate_posting": None, "offer": dict(EMPTY_OFFER)}
    attrs = kind.observe(account_wire(), ctx, known, "acme")
    assert (attrs["caps"]["week"], attrs["alternate_posting"], attrs["offer"]) == (-1, None, EMPTY_OFFER)
    assert kind.unknown_placeholders(attrs, ctx) == []


def test_the_soap_dialect_has_no_write_only_account_values() -> None:
    ctx = context()
    ctx.dialect = "soap"
    kind = DeliveryAccountKind()
    attrs = kind.observe(account_wire(), ctx, {}, "acme")
    assert "week" not in attrs["caps"] and "offer" not in attrs and "alternate_posting" not in attrs
    live = Live(6, account_wire(), attrs, parent_id=2)
    assert kind.unknown_fields({"price": 6}, live, ctx, {}) == []
    assert kind.unknown_placeholders(attrs, ctx) == []
