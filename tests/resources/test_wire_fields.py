"""Every field of every write body is accounted for: from the YAML, the live read or state.

The kinds' tables are checked against the sandbox's field specs (a second transcription of
the same reference), and real bodies are captured from applies against the in-process
sandbox: an update never carries a default, and a body with a field nothing knows is never
sent.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from lexsync.engine.session import RunOptions, Session
from lexsync.resources import inventory
from lexsync.resources.base import ResourceKind, UnknownValues
from lexsync.resources.registry import BY_NAME, KINDS
from lexsync.resources.wirefields import (
    KNOWN_ON_UPDATE,
    Body,
    Cls,
    Resolution,
    Source,
    WireTable,
    resolve,
)
from lexsync.sandbox import schemas
from lexsync.sandbox.app import SandboxConfig, create_app

CREDENTIALS = {"api_key": "sandbox-key", "client_id": "sandbox", "client_secret": "sandbox-secret"}
REPO = Path(__file__).resolve().parents[2]


def names(schema: schemas.Schema, *extra: str) -> list[str]:
    return [f.name for f in schema.fields] + list(extra)


REFERENCE = {
    ("client_group", "rest"): names(schemas.SOAP_GROUP),
    ("client_group", "soap"): names(schemas.SOAP_GROUP),
    ("client", "rest"): names(schemas.REST_CLIENT_INFO, "FieldData"),
    ("client", "soap"): names(schemas.SOAP_CLIENT, "FieldData"),
    ("delivery_method", "rest"): names(schemas.REST_METHOD),
    ("delivery_method", "soap"): names(schemas.SOAP_METHOD),
    ("delivery_account", "rest"): names(schemas.REST_ACCOUNT),
    ("delivery_account", "soap"): names(schemas.SOAP_ACCOUNT),
}


@pytest.mark.parametrize(("kind", "dialect"), sorted(REFERENCE))
def test_each_table_lists_exactly_the_fields_of_its_write_in_order(kind: str, dialect: str) -> None:
    table = BY_NAME[kind].wire_table(dialect)
    assert [f.key for f in table.fields] == REFERENCE[(kind, dialect)]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.kind)
def test_every_field_but_identity_and_omitted_has_an_attribute(kind: ResourceKind) -> None:
    for dialect in ("rest", "soap"):
        for wire_field in kind.wire_table(dialect).fields:
            if wire_field.cls in (Cls.IDENTITY, Cls.OMITTED):
                assert wire_field.attr is None, wire_field
            else:
                assert wire_field.attr, wire_field
            if wire_field.cls is Cls.WRITE_ONLY:
                assert wire_field.yaml and wire_field.hint and wire_field.note, wire_field


def test_only_the_rest_account_has_write_only_fields() -> None:
    write_only = {(k.kind, d): [f.key for f in k.wire_table(d).fields if f.cls is Cls.WRITE_ONLY]
                  for k in KINDS for d in ("rest", "soap")}
    account = write_only.pop(("delivery_account", "rest"))
    assert account[:2] == ["WeekMax", "AlternatePosting"] and len(account) == 20
    assert all(key.startswith("Offer") for key in account[2:])
    assert not any(write_only.values())


def test_the_inventory_in_docs_wire_md_is_current() -> None:
    text = (REPO / "docs" / "wire.md").read_text(encoding="utf-8")
    assert inventory.replace_in(text) == text, \
        "docs/wire.md is out of date: run python -m lexsync.resources.inventory"


def test_resolve_takes_yaml_then_live_then_state_and_defaults_only_on_create() -> None:
    table = BY_NAME["delivery_account"].wire_table("rest")
    managed = {"price": 5, "caps": {"hour": 1}}
    update = resolve(table, managed=managed, live_readable=True,
                     previous={"caps": {"week": 7}, "alternate_posting": None}, creating=False)
    assert update.sources["Price"] is Source.YAML and update.sources["DayMax"] is Source.LIVE
    assert update.sources["WeekMax"] is update.sources["AlternatePosting"] is Source.STATE
    assert [f.key for f in update.unknown] == [f"Offer{k}" for k in OFFER_SUFFIXES]
    create = resolve(table, managed=managed, live_readable=False, previous={}, creating=True)
    assert not create.unknown and create.sources["OfferName"] is Source.DEFAULT


OFFER_SUFFIXES = ("Enabled", "IsDynamic", "Name", "RequireCustomConsent", "CompanyPhoneNumber",
                  "CompanyName", "Description", "Image", "URL", "PrivacyUrl", "TermsUrl", "TCPA",
                  "Amount", "StartDate", "EndDate", "TimeZone", "Duration", "ParseCode")


def test_a_body_with_a_field_nothing_knows_is_never_sent() -> None:
    kind = BY_NAME["delivery_account"]
    table = kind.wire_table("rest")
    body = Body({"ClientAccountUID": 6001}, Resolution(unknown=[table.by_key("WeekMax")]), "rest")

    class Api:
        sent = 0

        async def write_account(self, client_uid: int, account: dict[str, Any]) -> int:
            Api.sent += 1
            return 1

    with pytest.raises(UnknownValues, match="not sent: lexsync does not know WeekMax"):
        asyncio.run(kind.write(Api(), body, 1001))  # type: ignore[arg-type]
    assert Api.sent == 0


# --- bodies from real applies ------------------------------------------------------------
FULL = """lexsync: {{dialect: {dialect}}}
lead_types: [Auto Insurance]
client_groups:
  gold: {{description: Gold buyers, display_order: 2}}
clients:
  acme:
    status: Active
    group: gold
    username: acme-portal
    password: pw-1
{automation}    time_zone: Eastern Standard Time
    time_offset: -5
    notes: {notes}
    override_reassign: true
    fields: {{Company: Acme, City: Reno}}
    delivery_methods:
      post:
        type: email
        lead_type: Auto Insurance
        url: {url}
        in_testing: true
        response_search: ok
        response_regex: true
        template: <lead/>
        lead_category: 3
        client_email: thanks
        email: {{to: a@x.example, subject: s, template: t, from: f@x.example, cc: c@x.example,
                bcc: b@x.example, t_address: t@x.example}}
        smtp: {{server: smtp.x.example, auth: true, username: u, password: smtp-pw}}
        ftp: {{user: fu, password: ftp-pw, path: /in}}
        field_mappings:
          - {{name: fn, lead_field: FirstName, map: {{a: b}}}}
          - {{name: src, static: x}}
        schedule:
          - {{days: [mon], from: "08:00", to: "18:00"}}
          - {{date: "2030-12-25", from: "00:00", to: "24:00", allow: false}}
      backup:
        type: http_post
        lead_type: Auto Insurance
        url: https://backup.example
    delivery_accounts:
      main:
        method: post
        description: Main
        price: {price}
        caps: {{hour: 1, day: 2, month: 4{week}}}
        status: Open
        delay: 5
        use_order: true
        redirect_url: https://r.example
        automation: false
        account_type: redirect
        agent_name: Pat
        agent_phone: "555"
{write_only}        criteria:
          - {{field: State, op: In, value: [CA]}}
"""
WRITE_ONLY = """        alternate_posting: backup
        offer: {enabled: true, name: Summer, amount: "9.99", start_date: 2030-06-01, duration: yearly}
"""
MINIMAL = """lexsync: {{dialect: {dialect}}}
lead_types: [Auto Insurance]
clients:
  acme:
    username: acme-portal
    password: pw-1
    delivery_methods:
      post: {{type: email, lead_type: Auto Insurance, url: {url}}}
      backup: {{type: http_post, lead_type: Auto Insurance}}
    delivery_accounts:
      main: {{method: post, price: {price}}}
"""


def full(dialect: str, *, price: str = "10", notes: str = "first", url: str = "https://a.example") -> str:
    rest = dialect == "rest"
    return FULL.format(dialect=dialect, price=price, notes=notes, url=url,
                       automation="    automation: RoundRobin\n" if rest else "",
                       week=", week: 3" if rest else "", write_only=WRITE_ONLY if rest else "")


def minimal(dialect: str, *, price: str = "10", url: str = "https://a.example") -> str:
    return MINIMAL.format(dialect=dialect, price=price, url=url)


class Bodies:
    """Applies configurations against one in-process sandbox, keeping every body written."""

    def __init__(self, directory: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.directory = directory
        self.transport = httpx.ASGITransport(app=create_app(SandboxConfig()))
        self.sent: list[tuple[ResourceKind, Body]] = []
        original = ResourceKind.write

        async def keep(kind: ResourceKind, api: Any, body: Any, parent_id: int | None) -> int:
            self.sent.append((kind, body))
            return await original(kind, api, body, parent_id)

        monkeypatch.setattr(ResourceKind, "write", keep)

    def apply(self, text: str) -> list[tuple[ResourceKind, Body]]:
        (self.directory / "lexsync.yaml").write_text(text, encoding="utf-8")
        session = Session(RunOptions(config_path=self.directory / "lexsync.yaml",
                                     transport=self.transport, api_url="http://127.0.0.1",
                                     default_credentials=CREDENTIALS, environ={}))
        self.sent = []
        _, result = asyncio.run(session.apply(lambda plan: True))
        assert result is not None and not result.failed and not result.verify_problems
        return self.sent


def fields_of(kind: ResourceKind, body: Body) -> set[str]:
    flat = dict(body["Info"], FieldData=body["FieldData"]) if kind.kind == "client" else body
    return set(flat)


def check_update(kind: ResourceKind, body: Body, table: WireTable) -> None:
    sent = {f.key for f in table.sent()}
    assert not body.unknown, (kind.kind, body.unknown)
    assert set(body.sources) == sent, (kind.kind, sent ^ set(body.sources))
    assert set(body.sources.values()) <= KNOWN_ON_UPDATE, (kind.kind, body.sources)
    assert fields_of(kind, body) <= sent


@pytest.mark.parametrize("dialect", ["rest", "soap"])
@pytest.mark.parametrize("shape", ["full", "minimal"])
def test_every_field_of_every_update_body_comes_from_the_yaml_the_live_read_or_state(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dialect: str, shape: str) -> None:
    bodies = Bodies(tmp_path, monkeypatch)
    make = full if shape == "full" else minimal
    created = bodies.apply(make(dialect))
    assert {k.kind for k, _ in created} >= {"client", "delivery_method", "delivery_account"}
    for _, body in created:
        assert not body.unknown and set(body.sources.values()) <= KNOWN_ON_UPDATE | {Source.DEFAULT}
    changes = {"price": "11", "url": "https://b.example"} | ({"notes": "second"} if shape == "full" else {})
    updated = bodies.apply(make(dialect, **changes))
    assert sorted(k.kind for k, _ in updated) == \
        sorted(["delivery_method", "delivery_account"] + (["client"] if shape == "full" else []))
    for kind, body in updated:
        check_update(kind, body, kind.wire_table(dialect))
        # A minimal YAML leaves nearly every field to the live read and to state.
        if shape == "minimal":
            sources = set(body.sources.values())
            assert Source.LIVE in sources and sources - {Source.IDENTITY, Source.LIVE} <= \
                {Source.YAML, Source.STATE}
    if dialect == "rest":
        [(_, account)] = [(k, b) for k, b in updated if k.kind == "delivery_account"]
        assert account.sources["WeekMax"] is (Source.YAML if shape == "full" else Source.STATE)
        if shape == "full":
            assert (account["WeekMax"], account["OfferName"], account["OfferDuration"]) == (3, "Summer", 1)
            assert account["OfferStartDate"] == "2030-06-01T00:00:00"
            assert account["OfferEndDate"] == "1900-01-01T00:00:00"
            assert account["AlternatePosting"] > 0 and account["AlternatePosting"] != account["DeliveryUID"]
        else:
            assert (account["WeekMax"], account["AlternatePosting"], account["OfferEnabled"]) == (-1, 0, False)


def test_a_retirement_carries_every_field_it_knows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bodies = Bodies(tmp_path, monkeypatch)
    bodies.apply(full("rest"))
    retired = bodies.apply(full("rest").split("    delivery_accounts:")[0])
    [(kind, body)] = retired
    assert kind.kind == "delivery_account" and body["Status"] == 9
    check_update(kind, body, kind.wire_table("rest"))
    assert (body["WeekMax"], body["OfferName"]) == (3, "Summer")  # from state, not defaults


LONELY = """lexsync: {{dialect: rest}}
lead_types: [Auto Insurance]
clients:
  acme:
    username: acme-portal
    password: pw-1
    delivery_methods:
      spare:
        type: email
        lead_type: Auto Insurance
        url: {url}
{smtp}"""


def test_a_method_leadexec_cannot_show_is_written_from_what_state_recorded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lexsync.errors import ConfigError

    bodies = Bodies(tmp_path, monkeypatch)
    bodies.apply(LONELY.format(url="https://a.example", smtp=""))
    [(kind, body)] = bodies.apply(LONELY.format(url="https://b.example", smtp=""))
    check_update(kind, body, kind.wire_table("rest"))
    assert body.sources["DeliveryAddress"] is Source.YAML
    assert {body.sources[k] for k in ("tAddress", "EmailTemplate", "DateAdded", "FieldSettings")} == \
        {Source.STATE}
    # An empty password is the one secret a hash tells; any other is never sent from state.
    assert body.sources["SMTPPassword"] is Source.STATE and body["SMTPPassword"] == ""
    bodies.apply(LONELY.format(url="https://b.example",
                               smtp="        smtp: {server: s.example, password: hunter2}\n"))
    with pytest.raises(ConfigError) as refused:
        bodies.apply(LONELY.format(url="https://c.example", smtp=""))
    [problem] = refused.value.diagnostics
    assert problem.summary.startswith("client.acme.delivery_method.spare: smtp.password is unknown "
                                      "(LeadExec shows a method only through the delivery accounts")


def test_a_value_the_yaml_does_not_name_goes_back_exactly_as_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bodies = Bodies(tmp_path, monkeypatch)
    bodies.apply(full("rest"))
    store = bodies.transport.app.state.sandbox.store  # type: ignore[attr-defined]
    with store.transaction() as tx:
        [client] = tx.all("clients")
        client["FieldData"]["13"] = "  fax, spaced  "
        tx.update("clients", client["ClientUID"], client)
    [(_, body)] = [(k, b) for k, b in bodies.apply(full("rest", notes="second")) if k.kind == "client"]
    assert {"ClientFieldUID": 13, "Value": "  fax, spaced  "} in body["FieldData"]
