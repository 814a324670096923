"""client.NAME — PATCH /v1/clients (rest) or AddEditClient (soap), Info plus FieldData."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lexsync.api.protocol import LeadExecWrites
from lexsync.config.models import Client, Configuration
from lexsync.resources.base import (
    Context,
    Desired,
    Live,
    ResolutionError,
    ResourceKind,
    Wire,
    WireSecret,
)
from lexsync.resources.catalog import UnknownName
from lexsync.resources.live import LiveView, ReadSet
from lexsync.resources.values import now_pacific, text

# GetClientList answers the status as its 0-based position in this list (docs/wire.md).
CLIENT_STATUSES = ["New", "Pending", "Working", "Waiting", "Dead", "Inactive", "Active", "Late",
                   "Suspended", "Closed"]
INFO_KEYS = ["ClientUID", "DateAdded", "Status", "UserUID", "TimeOffset", "Notes", "TimeZoneName",
             "ResellerUID", "GroupUID", "Username", "Password", "OverrideReassign",
             "DeliveryAccountAutomationType"]
# YAML key → (normalised attribute, Info wire key); `None` values in YAML leave the live value alone.
OPTIONAL = {
    "automation": "DeliveryAccountAutomationType",
    "time_zone": "TimeZoneName",
    "time_offset": "TimeOffset",
    "notes": "Notes",
    "override_reassign": "OverrideReassign",
}
# A client's wire object is its GetClientList row, plus its GetClientData rows under this key
# when they were read.
FIELDS_KEY = "_fields"
COMPANY_FIELD = "Company"


def status_name(value: Any) -> str:
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        index = int(value)
        return CLIENT_STATUSES[index] if 0 <= index < len(CLIENT_STATUSES) else f"#{index}"
    return text(value)


class ClientKind(ResourceKind):
    kind = "client"
    section = "clients"
    natural_attr = "username"
    level = 1
    references = {"group": "client_group"}
    always_managed = frozenset({"status", "username"})
    secrets = {"password": WireSecret("Password", "portal password")}
    sensitive = frozenset(secrets)
    yaml_defaults = {"override_reassign": False, "fields": {}}

    def call(self, dialect: str) -> str:
        return "PATCH /v1/clients" if dialect == "rest" else "AddEditClient"

    def expand(self, config: Configuration, ctx: Context) -> list[Desired]:
        return [self._desired(key, client, ctx) for key, client in config.clients.items()]

    def _desired(self, key: str, client: Client, ctx: Context) -> Desired:
        attrs: dict[str, Any] = {"status": client.status, "username": text(client.username)}
        secrets: dict[str, str] = {}
        depends = []
        if client.group is not None:
            attrs["group"] = client.group
            depends.append(f"client_group.{client.group}")
        if client.password is not None:
            plain = client.password.get_secret_value()
            attrs["password"] = ctx.hash_secret(plain)
            secrets["password"] = plain
        for name in OPTIONAL:
            value = getattr(client, name)
            if value is not None:
                attrs[name] = text(value) if isinstance(value, str) else value
        if client.fields:
            fields: dict[str, str] = {}
            for field_name, value in client.fields.items():
                try:
                    uid = ctx.catalog.client_field(field_name)
                except UnknownName as exc:
                    raise ResolutionError(str(exc), ("clients", key, "fields", field_name)) from None
                fields[ctx.catalog.client_field_name(uid) or field_name] = text(value)
            attrs["fields"] = fields
        return Desired(address=self.address(key), kind=self.kind, name=key, attrs=attrs,
                       secrets=secrets, config_path=(self.section, key), depends_on=depends,
                       model=client)

    def to_yaml(self, key: str, attrs: Mapping[str, Any], ctx: Context,
                secret_refs: Mapping[str, str]) -> dict[str, Any]:
        out: dict[str, Any] = {"status": attrs["status"], "username": attrs["username"]}
        if attrs.get("group") and not str(attrs["group"]).startswith("#"):
            out["group"] = attrs["group"]
        if "password" in secret_refs:
            out["password"] = secret_refs["password"]
        if ctx.dialect == "rest" and attrs.get("automation"):
            out["automation"] = attrs["automation"]  # the soap dialect cannot manage it
        for name in ("time_zone", "notes"):
            if attrs.get(name):
                out[name] = attrs[name]
        if attrs.get("time_offset") is not None:
            out["time_offset"] = attrs["time_offset"]
        if attrs.get("override_reassign"):
            out["override_reassign"] = True
        fields = {k: v for k, v in sorted((attrs.get("fields") or {}).items()) if v != ""}
        if fields:
            out["fields"] = fields
        return out

    def import_label(self, live: Live) -> str:
        return (live.attrs.get("fields") or {}).get(COMPANY_FIELD) or live.attrs["username"]

    def observe(self, wire: Wire, ctx: Context, previous: Mapping[str, Any] | None = None,
                client_key: str | None = None) -> dict[str, Any]:
        attrs: dict[str, Any] = {
            "status": status_name(wire.get("Status")),
            "username": text(wire.get("Username")),
            "automation": text(wire.get("AutomationType", wire.get("DeliveryAccountAutomationType"))),
            "time_zone": text(wire.get("TimeZoneName")),
            "time_offset": wire.get("TimeOffset"),
            "notes": text(wire.get("Notes")),
            "override_reassign": wire.get("OverrideReassign"),
        }
        group_uid = int(wire.get("GroupUID") or 0)
        if group_uid > 0:
            address = ctx.address_of("client_group.", group_uid)
            attrs["group"] = address.split(".", 1)[1] if address else f"#{group_uid}"
        else:
            attrs["group"] = None
        if wire.get("Password") is not None:
            attrs["password"] = ctx.hash_secret(str(wire["Password"]))
        field_rows: list[dict[str, Any]] | None = wire.get(FIELDS_KEY)
        if field_rows is not None:
            names = ctx.catalog.client_field_names()
            attrs["fields"] = {
                (names.get(int(r["ClientFieldUID"])) or text(r.get("Descriptor"))): text(r.get("FieldValue"))
                for r in field_rows
            }
        return attrs

    def build_body(self, desired: Desired, live: Live | None, ctx: Context,
                   previous: dict[str, Any]) -> dict[str, Any]:
        attrs = desired.attrs
        if live is not None:
            info = {k: live.wire[k] for k in INFO_KEYS if k in live.wire}
            info["Status"] = status_name(info.get("Status", attrs["status"]))
            if "AutomationType" in live.wire and "DeliveryAccountAutomationType" not in info:
                info["DeliveryAccountAutomationType"] = live.wire["AutomationType"]
            info.pop("Password", None)  # only sent when the YAML manages it
        else:
            info = {"ClientUID": 0, "DateAdded": now_pacific(), "UserUID": 0, "ResellerUID": 0,
                    "GroupUID": 0, "OverrideReassign": False, "Notes": "", "TimeOffset": -8,
                    "TimeZoneName": "Pacific Standard Time", "DeliveryAccountAutomationType": "Price"}
        if ctx.dialect == "soap":
            info.pop("DeliveryAccountAutomationType", None)
        info["Status"] = attrs["status"]
        info["Username"] = attrs["username"]
        if "group" in attrs:
            info["GroupUID"] = ctx.ids[f"client_group.{attrs['group']}"]
        for name, wire_key in OPTIONAL.items():
            if name in attrs and not (ctx.dialect == "soap" and name == "automation"):
                info[wire_key] = attrs[name]
        if "password" in desired.secrets and (live is None or live.attrs.get("password") != attrs["password"]):
            info["Password"] = desired.secrets["password"]
        elif live is None:
            info["Password"] = ""
        field_data = self._field_data(desired, live, ctx)
        return {"Info": info, "FieldData": field_data}

    def _field_data(self, desired: Desired, live: Live | None, ctx: Context) -> list[dict[str, Any]]:
        values: dict[int, str] = {}
        if live is not None:
            for row in live.wire.get(FIELDS_KEY) or []:
                values[int(row["ClientFieldUID"])] = text(row.get("FieldValue"))
        for name, value in desired.attrs.get("fields", {}).items():
            values[ctx.catalog.client_field(name)] = value
        return [{"ClientFieldUID": uid, "Value": value} for uid, value in sorted(values.items())]

    def reads(self, remote_id: int, parent_id: int | None) -> ReadSet:
        return ReadSet(clients=frozenset({remote_id}), fields=frozenset({remote_id}))

    def retire_body(self, live: Live, ctx: Context) -> dict[str, Any] | None:
        info = {k: live.wire[k] for k in INFO_KEYS if k in live.wire and k != "Password"}
        info["Status"] = "Closed"
        if ctx.dialect == "rest" and "AutomationType" in live.wire:
            info["DeliveryAccountAutomationType"] = live.wire["AutomationType"]
        return {"Info": info, "FieldData": []}

    async def write(self, api: LeadExecWrites, body: dict[str, Any], parent_id: int | None) -> int:
        return await api.write_client(body)

    def _live(self, view: LiveView, uid: int, ctx: Context) -> Live:
        wire = dict(view.clients[uid])
        fields = view.client_fields.get(uid)
        if fields is not None:
            ctx.catalog.learn_client_fields(fields)
            wire[FIELDS_KEY] = fields
        return Live(uid, wire, self.observe(wire, ctx))

    def find_live(self, view: LiveView, remote_id: int, ctx: Context, previous: Live | None,
                  client_key: str | None) -> Live | None:
        return self._live(view, remote_id, ctx) if remote_id in view.clients else None

    def live_candidates(self, view: LiveView, ctx: Context, client_key: str | None) -> list[Live]:
        return [self._live(view, uid, ctx) for uid in view.clients]

    def is_retired(self, live: Live) -> bool:
        return live.attrs.get("status") == "Closed"

    def create_problems(self, desired: Desired) -> list[str]:
        if not desired.secrets.get("password"):
            return ["a new client needs a portal password: LeadExec requires Info.Password on create "
                    "(set `password: ${env:NAME}`)"]
        return []
