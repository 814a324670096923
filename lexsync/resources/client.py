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
    Target,
    Wire,
    WireSecret,
)
from lexsync.resources.catalog import UnknownName
from lexsync.resources.live import LiveView, ReadSet
from lexsync.resources.values import now_pacific, text
from lexsync.resources.wirefields import Cls, WireField, WireTable

# GetClientList answers the status as its 0-based position in this list (docs/wire.md).
CLIENT_STATUSES = ["New", "Pending", "Working", "Waiting", "Dead", "Inactive", "Active", "Late",
                   "Suspended", "Closed"]
# YAML key → Info wire key of the optional settings; left out of the YAML, the live value stays.
OPTIONAL = {
    "automation": "DeliveryAccountAutomationType",
    "time_zone": "TimeZoneName",
    "time_offset": "TimeOffset",
    "notes": "Notes",
    "override_reassign": "OverrideReassign",
}
# Obsolete ClientItemType fields GetClientList may return: sent back as read (soap only).
OBSOLETE = {"InternalUID": "internal_uid", "IsLocked": "is_locked", "LockedBy": "locked_by",
            "DateLocked": "date_locked", "LockedReason": "locked_reason",
            "OutLookUID": "outlook_uid"}
_HEAD = (
    WireField("ClientUID", Cls.IDENTITY, note="its own ID; 0 creates"),
    WireField("DateAdded", Cls.READABLE, "date_added", default=now_pacific, reported=False,
              note="a record date LeadExec keeps"),
    WireField("Status", Cls.MANAGED, "status", yaml="status"),
)
_SETTINGS = {
    "UserUID": WireField("UserUID", Cls.READABLE, "user_uid", default=0),
    "TimeOffset": WireField("TimeOffset", Cls.MANAGED, "time_offset", default=-8, yaml="time_offset"),
    "TimeZoneName": WireField("TimeZoneName", Cls.MANAGED, "time_zone",
                              default="Pacific Standard Time", yaml="time_zone"),
    "Notes": WireField("Notes", Cls.MANAGED, "notes", default="", yaml="notes"),
    "GroupUID": WireField("GroupUID", Cls.MANAGED, "group", default=0, yaml="group"),
    "Username": WireField("Username", Cls.MANAGED, "username", yaml="username"),
    "Password": WireField("Password", Cls.MANAGED, "password", default="", secret=True,
                          yaml="password", hint="${env:NAME}"),
    "OverrideReassign": WireField("OverrideReassign", Cls.MANAGED, "override_reassign",
                                  default=False, yaml="override_reassign"),
}
_FIELD_DATA = WireField("FieldData", Cls.MANAGED, "fields", default=(), yaml="fields",
                        note="one entry per client field the YAML names (and, when LeadExec's "
                             "field data was read, the others as read); a field not sent keeps "
                             "its value")


def _reseller(default: int) -> WireField:
    return WireField("ResellerUID", Cls.READABLE, "reseller_uid", default=default)


# PATCH /v1/clients: Info and FieldData. GetClientList answers Info (AutomationType for
# DeliveryAccountAutomationType), GetClientData the field values.
REST_CLIENT = WireTable("PATCH /v1/clients", (
    *_HEAD,
    _SETTINGS["UserUID"], _SETTINGS["TimeOffset"], _SETTINGS["TimeZoneName"], _SETTINGS["Notes"],
    _reseller(0), _SETTINGS["GroupUID"], _SETTINGS["Username"], _SETTINGS["Password"],
    _SETTINGS["OverrideReassign"],
    WireField("DeliveryAccountAutomationType", Cls.MANAGED, "automation", default="Price",
              read_key="AutomationType", yaml="automation"),
    _FIELD_DATA,
), read="GetClientList, GetClientData")


def _obsolete(key: str) -> WireField:
    return WireField(key, Cls.READABLE, OBSOLETE[key], note="obsolete; sent back as read, "
                                                             "left out when the read omits it")


# AddEditClient: Client (ClientItemType) and FieldData (no automation field).
SOAP_CLIENT = WireTable("AddEditClient", (
    *_HEAD,
    _obsolete("InternalUID"), _SETTINGS["UserUID"], _SETTINGS["TimeOffset"],
    WireField("Image", Cls.OMITTED, note="obsolete array that lexsync's reads do not decode"),
    _SETTINGS["Notes"], _obsolete("IsLocked"), _obsolete("LockedBy"), _obsolete("DateLocked"),
    _obsolete("LockedReason"), _obsolete("OutLookUID"), _SETTINGS["TimeZoneName"],
    _reseller(-1), _SETTINGS["GroupUID"], _SETTINGS["Username"], _SETTINGS["Password"],
    _SETTINGS["OverrideReassign"],
    _FIELD_DATA,
), read="GetClientList, GetClientData")
# A client's wire object is its GetClientList row, plus its GetClientData rows under this key
# when they were read.
FIELDS_KEY = "_fields"
COMPANY_FIELD = "Company"


def _as_read(value: Any) -> str:
    return "" if value is None else str(value)


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
    wire_tables = {"rest": REST_CLIENT, "soap": SOAP_CLIENT}

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
                       secrets=secrets, config_path=(self.section, key), depends_on=depends)

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
            "date_added": wire.get("DateAdded"),
            "user_uid": wire.get("UserUID"),
            "reseller_uid": wire.get("ResellerUID"),
        }
        if ctx.dialect == "soap":  # only AddEditClient carries them; None: the read left it out
            for key, attr in OBSOLETE.items():
                attrs[attr] = wire.get(key)
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

    def identity_values(self, target: Target) -> dict[str, Any]:
        return {"ClientUID": target.remote_id}

    def wire_value(self, wire_field: WireField, attrs: Mapping[str, Any], target: Target) -> Any:
        value = super().wire_value(wire_field, attrs, target)
        key = wire_field.key
        if key == "GroupUID":
            if not value:
                return 0
            if isinstance(value, str) and value.startswith("#"):
                return int(value[1:])  # a group state saw but lexsync does not manage
            return target.ctx.ids[f"client_group.{value}"]
        if key == "Password":
            # Never from state (a hash): only the YAML's plain value reaches a body.
            assert target.desired is not None
            return target.desired.secrets.get("password", "")
        if key == "FieldData":
            return self._field_data(value or {}, target)
        return value

    def _field_data(self, wanted: Mapping[str, str], target: Target) -> list[dict[str, Any]]:
        values: dict[int, str] = {}
        if target.live is not None:
            # The fields the YAML does not name go back exactly as read (spaces included).
            for row in target.live.wire.get(FIELDS_KEY) or []:
                values[int(row["ClientFieldUID"])] = _as_read(row.get("FieldValue"))
        for name, value in wanted.items():
            values[target.ctx.catalog.client_field(name)] = value
        return [{"ClientFieldUID": uid, "Value": value} for uid, value in sorted(values.items())]

    def live_for_write(self, wire: Wire) -> Mapping[str, Any]:
        out = dict(wire)
        out["Status"] = status_name(wire.get("Status"))  # the read answers a number
        out["FieldData"] = [{"ClientFieldUID": int(row["ClientFieldUID"]),
                             "Value": _as_read(row.get("FieldValue"))}
                            for row in wire.get(FIELDS_KEY) or []]
        return out

    def shape(self, values: dict[str, Any], dialect: str) -> dict[str, Any]:
        info = {k: v for k, v in values.items() if k != "FieldData"}
        return {"Info": info, "FieldData": list(values.get("FieldData") or [])}

    def retire_overlay(self) -> dict[str, Any]:
        return {"status": "Closed"}

    def recorded(self, desired: Desired, live: Live | None, ctx: Context) -> dict[str, Any]:
        attrs = super().recorded(desired, live, ctx)
        if live is None and "fields" in desired.attrs:
            # A new client's fields the YAML does not name are empty (GetClientData answers
            # every field): recorded as such, so one filled in outside lexsync shows in drift.
            names = ctx.catalog.client_field_names().values()
            attrs["fields"] = {**dict.fromkeys(names, ""), **attrs["fields"]}
        return attrs

    def reads(self, remote_id: int, parent_id: int | None) -> ReadSet:
        return ReadSet(clients=frozenset({remote_id}), fields=frozenset({remote_id}))

    async def send(self, api: LeadExecWrites, body: dict[str, Any], parent_id: int | None) -> int:
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

    def release(self, view: LiveView, live: Live) -> None:
        # The client list's row stays: it is small, and drift names accounts by it.
        view.client_fields.pop(live.remote_id, None)
        super().release(view, live)

    def live_candidates(self, view: LiveView, ctx: Context, client_key: str | None) -> list[Live]:
        return [self._live(view, uid, ctx) for uid in view.clients]

    def is_retired(self, live: Live) -> bool:
        return live.attrs.get("status") == "Closed"

    def create_problems(self, desired: Desired) -> list[str]:
        if not desired.secrets.get("password"):
            return ["a new client needs a portal password: LeadExec requires Info.Password on create "
                    "(set `password: ${env:NAME}`)"]
        return []
