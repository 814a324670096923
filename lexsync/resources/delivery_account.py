"""client.C.delivery_account.NAME — PUT /v1/delivery/{ClientUID}/accounts or AddEditClientAccount.

Criteria are parts of the account, kept in place by their ClientCriteriaUID (matched by
position). Weekly caps exist only in the rest dialect and cannot be read back through ASMX.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from lexsync.api.protocol import LeadExecWrites
from lexsync.config.models import Client, Configuration, Criterion, DeliveryAccount
from lexsync.resources.base import Context, Desired, Live, ResolutionError, ResourceKind, Wire
from lexsync.resources.catalog import UnknownName
from lexsync.resources.live import LiveView
from lexsync.resources.values import number, scalar_text, text

ACCOUNT_STATUSES = {"Closed": 9, "Suspended": 10, "OnHold": 11, "Open": 12}
STATUS_NAMES = {v: k for k, v in ACCOUNT_STATUSES.items()}
ACCOUNT_TYPES = {"general": 0, "redirect": 1, "live_call": 2, "ivr_800": 3}
TYPE_NAMES = {v: k for k, v in ACCOUNT_TYPES.items()}
CAPS = {"hour": "HourMax", "day": "DayMax", "week": "WeekMax", "month": "MonthMax"}
OPTIONAL = {"delay": "DeliveryDelay", "use_order": "useOrder", "redirect_url": "RedirectURL",
            "automation": "AutomationEnabled", "agent_name": "AgentName", "agent_phone": "AgentPhone"}
UNORDERED_OPERATORS = {"In", "NotIn"}
LIST_OPERATORS = {"In", "NotIn", "Between"}  # written as a YAML list
ACCOUNT_DEFAULTS: dict[str, Any] = {
    "ClientAccountUID": 0, "ClientUID": 0, "DeliveryUID": 0, "Price": 0.0, "HourMax": -1,
    "DayMax": -1, "MonthMax": -1, "WeekMax": -1, "useOrder": False, "Status": 12,
    "DeliveryDelay": 0, "Description": "", "RedirectURL": "", "AutomationEnabled": True,
    "AlternatePosting": 0, "AccountType": 0, "AgentName": "", "AgentPhone": "",
}
READ_ONLY = {"DeliveryDetails"}


def criterion_value(items: list[str], op: str) -> str:
    return ",".join(sorted(items) if op in UNORDERED_OPERATORS else items)


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
    """'25' → 25 so a range reads as numbers; expand turns both back into the same text."""
    if not re.fullmatch(r"-?\d+(\.\d+)?", item):
        return item
    as_number = float(item)
    if scalar_text(as_number) != item:
        return item  # '007' or '1e3' would not come back the same
    return int(as_number) if as_number.is_integer() else as_number


class DeliveryAccountKind(ResourceKind):
    kind = "delivery_account"
    section = "delivery_accounts"
    natural_attr = "description"
    level = 3
    parent = "client"
    references = {"method": "delivery_method"}
    always_managed = frozenset({"method", "description", "price", "caps", "status"})
    one_per_natural_key = True  # the description is the account's key when the YAML omits it
    yaml_defaults = {"delay": 0, "use_order": False, "automation": True, "account_type": "general",
                     "op": "Equal", "type": "FieldValue", "criteria": []}
    yaml_kept = frozenset({"week"})  # no read shows a weekly cap

    def call(self, dialect: str) -> str:
        return "PUT /v1/delivery/{ClientUID}/accounts" if dialect == "rest" else "AddEditClientAccount"

    def import_notes(self, ctx: Context, imported: int) -> list[str]:
        if ctx.dialect != "rest" or not imported:
            return []
        return ["weekly caps (WeekMax) cannot be read through LeadExec's read API, so no caps.week "
                "was written: add it by hand where an account has one"]

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
            if name != "week" or ctx.dialect == "rest":
                value = getattr(account.caps, name)
                caps[name] = -1 if value is None else value
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
        if "criteria" in chosen:
            method = client.delivery_methods.get(account.method)
            lead_type_uid = ctx.catalog.lead_type(method.lead_type) if method else 0
            attrs["criteria"] = [self._criterion(c, lead_type_uid, ctx, path, i)
                                 for i, c in enumerate(account.criteria)]
        return Desired(
            address=self.address(key, f"client.{client_key}"), kind=self.kind, name=key,
            attrs=attrs, client=client_key, config_path=path, model=account,
            depends_on=[f"client.{client_key}", f"client.{client_key}.delivery_method.{account.method}"],
        )

    def _criterion(self, c: Criterion, lead_type_uid: int, ctx: Context,
                   account_path: tuple[str | int, ...], index: int) -> dict[str, Any]:
        try:
            field = ctx.catalog.lead_field(lead_type_uid, c.field)
        except UnknownName as exc:
            raise ResolutionError(str(exc), (*account_path, "criteria", index, "field")) from None
        value = c.value
        items = [scalar_text(v) for v in value] if isinstance(value, list) else [scalar_text(value)]
        if field.is_state:
            try:
                items = [ctx.catalog.state(item)[1] for item in items if item]
            except UnknownName as exc:
                raise ResolutionError(str(exc), (*account_path, "criteria", index, "value")) from None
        op = c.op
        entry: dict[str, Any] = {"field": field.name, "op": op, "type": c.type,
                                 "value": criterion_value(items, op)}
        if c.expression:
            entry["expression"] = text(c.expression)
        return entry

    def to_yaml(self, key: str, attrs: Mapping[str, Any], ctx: Context,
                secret_refs: Mapping[str, str]) -> dict[str, Any]:
        out: dict[str, Any] = {"method": attrs["method"]}
        if attrs["description"] != key:
            out["description"] = attrs["description"]
        out["price"] = attrs["price"]
        # WeekMax cannot be read through ASMX: never written on import (docs/import-and-drift.md).
        caps = {k: v for k, v in (attrs.get("caps") or {}).items() if k != "week" and v != -1}
        if caps:
            out["caps"] = {k: caps[k] for k in ("hour", "day", "month") if k in caps}
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
        caps = {name: int(wire[key]) for name, key in CAPS.items() if key in wire}
        if ctx.dialect == "rest" and "week" not in caps:
            # ASMX reads carry no WeekMax: the last applied value is the best knowledge there is.
            caps["week"] = (previous or {}).get("caps", {}).get("week", -1)
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
        """A wire criterion value as the YAML spells it: states by abbreviation, numbers
        normalised, In/NotIn sorted."""
        items = [scalar_text(i) for i in raw.split(",")] if raw else []
        if is_state:
            state_abbr = ctx.catalog.state_abbr
            items = [state_abbr.get(int(i), i) if i.isdigit() else i for i in items]
        return criterion_value(items, op)

    def sub_ids(self, wire: Wire) -> dict[str, int]:
        return {f"criterion.{i}": int(c["ClientCriteriaUID"])
                for i, c in enumerate(wire.get("Criteria", []) or [])}

    # --- writes --------------------------------------------------------------------------
    def build_body(self, desired: Desired, live: Live | None, ctx: Context,
                   previous: dict[str, Any]) -> dict[str, Any]:
        attrs = desired.attrs
        body = dict(ACCOUNT_DEFAULTS)
        if live is not None:
            body.update({k: v for k, v in live.wire.items() if k not in READ_ONLY})
        body["ClientAccountUID"] = live.remote_id if live else 0
        body["ClientUID"] = ctx.ids[f"client.{desired.client}"]
        body["DeliveryUID"] = ctx.ids[f"client.{desired.client}.delivery_method.{attrs['method']}"]
        body["Description"] = attrs["description"]
        body["Price"] = float(attrs["price"])
        body["Status"] = ACCOUNT_STATUSES[attrs["status"]]
        for name, value in attrs["caps"].items():
            body[CAPS[name]] = value
        for name, key in OPTIONAL.items():
            if name in attrs:
                body[key] = attrs[name]
        if "account_type" in attrs:
            body["AccountType"] = ACCOUNT_TYPES[attrs["account_type"]]
        if "criteria" in attrs:
            body["Criteria"] = self._criteria(desired, live, ctx)
        elif live is None:
            body["Criteria"] = []
        return body

    def _criteria(self, desired: Desired, live: Live | None, ctx: Context) -> list[dict[str, Any]]:
        method_address = f"client.{desired.client}.delivery_method.{desired.attrs['method']}"
        lead_type_uid = ctx.catalog.lead_type(ctx.method_lead_types[method_address])
        sub_ids = live.sub_ids if live else {}
        out = []
        for i, entry in enumerate(desired.attrs["criteria"]):
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

    def retire_body(self, live: Live, ctx: Context) -> dict[str, Any] | None:
        body = dict(ACCOUNT_DEFAULTS)
        body.update({k: v for k, v in live.wire.items() if k not in READ_ONLY})
        if ctx.dialect == "rest" and "week" in live.attrs.get("caps", {}):
            body["WeekMax"] = live.attrs["caps"]["week"]
        body["Status"] = ACCOUNT_STATUSES["Closed"]
        return body

    async def write(self, api: LeadExecWrites, body: dict[str, Any], parent_id: int | None) -> int:
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

    def live_candidates(self, view: LiveView, ctx: Context, client_key: str | None) -> list[Live]:
        client_uid = ctx.ids.get(f"client.{client_key}")
        if client_uid is None:
            return []
        return [self._live(w, ctx, None, client_key) for w in view.accounts.get(client_uid, [])]

    def is_retired(self, live: Live) -> bool:
        return live.attrs.get("status") == "Closed"
