"""Observing wire objects: what the tables worked out once per kind and the remembered
values must give, object by object."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from lexsync.resources.base import Context
from lexsync.resources.catalog import Catalog
from lexsync.resources.delivery_account import DeliveryAccountKind
from lexsync.resources.delivery_method import DeliveryMethodKind
from lexsync.resources.values import scalar_text
from tests.engine.fake_api import FakeApi


def context() -> Context:
    catalog = Catalog()
    asyncio.run(catalog.load(FakeApi(), {"Auto Insurance"}, need_states=True))
    return Context(catalog=catalog, dialect="rest", hash_secret=lambda plain: f"hash({plain})")


def test_method_blocks_keep_their_order_and_hash_passwords_unstripped() -> None:
    wire = {"ClientDeliveryUID": 9, "Name": " post ", "Type": 4, "Status": True, "LeadTypeUID": 1,
            "FTPUser": " bob ", "FTPPassword": " pw ", "FTPPath": "/in", "SMTPAuth": 1,
            "SMTPPassword": None, "useRegEx": 0, "XML": " <x/> "}
    attrs = DeliveryMethodKind().observe(wire, context())
    assert list(attrs) == ["name", "type", "lead_type", "enabled", "date_added", "email_notify",
                           "notify_email", "in_testing", "url", "response_search", "response_regex",
                           "template", "lead_category", "client_email", "email", "smtp", "ftp",
                           "field_mappings", "schedule"]
    # Text exactly as read, spaces included (issue 21, row 7), like the password it hashes.
    assert attrs["ftp"] == {"user": " bob ", "password": "hash( pw )", "path": "/in"}
    assert list(attrs["ftp"]) == ["user", "password", "path"]
    assert list(attrs["smtp"]) == ["server", "auth", "username", "password"]
    assert (attrs["smtp"]["auth"], attrs["smtp"]["password"]) == (True, "hash()")
    assert (attrs["name"], attrs["type"], attrs["template"], attrs["response_regex"]) == \
        (" post ", "ftp", " <x/> ", False)


@pytest.mark.parametrize(("wire_type", "name"), [(99, "#99"), ("5", "email")])
def test_method_types_by_number_or_as_the_wire_spells_an_unknown_one(wire_type: Any, name: str) -> None:
    assert DeliveryMethodKind().observe({"Type": wire_type}, context())["type"] == name


def test_unknown_account_numbers_are_shown_as_read() -> None:
    attrs = DeliveryAccountKind().observe({"Status": "13", "AccountType": "7"}, context(), {}, "acme")
    assert (attrs["status"], attrs["account_type"]) == ("#13", "#7")


def criterion(uid: int, value: str, op: str = "In") -> dict[str, Any]:
    return {"LeadFieldUID": uid, "Operator": op, "Value": value, "Type": "FieldValue"}


def test_a_remembered_criterion_value_depends_on_whether_the_field_holds_states() -> None:
    ctx = context()
    account = {"DeliveryDetails": {"LeadTypeUID": 1},
               "Criteria": [criterion(103, "2,1"), criterion(104, "2,1"), criterion(103, "2,1"),
                            criterion(104, "2,1", "Between"), criterion(105, " 007 ", "Equal"),
                            criterion(105, "test, demo", "Doesnt_Contain")]}
    values = [c["value"] for c in DeliveryAccountKind().observe(account, ctx, {}, "acme")["criteria"]]
    # Exactly as read: only a list operator's value is split (and In/NotIn sorted).
    assert values == ["CA,NV", "1,2", "CA,NV", "2,1", " 007 ", "test, demo"]


def test_the_catalog_forgets_remembered_values_when_it_learns_more() -> None:
    ctx = context()
    ctx.catalog.memo("criterion_value")["anything"] = "stale"
    asyncio.run(ctx.catalog.load(FakeApi(), {"Home Insurance"}, need_states=False))
    assert ctx.catalog.memo("criterion_value") == {}


@pytest.mark.parametrize(("value", "spelled"), [
    ("25.00", "25.00"), (" 7 ", " 7 "), ("-3.50", "-3.50"), ("CA", "CA"), ("²", "²"), ("", ""),
    (65.0, "65.0"), (65, "65"), (True, "true"), (1, "1"), (False, "false"), (0, "0"), (None, ""),
    (2 ** 60 + 1, "1152921504606846977"), (0.1, "0.1"), (1e-07, "1e-07"),
])
def test_scalar_text_spells_each_value_the_same_every_time(value: Any, spelled: str) -> None:
    assert scalar_text(value) == spelled
    assert scalar_text(value) == spelled  # and again, from what it remembers


def test_client_field_names_answer_as_each_name_look_up() -> None:
    catalog = Catalog()
    catalog.learn_client_fields([{"ClientFieldUID": 40, "Descriptor": "Tier"},
                                 {"ClientFieldUID": 41, "Descriptor": "Region"},
                                 {"ClientFieldUID": 40, "Descriptor": "Tier again"}])
    names = catalog.client_field_names()
    assert names == {uid: catalog.client_field_name(uid) for uid in names}
    assert (names[1], names[40], names[41]) == ("Company", "Tier", "Region")
