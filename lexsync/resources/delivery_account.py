"""client.C.delivery_account.NAME — PUT /v1/delivery/{ClientUID}/accounts or AddEditClientAccount.

Criteria are parts of the account, kept in place by their ClientCriteriaUID (matched by
position). The weekly cap, AlternatePosting and the Offer* fields exist only in the rest
dialect and no read returns them: a write takes them from the YAML or from state's last
applied value, and is refused when neither knows them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from lexsync.api.protocol import LeadExecWrites
from lexsync.config.models import (
    OFFER_DURATIONS,
    Client,
    Configuration,
    Criterion,
    DeliveryAccount,
    Offer,
)
from lexsync.resources.base import (
    Context,
    Desired,
    Live,
    ResolutionError,
    ResourceKind,
    Target,
    Wire,
)
from lexsync.resources.catalog import UnknownName
from lexsync.resources.live import LiveView
from lexsync.resources.values import BASE_DATE, number, scalar_text, text
from lexsync.resources.wirefields import UNKNOWN, Cls, WireField, WireTable, path_value

ACCOUNT_STATUSES = {"Closed": 9, "Suspended": 10, "OnHold": 11, "Open": 12}
STATUS_NAMES = {v: k for k, v in ACCOUNT_STATUSES.items()}
ACCOUNT_TYPES = {"general": 0, "redirect": 1, "live_call": 2, "ivr_800": 3}
TYPE_NAMES = {v: k for k, v in ACCOUNT_TYPES.items()}
CAPS = {"hour": "HourMax", "day": "DayMax", "week": "WeekMax", "month": "MonthMax"}
OPTIONAL = {"delay": "DeliveryDelay", "use_order": "useOrder", "redirect_url": "RedirectURL",
            "automation": "AutomationEnabled", "agent_name": "AgentName", "agent_phone": "AgentPhone"}
UNORDERED_OPERATORS = {"In", "NotIn"}
LIST_OPERATORS = {"In", "NotIn", "Between"}  # written as a YAML list
DURATION_NAMES = {v: k for k, v in OFFER_DURATIONS.items()}
# offer attribute → its Offer* wire field, in the reference's order.
OFFER_WIRE = {
    "enabled": "OfferEnabled", "dynamic": "OfferIsDynamic", "name": "OfferName",
    "require_custom_consent": "OfferRequireCustomConsent",
    "company_phone": "OfferCompanyPhoneNumber", "company_name": "OfferCompanyName",
    "description": "OfferDescription", "image": "OfferImage", "url": "OfferURL",
    "privacy_url": "OfferPrivacyUrl", "terms_url": "OfferTermsUrl", "tcpa": "OfferTCPA",
    "amount": "OfferAmount", "start_date": "OfferStartDate", "end_date": "OfferEndDate",
    "time_zone": "OfferTimeZone", "duration": "OfferDuration", "parse_code": "OfferParseCode",
}
OFFER_DATES = ("start_date", "end_date")
# An offer date left empty is sent as the base date, like an unused StaticDate (docs/wire.md).
NO_DATE = f"{BASE_DATE}T00:00:00"


def offer_attrs(offer: Offer) -> dict[str, Any]:
    """The YAML's offer as normalised attributes: every field, dates as YYYY-MM-DDTHH:MM:SS."""
    out: dict[str, Any] = {}
    for attr in OFFER_WIRE:
        value = getattr(offer, attr)
        if attr in OFFER_DATES:
            value = _offer_date(value)
        elif isinstance(value, str):
            value = text(value)
        out[attr] = value
    return out


def _offer_date(value: str) -> str:
    if not value or not value.strip():
        return ""
    return datetime.fromisoformat(value.strip()).isoformat(timespec="seconds")


EMPTY_OFFER = offer_attrs(Offer())
ACCOUNT_DEFAULTS: dict[str, Any] = {
    "ClientAccountUID": 0, "ClientUID": 0, "DeliveryUID": 0, "Price": 0.0, "HourMax": -1,
    "DayMax": -1, "MonthMax": -1, "WeekMax": -1, "useOrder": False, "Status": 12,
    "DeliveryDelay": 0, "Description": "", "RedirectURL": "", "AutomationEnabled": True,
    "AlternatePosting": 0, "AccountType": 0, "AgentName": "", "AgentPhone": "",
}


def _managed(key: str, attr: str, yaml: str | None = None) -> WireField:
    return WireField(key, Cls.MANAGED, attr, default=ACCOUNT_DEFAULTS.get(key), yaml=yaml or attr)


_HEAD = (
    WireField("ClientAccountUID", Cls.IDENTITY, note="its own ID; 0 creates"),
    WireField("ClientUID", Cls.IDENTITY, note="the owning client's ID"),
    _managed("DeliveryUID", "method"),
    _managed("Price", "price"),
    _managed("HourMax", "caps.hour"),
    _managed("DayMax", "caps.day"),
    _managed("MonthMax", "caps.month"),
)
_WEEK = WireField("WeekMax", Cls.WRITE_ONLY, "caps.week", default=-1, yaml="caps.week",
                  hint="-1 = no cap", note="WeekMax")
_MIDDLE = (
    _managed("useOrder", "use_order"),
    _managed("Status", "status"),
    _managed("DeliveryDelay", "delay"),
    _managed("Description", "description"),
    _managed("RedirectURL", "redirect_url"),
    _managed("AutomationEnabled", "automation"),
)
_ALTERNATE = WireField("AlternatePosting", Cls.WRITE_ONLY, "alternate_posting", default=0,
                       yaml="alternate_posting",
                       hint="a delivery method of this client, or ~ for none",
                       note="AlternatePosting")
_TAIL = (
    _managed("AccountType", "account_type"),
    _managed("AgentName", "agent_name"),
    _managed("AgentPhone", "agent_phone"),
)
_OFFER = tuple(
    WireField(key, Cls.WRITE_ONLY, f"offer.{attr}",
              default=NO_DATE if attr in OFFER_DATES else OFFER_DURATIONS[EMPTY_OFFER[attr]]
              if attr == "duration" else EMPTY_OFFER[attr],
              yaml="offer", hint="offer: none, or its keys", note="the Offer* fields")
    for attr, key in OFFER_WIRE.items())
_CRITERIA = WireField("Criteria", Cls.MANAGED, "criteria", default=(), yaml="criteria")

# PUT /v1/delivery/{ClientUID}/accounts. GetClientAccounts returns every field but WeekMax,
# AlternatePosting and the Offer* fields.
REST_ACCOUNT = WireTable("PUT /v1/delivery/{ClientUID}/accounts", (
    *_HEAD, _WEEK, *_MIDDLE, _ALTERNATE, *_TAIL, *_OFFER, _CRITERIA,
), read="GetClientAccounts")
# AddEditClientAccount's account (ClientAccountType): no WeekMax, AlternatePosting or Offer*.
SOAP_ACCOUNT = WireTable("AddEditClientAccount", (
    *_HEAD, *_MIDDLE, *_TAIL, _CRITERIA,
    WireField("DeliveryDetails", Cls.OMITTED, note="the method as reads show it; ignored on write"),
), read="GetClientAccounts")
WRITE_ONLY_ATTRS = ("caps.week", "alternate_posting", "offer")


def criterion_value(items: list[str], op: str) -> str:
    """The wire's Value: the items joined with `,`, an In or NotIn list in sorted order (its
    order means nothing, so neither side's order makes a diff)."""
    return ",".join(sorted(items) if op in UNORDERED_OPERATORS else items)


def criterion_items(value: Any, op: str) -> list[str]:
    """The YAML's criterion value as text items, each exactly as written. A list is its items;
    the text of a list operator (In, NotIn, Between) is its `,`-separated items, as LeadExec
    reads it; any other value is one item, commas and spaces included."""
    if isinstance(value, list):
        return [scalar_text(v) for v in value]
    written = scalar_text(value)
    if op in LIST_OPERATORS:
        return written.split(",") if written else []
    return [written]


def _named(names: dict[int, str], number: int, raw: Any) -> str:
    """The name of a wire number, or #raw for one LeadExec added since."""
    name = names.get(number)
    return name if name is not None else f"#{raw}"


def _criterion_yaml(entry: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"field": entry["field"]}
    if entry["op"] != "Equal":
        out["op"] = entry["op"]
    value = entry.get("value", "")
    out["value"] = [_number_or_text(v) for v in value.split(",")] \
        if entry["op"] in LIST_OPERATORS and value else value
    if entry.get("type", "FieldValue") != "FieldValue":
        out["type"] = entry["type"]
    if entry.get("expression"):
        out["expression"] = entry["expression"]
    return out


def _number_or_text(item: str) -> int | float | str:
    """'25' → 25 so a range reads as numbers, where expand turns the number back into the same
    text; '007', '1.50' or '1e3' stay text (as numbers they would be sent as 7, 1.5, 1000.0)."""
    if not re.fullmatch(r"-?\d+(\.\d+)?", item):
        return item
    as_number: int | float = int(item) if "." not in item else float(item)
    return as_number if scalar_text(as_number) == item else item


class DeliveryAccountKind(ResourceKind):
    kind = "delivery_account"
    section = "delivery_accounts"
    natural_attr = "description"
    level = 3
    parent = "client"
    references = {"method": "delivery_method", "alternate_posting": "delivery_method"}
    always_managed = frozenset({"method", "description", "price", "caps", "status"})
    one_per_natural_key = True  # the description is the account's key when the YAML omits it
    yaml_defaults = {"delay": 0, "use_order": False, "automation": True, "account_type": "general",
                     "op": "Equal", "type": "FieldValue", "criteria": []}
    # No read shows these: import never removes what a person declared.
    yaml_kept = frozenset({"week", "alternate_posting", "offer"})
    wire_tables = {"rest": REST_ACCOUNT, "soap": SOAP_ACCOUNT}
    whole = frozenset({"criteria", "offer"})

    def call(self, dialect: str) -> str:
        return "PUT /v1/delivery/{ClientUID}/accounts" if dialect == "rest" else "AddEditClientAccount"

    def import_notes(self, ctx: Context, imported: int) -> list[str]:
        if ctx.dialect != "rest" or not imported:
            return []
        return ["LeadExec's reads cannot show an account's weekly cap (WeekMax), AlternatePosting "
                "or offer (Offer*): each account that lexsync does not know them for has a "
                "commented placeholder, and lexsync refuses to write it until they are declared"]

    def unknown_placeholders(self, attrs: Mapping[str, Any], ctx: Context) -> list[tuple[str, str]]:
        """(YAML key, how to declare it) for each write-only value the attributes do not know."""
        if ctx.dialect != "rest":
            return []
        out = []
        if path_value(attrs, "caps.week") == UNKNOWN:
            out.append(("caps.week", "WeekMax, as caps: {week: N}; -1 = no cap"))
        if path_value(attrs, "alternate_posting") == UNKNOWN:
            out.append(("alternate_posting", "AlternatePosting: a delivery method of this client, "
                                              "or ~ for none"))
        offer = attrs.get("offer")
        if not isinstance(offer, Mapping) or any(v == UNKNOWN for v in offer.values()):
            out.append(("offer", "the Offer* fields: offer: none, or offer: {enabled: true, "
                                 "name: ..., ...}"))
        return out

    # --- desired -------------------------------------------------------------------------
    def expand(self, config: Configuration, ctx: Context) -> list[Desired]:
        return [
            self._desired(client_key, client, key, account, ctx)
            for client_key, client in config.clients.items()
            for key, account in client.delivery_accounts.items()
        ]

    def _desired(self, client_key: str, client: Client, key: str, account: DeliveryAccount,
                 ctx: Context) -> Desired:
        path = ("clients", client_key, "delivery_accounts", key)
        caps: dict[str, int] = {}
        for name in CAPS:
            value = getattr(account.caps, name)
            if name != "week":
                caps[name] = -1 if value is None else value
            elif value is not None and ctx.dialect == "rest":
                caps[name] = value  # left out, the weekly cap is what lexsync last applied
        attrs: dict[str, Any] = {
            "method": account.method,
            "description": text(account.description or key),
            "price": number(account.price),
            "caps": caps,
            "status": account.status,
        }
        chosen = account.model_fields_set
        for name in OPTIONAL:
            if name in chosen:
                value = getattr(account, name)
                attrs[name] = text(value) if isinstance(value, str) or value is None else value
        if "account_type" in chosen:
            attrs["account_type"] = account.account_type
        depends = [f"client.{client_key}", f"client.{client_key}.delivery_method.{account.method}"]
        if ctx.dialect == "rest" and "alternate_posting" in chosen:
            attrs["alternate_posting"] = account.alternate_posting
            if account.alternate_posting and account.alternate_posting != account.method:
                depends.append(f"client.{client_key}.delivery_method.{account.alternate_posting}")
        if ctx.dialect == "rest" and isinstance(account.offer, Offer):
            attrs["offer"] = offer_attrs(account.offer)
        if "criteria" in chosen:
            method = client.delivery_methods.get(account.method)
            lead_type_uid = ctx.catalog.lead_type(method.lead_type) if method else 0
            attrs["criteria"] = [self._criterion(c, lead_type_uid, ctx, path, i)
                                 for i, c in enumerate(account.criteria)]
        return Desired(
            address=self.address(key, f"client.{client_key}"), kind=self.kind, name=key,
            attrs=attrs, client=client_key, config_path=path, depends_on=depends,
        )

    def _criterion(self, c: Criterion, lead_type_uid: int, ctx: Context,
                   account_path: tuple[str | int, ...], index: int) -> dict[str, Any]:
        try:
            field = ctx.catalog.lead_field(lead_type_uid, c.field)
        except UnknownName as exc:
            raise ResolutionError(str(exc), (*account_path, "criteria", index, "field")) from None
        items = criterion_items(c.value, c.op)
        if field.is_state:
            try:
                items = [ctx.catalog.state(item)[1] for item in items if item]
            except UnknownName as exc:
                raise ResolutionError(str(exc), (*account_path, "criteria", index, "value")) from None
        op = c.op
        entry: dict[str, Any] = {"field": field.name, "op": op, "type": c.type,
                                 "value": criterion_value(items, op)}
        if c.expression:
            entry["expression"] = c.expression
        return entry

    def to_yaml(self, key: str, attrs: Mapping[str, Any], ctx: Context,
                secret_refs: Mapping[str, str]) -> dict[str, Any]:
        out: dict[str, Any] = {"method": attrs["method"]}
        if attrs["description"] != key:
            out["description"] = attrs["description"]
        out["price"] = attrs["price"]
        # No read shows a weekly cap: written only when state knows the one lexsync applied.
        caps = {k: v for k, v in (attrs.get("caps") or {}).items()
                if v != UNKNOWN and (v != -1 or k == "week")}
        if caps:
            out["caps"] = {k: caps[k] for k in ("hour", "day", "week", "month") if k in caps}
        if attrs.get("status", "Open") != "Open":
            out["status"] = attrs["status"]
        if attrs.get("delay"):
            out["delay"] = attrs["delay"]
        if attrs.get("use_order"):
            out["use_order"] = True
        if attrs.get("automation") is False:
            out["automation"] = False
        if attrs.get("account_type", "general") != "general":
            out["account_type"] = attrs["account_type"]
        for name in ("redirect_url", "agent_name", "agent_phone"):
            if attrs.get(name):
                out[name] = attrs[name]
        if ctx.dialect == "rest" and path_value(attrs, "alternate_posting") != UNKNOWN:
            out["alternate_posting"] = attrs["alternate_posting"]
        offer = attrs.get("offer")
        if ctx.dialect == "rest" and isinstance(offer, Mapping) \
                and not any(v == UNKNOWN for v in offer.values()):
            written = {k: v for k, v in offer.items() if v != EMPTY_OFFER.get(k)}
            out["offer"] = written or "none"
        if attrs.get("criteria"):
            out["criteria"] = [_criterion_yaml(c) for c in attrs["criteria"]]
        return out

    # --- live ----------------------------------------------------------------------------
    def observe(self, wire: Wire, ctx: Context, previous: Mapping[str, Any] | None = None,
                client_key: str | None = None) -> dict[str, Any]:
        get = wire.get
        details = get("DeliveryDetails") or {}
        lead_type_uid = int(details.get("LeadTypeUID") or 0)
        method_address = ctx.address_of(f"client.{client_key}.delivery_method.", int(get("DeliveryUID") or 0))
        caps = {name: int(wire[key]) for name, key in CAPS.items() if key in wire and name != "week"}
        known: Mapping[str, Any] = {}
        if ctx.dialect == "rest":
            # No read carries WeekMax, AlternatePosting or Offer*: what lexsync last applied
            # is all there is to know; without it they are unknown (never guessed).
            known = self.trusted_previous(previous or {})
            caps["week"] = path_value(known, "caps.week")
        status = int(get("Status", 0))
        attrs: dict[str, Any] = {
            "method": method_address.rsplit(".", 1)[1] if method_address else text(details.get("Name")),
            "description": text(get("Description")),
            "price": number(get("Price", 0)),
            "caps": caps,
            "status": _named(STATUS_NAMES, status, status),
            "account_type": _named(TYPE_NAMES, int(get("AccountType", 0)), get("AccountType")),
        }
        for name, key in OPTIONAL.items():
            value = get(key)
            attrs[name] = text(value) if isinstance(value, str) or value is None else value
        if ctx.dialect == "rest":
            attrs["alternate_posting"] = path_value(known, "alternate_posting")
            offer = known.get("offer")
            attrs["offer"] = dict(offer) if isinstance(offer, Mapping) and set(offer) == set(OFFER_WIRE) \
                else dict.fromkeys(OFFER_WIRE, UNKNOWN)
        criteria = get("Criteria")
        # A network repeats the same few criterion values in every account: remember them.
        known = ctx.catalog.memo("criterion_value")
        attrs["criteria"] = [self._observe_criterion(c, lead_type_uid, ctx, known) for c in criteria] \
            if criteria else []
        return attrs

    def _observe_criterion(self, c: dict[str, Any], lead_type_uid: int, ctx: Context,
                           known: dict[tuple[str, str, bool], str]) -> dict[str, Any]:
        get = c.get
        field = ctx.catalog.lead_field_by_uid(lead_type_uid, int(get("LeadFieldUID") or 0))
        op = text(get("Operator")) or "Equal"
        is_state = field is not None and field.is_state
        key = (text(get("Value")), op, is_state)
        value = known.get(key)
        if value is None:
            value = known[key] = self._observed_value(*key, ctx)
        entry: dict[str, Any] = {"field": field.name if field else f"#{get('LeadFieldUID')}",
                                 "op": op, "type": text(get("Type")) or "FieldValue", "value": value}
        expression = text(get("Expression"))
        if expression:
            entry["expression"] = expression
        return entry

    def _observed_value(self, raw: str, op: str, is_state: bool, ctx: Context) -> str:
        """A wire criterion value as `expand` spells it: exactly as read, split on `,` only for
        a list operator (and for StateUIDs), states by abbreviation, In/NotIn sorted."""
        split = op in LIST_OPERATORS or is_state
        items = (raw.split(",") if raw else []) if split else [raw]
        if is_state:
            state_abbr = ctx.catalog.state_abbr
            items = [state_abbr.get(int(i), i) if i.isdigit() else i for i in items]
        return criterion_value(items, op)

    def sub_ids(self, wire: Wire) -> dict[str, int]:
        return {f"criterion.{i}": int(c["ClientCriteriaUID"])
                for i, c in enumerate(wire.get("Criteria", []) or [])}

    # --- writes --------------------------------------------------------------------------
    def trusted_previous(self, previous: Mapping[str, Any]) -> Mapping[str, Any]:
        # A state written before lexsync knew AlternatePosting recorded caps.week for imported
        # accounts without knowing it: a weekly cap counts as known only beside the
        # alternate_posting that every later write records with it.
        if "alternate_posting" in previous or path_value(previous, "caps.week") == UNKNOWN:
            return previous
        trusted = dict(previous)
        trusted["caps"] = {k: v for k, v in previous["caps"].items() if k != "week"}
        return trusted

    def shown_default(self, yaml_key: str, value: Any) -> Any:
        if yaml_key == "offer" and value == EMPTY_OFFER:
            return "none"
        return value

    def created_write_only(self, dialect: str) -> dict[str, Any]:
        if dialect != "rest":
            return {}
        return {"caps": {"week": -1}, "alternate_posting": None, "offer": dict(EMPTY_OFFER)}

    def identity_values(self, target: Target) -> dict[str, Any]:
        return {"ClientAccountUID": target.remote_id, "ClientUID": target.parent_id or 0}

    def wire_value(self, wire_field: WireField, attrs: Mapping[str, Any], target: Target) -> Any:
        value = super().wire_value(wire_field, attrs, target)
        key, ctx = wire_field.key, target.ctx
        if key in ("DeliveryUID", "AlternatePosting"):
            if not value:
                return 0
            return ctx.ids[f"client.{target.client_key}.delivery_method.{value}"]
        if key == "Price":
            return float(value)
        if key == "Status":
            return ACCOUNT_STATUSES[value] if value in ACCOUNT_STATUSES else int(str(value).lstrip("#"))
        if key == "AccountType":
            return ACCOUNT_TYPES[value] if value in ACCOUNT_TYPES else int(str(value).lstrip("#"))
        if key == "OfferDuration":
            return OFFER_DURATIONS[value]
        if key in ("OfferStartDate", "OfferEndDate"):
            return value or NO_DATE
        if key == "Criteria":
            return self._criteria(value, attrs["method"], target)
        return value

    def live_for_write(self, wire: Wire) -> Mapping[str, Any]:
        return {k: v for k, v in wire.items() if k != "DeliveryDetails"}

    def retire_overlay(self) -> dict[str, Any]:
        return {"status": "Closed"}

    def _criteria(self, criteria: list[dict[str, Any]], method: str, target: Target) -> list[dict[str, Any]]:
        ctx = target.ctx
        method_address = f"client.{target.client_key}.delivery_method.{method}"
        lead_type_uid = ctx.catalog.lead_type(ctx.method_lead_types[method_address])
        sub_ids = target.sub_ids
        out = []
        for i, entry in enumerate(criteria):
            field = ctx.catalog.lead_field(lead_type_uid, entry["field"])
            items = entry["value"].split(",") if entry["value"] else []
            if field.is_state:
                items = [str(ctx.catalog.state(item)[0]) for item in items]
            out.append({
                "ClientCriteriaUID": sub_ids.get(f"criterion.{i}", 0),
                "LeadFieldUID": field.uid, "Type": entry["type"],
                "Expression": entry.get("expression", ""), "Operator": entry["op"],
                "Value": ",".join(items),
            })
        return out

    async def send(self, api: LeadExecWrites, body: dict[str, Any], parent_id: int | None) -> int:
        assert parent_id is not None
        return await api.write_account(parent_id, body)

    def _live(self, wire: Wire, ctx: Context, previous: Live | None,
              client_key: str | None) -> Live:
        return Live(int(wire["ClientAccountUID"]), wire,
                    self.observe(wire, ctx, previous.attrs if previous else {}, client_key),
                    parent_id=int(wire.get("ClientUID", 0)), sub_ids=self.sub_ids(wire))

    def find_live(self, view: LiveView, remote_id: int, ctx: Context, previous: Live | None,
                  client_key: str | None) -> Live | None:
        client_uid = previous.parent_id if previous and previous.parent_id else \
            ctx.ids.get(f"client.{client_key}")
        wire = view.account(client_uid, remote_id) if client_uid else None
        return self._live(wire, ctx, previous, client_key) if wire is not None else None

    def release(self, view: LiveView, live: Live) -> None:
        rows = view.accounts.get(live.parent_id or 0, [])
        rows[:] = [row for row in rows if row is not live.wire]
        super().release(view, live)

    def live_candidates(self, view: LiveView, ctx: Context, client_key: str | None) -> list[Live]:
        client_uid = ctx.ids.get(f"client.{client_key}")
        if client_uid is None:
            return []
        return [self._live(w, ctx, None, client_key) for w in view.accounts.get(client_uid, [])]

    def is_retired(self, live: Live) -> bool:
        return live.attrs.get("status") == "Closed"
