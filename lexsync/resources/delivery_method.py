"""client.C.delivery_method.NAME — PUT /v1/delivery/{ClientUID}/methods or AddEditClientDelivery.

Field mappings and schedule days are parts of the method (one call carries them); they keep
their sub-IDs (DeliverySettingUID, DeliveryMappingUID, DeliveryDayUID) so an edit updates
them in place. LeadExec shows a method only as the DeliveryDetails of accounts using it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lexsync.api.protocol import LeadExecWrites
from lexsync.config.models import (
    MAPPING_SOURCES,
    Client,
    Configuration,
    DeliveryMethod,
    FieldMapping,
)
from lexsync.config.writer import quoted
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
from lexsync.resources.live import LiveView
from lexsync.resources.values import (
    BASE_DATE,
    WEEKDAYS,
    clock,
    now_pacific,
    static_date,
    text,
    weekday_of,
    wire_clock,
)
from lexsync.resources.wirefields import Cls, WireField, WireTable
from lexsync.state.subids import FIELD_MAPPING, MAP, sub_id_key, sub_id_parts

DELIVERY_TYPES = {
    "http_post": 0, "http_get": 1, "xml_json": 2, "salesexec": 3, "ftp": 4, "email": 5,
    "csv_attachment": 6, "soap": 7, "internal": 8, "ping_post": 9, "batch_email": 10, "sms": 11,
}
TYPE_NAMES = {v: k for k, v in DELIVERY_TYPES.items()}
SOURCE_NAMES = {v: k for k, v in MAPPING_SOURCES.items()}
VALUE_SOURCES = {"static", "special", "client_field", "lead_source_field"}  # carried in Value
EXPR_SOURCES = {"expr", "substring", "concat", "evaluate"}  # carried in Expr

# attribute → wire key, for the flat settings; nested blocks below
FLAT = {"in_testing": "inTesting", "url": "DeliveryAddress", "response_search": "ResponseSearch",
        "response_regex": "useRegEx", "template": "XML", "lead_category": "LeadCatUID",
        "client_email": "ClientEmail"}
BLOCKS = {
    "email": {"to": "EmailAddress", "subject": "EmailSubject", "template": "EmailTemplate",
              "from": "fAddress", "cc": "NotifyCC", "bcc": "NotifyBCC", "t_address": "tAddress"},
    "smtp": {"server": "SMTPServer", "auth": "SMTPAuth", "username": "SMTPUsername",
             "password": "SMTPPassword"},
    "ftp": {"user": "FTPUser", "password": "FTPPassword", "path": "FTPPath"},
}
BOOLEAN_WIRE = {"inTesting", "useRegEx", "SMTPAuth", "Status"}
INTEGER_WIRE = {"LeadCatUID"}
# How observe reads each wire key, worked out once instead of per method and key.
TEXT, BOOLEAN, SECRET, INTEGER = 0, 1, 2, 3


def _reading(attr: str, key: str) -> int:
    if attr == "password":
        return SECRET
    return BOOLEAN if key in BOOLEAN_WIRE else INTEGER if key in INTEGER_WIRE else TEXT


FLAT_READ = [(name, key, _reading(name, key)) for name, key in FLAT.items()]
BLOCKS_READ = [(block, [(attr, key, _reading(attr, key)) for attr, key in keys.items()])
               for block, keys in BLOCKS.items()]
WIRE_ATTR = {key: name for name, key in FLAT.items()} | {
    key: f"{block}.{attr}" for block, keys in BLOCKS.items() for attr, key in keys.items()}
METHOD_DEFAULTS: dict[str, Any] = {
    "ClientDeliveryUID": 0, "ClientUID": 0, "Type": 0, "Name": "", "Status": True, "DateAdded": "",
    "inTesting": False, "LeadTypeUID": 0, "XML": "", "EmailTemplate": "", "EmailSubject": "",
    "FTPUser": "", "FTPPassword": "", "FTPPath": "", "EmailAddress": "", "useRegEx": False,
    "ResponseSearch": "", "DeliveryAddress": "", "SMTPServer": "", "SMTPAuth": False,
    "SMTPUsername": "", "SMTPPassword": "", "fAddress": "", "tAddress": "", "EmailNotify": False,
    "NotifyCC": "", "NotifyBCC": "", "NotifyEmail": "", "LeadCatUID": 0, "ClientEmail": "",
}
# What the method table says about each scalar, beyond its attribute.
_SPECIAL: dict[str, WireField] = {
    "ClientDeliveryUID": WireField("ClientDeliveryUID", Cls.IDENTITY, note="its own ID; 0 creates"),
    "ClientUID": WireField("ClientUID", Cls.IDENTITY, note="the owning client's ID"),
    "Type": WireField("Type", Cls.MANAGED, "type", yaml="type"),
    "Name": WireField("Name", Cls.MANAGED, "name", yaml="the method's key"),
    "Status": WireField("Status", Cls.MANAGED, "enabled", default=True, yaml="enabled"),
    "DateAdded": WireField("DateAdded", Cls.READABLE, "date_added", default=now_pacific,
                           reported=False, note="a record date LeadExec keeps"),
    "LeadTypeUID": WireField("LeadTypeUID", Cls.MANAGED, "lead_type", yaml="lead_type"),
    "EmailNotify": WireField("EmailNotify", Cls.READABLE, "email_notify", default=False,
                             note="deprecated"),
    "NotifyEmail": WireField("NotifyEmail", Cls.READABLE, "notify_email", default="",
                             note="deprecated"),
}


def _method_field(key: str) -> WireField:
    if key in _SPECIAL:
        return _SPECIAL[key]
    attr = WIRE_ATTR[key]
    return WireField(key, Cls.MANAGED, attr, default=METHOD_DEFAULTS[key], yaml=attr,
                     secret=attr.endswith("password"),
                     hint="${env:NAME}" if attr.endswith("password") else "")


def _method_table(call: str) -> WireTable:
    """The delivery method body, the same in both dialects (REST's body and SOAP's
    DeliveryType); GetClientAccounts shows it whole as an account's DeliveryDetails."""
    return WireTable(call, (
        *(_method_field(key) for key in METHOD_DEFAULTS),
        WireField("FieldSettings", Cls.MANAGED, "field_mappings", default=(), yaml="field_mappings"),
        WireField("DeliveryDays", Cls.MANAGED, "schedule", default=(), yaml="schedule"),
    ), read="GetClientAccounts (DeliveryDetails)")


REST_METHOD = _method_table("PUT /v1/delivery/{ClientUID}/methods")
SOAP_METHOD = _method_table("AddEditClientDelivery")


def schedule_entry(day: str, start: str, end: str, allow: bool) -> str:
    """One delivery day as the plan compares it: "mon 08:00-18:00", or for a static date
    "2024-12-25 00:00-24:00"; " deny" ends a blackout window."""
    return f"{day} {start}-{end}" + ("" if allow else " deny")


DAY_ORDER = {day: index for index, day in enumerate(WEEKDAYS)}


def _entry_order(entry: str) -> tuple[int, int, str, str]:
    label, rest = entry.split(" ", 1)
    if label in DAY_ORDER:
        return (0, DAY_ORDER[label], "", rest)
    return (1, 0, label, rest)  # static dates after the weekdays, by date


def _sort_schedule(entries: list[str]) -> list[str]:
    return sorted(entries, key=_entry_order)


def _day_label(day: Mapping[str, Any]) -> str:
    """A delivery day's weekday, or its static date when it has one."""
    return static_date(day.get("StaticDate")) or WEEKDAYS[int(day["WeekDay"]) % 7]


def _removed_day(day: Mapping[str, Any]) -> bool:
    """A day lexsync removed: a denying window of no length, which allows and denies nothing
    (docs/wire.md: a day is removed so, whether LeadExec replaces or merges the list)."""
    return not day.get("Allow", True) and clock(day["StartTime"]) == clock(day["EndTime"]) == "00:00"


def _type_name(wire: Wire) -> str:
    name = TYPE_NAMES.get(int(wire.get("Type", -1)))
    return name if name is not None else f"#{wire.get('Type')}"  # only when unknown


def _mapping_yaml(name: str, entry: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name}
    if entry.get("lead_field"):
        out["lead_field"] = entry["lead_field"]
    if entry["source"] != "lead_field":
        out[entry["source"]] = entry.get("value", "")
    if entry.get("format"):
        out["format"] = entry["format"]
    if entry.get("map"):
        out["map"] = dict(entry["map"])
    return out


def schedule_yaml(entries: list[str]) -> list[dict[str, Any]]:
    """"mon 08:00-18:00" entries → windows, days grouped when their hours are equal; a
    static-date entry is a window of its own."""
    windows: dict[tuple[str, str, bool], list[str]] = {}
    dated: list[dict[str, Any]] = []
    for entry in entries:
        day, span, *rest = entry.split(" ")
        start, end = span.split("-")
        if day not in DAY_ORDER:
            window: dict[str, Any] = {"date": quoted(day), "from": quoted(start), "to": quoted(end)}
            if rest:
                window["allow"] = False
            dated.append(window)
            continue
        windows.setdefault((start, end, not rest), []).append(day)
    out = []
    for (start, end, allow), days in sorted(
            windows.items(), key=lambda w: (min(WEEKDAYS.index(d) for d in w[1]), w[0])):
        weekly: dict[str, Any] = {"days": sorted(days, key=WEEKDAYS.index),
                                  "from": quoted(start), "to": quoted(end)}
        if not allow:
            weekly["allow"] = False
        out.append(weekly)
    return out + dated


def _held_order(item: tuple[tuple[str, str | None], int]) -> tuple[str, str]:
    (name, value), _ = item
    return (name, value or "")


def _lead_type_uid(name: Any, ctx: Context) -> int:
    text_name = str(name or "")
    if text_name.startswith("#"):
        return int(text_name[1:])  # a lead type the catalog does not know by name
    return ctx.catalog.lead_type(text_name)


class DeliveryMethodKind(ResourceKind):
    kind = "delivery_method"
    section = "delivery_methods"
    natural_attr = "name"
    level = 2
    parent = "client"
    shown_alone = False  # only as the DeliveryDetails of the accounts that use it
    always_managed = frozenset({"type", "lead_type", "enabled"})
    secrets = {"smtp.password": WireSecret("SMTPPassword", "SMTP password"),
               "ftp.password": WireSecret("FTPPassword", "FTP password")}
    sensitive = frozenset(secrets)
    key_is_name = True  # `name` is the YAML key
    yaml_defaults = {"enabled": True, "in_testing": False, "response_regex": False, "auth": False,
                     "allow": True, "field_mappings": [], "schedule": []}
    wire_tables = {"rest": REST_METHOD, "soap": SOAP_METHOD}
    whole = frozenset({"field_mappings", "schedule"})

    def call(self, dialect: str) -> str:
        return "PUT /v1/delivery/{ClientUID}/methods" if dialect == "rest" else "AddEditClientDelivery"

    def retire_wording(self) -> str:
        return "disabled (Status false)"

    def import_notes(self, ctx: Context, imported: int) -> list[str]:
        return ["delivery methods that no account uses cannot be read from LeadExec (it shows a "
                "method only through its accounts), so they were not imported"]

    # --- desired -------------------------------------------------------------------------
    def expand(self, config: Configuration, ctx: Context) -> list[Desired]:
        out = []
        for client_key, client in config.clients.items():
            for key, method in client.delivery_methods.items():
                out.append(self._desired(client_key, client, key, method, ctx))
        return out

    def _desired(self, client_key: str, client: Client, key: str, method: DeliveryMethod,
                 ctx: Context) -> Desired:
        path = ("clients", client_key, "delivery_methods", key)
        try:
            lead_type_uid = ctx.catalog.lead_type(method.lead_type)
        except UnknownName as exc:
            raise ResolutionError(str(exc), (*path, "lead_type")) from None
        attrs: dict[str, Any] = {
            "name": key,
            "type": method.type,
            "lead_type": ctx.catalog.lead_type_name(lead_type_uid),
            "enabled": method.enabled,
        }
        secrets: dict[str, str] = {}
        chosen = method.model_fields_set
        for name in FLAT:
            if name in chosen:
                value = getattr(method, name)
                attrs[name] = value if isinstance(value, bool) or name == "lead_category" \
                    else text(value)
        for block in BLOCKS:
            model = getattr(method, block)
            if model is None:
                continue
            values: dict[str, Any] = {}
            for attr in BLOCKS[block]:
                field_name = "from_" if attr == "from" else attr
                if field_name not in model.model_fields_set:
                    continue
                value = getattr(model, field_name)
                if attr == "password":
                    plain = value.get_secret_value() if value is not None else ""
                    secrets[f"{block}.password"] = plain
                    values[attr] = ctx.hash_secret(plain)
                else:
                    values[attr] = value if isinstance(value, bool) else text(value)
            attrs[block] = values
        if "field_mappings" in chosen:
            attrs["field_mappings"] = {
                m.name: self._mapping(m, lead_type_uid, ctx, path, i)
                for i, m in enumerate(method.field_mappings)
            }
        if "schedule" in chosen:
            attrs["schedule"] = _sort_schedule([
                schedule_entry(day, window.from_, window.to, window.allow)
                for window in method.schedule
                for day in (list(window.days) if window.days else [window.date or ""])
            ])
        return Desired(
            address=self.address(key, f"client.{client_key}"), kind=self.kind, name=key,
            attrs=attrs, secrets=secrets, client=client_key, config_path=path,
            depends_on=[f"client.{client_key}"],
        )

    def _mapping(self, m: FieldMapping, lead_type_uid: int, ctx: Context,
                 method_path: tuple[str | int, ...], index: int) -> dict[str, Any]:
        source = m.source  # a property that looks at every source key: once per mapping
        entry: dict[str, Any] = {"source": source}
        if m.lead_field is not None:
            try:
                entry["lead_field"] = ctx.catalog.lead_field(lead_type_uid, m.lead_field).name
            except UnknownName as exc:
                raise ResolutionError(str(exc), (*method_path, "field_mappings", index, "lead_field")) from None
        if source != "lead_field":
            entry["value"] = text(getattr(m, source))
        value_format = text(m.format)
        if value_format:
            entry["format"] = value_format
        if m.map:
            entry["map"] = {text(k): text(v) for k, v in m.map.items()}
        return entry

    def to_yaml(self, key: str, attrs: Mapping[str, Any], ctx: Context,
                secret_refs: Mapping[str, str]) -> dict[str, Any]:
        out: dict[str, Any] = {"type": attrs["type"], "lead_type": attrs["lead_type"]}
        if attrs.get("enabled") is False:
            out["enabled"] = False
        if attrs.get("in_testing"):
            out["in_testing"] = True
        for name in ("url", "response_search"):
            if attrs.get(name):
                out[name] = attrs[name]
        if attrs.get("response_regex"):
            out["response_regex"] = True
        if attrs.get("template"):
            out["template"] = attrs["template"]
        if attrs.get("lead_category"):
            out["lead_category"] = attrs["lead_category"]
        if attrs.get("client_email"):
            out["client_email"] = attrs["client_email"]
        email = {k: v for k, v in (attrs.get("email") or {}).items() if v}
        if email:
            out["email"] = email
        smtp = attrs.get("smtp") or {}
        if smtp.get("server"):  # the model requires a server for an smtp block
            block: dict[str, Any] = {"server": smtp["server"]}
            if smtp.get("auth"):
                block["auth"] = True
            if smtp.get("username"):
                block["username"] = smtp["username"]
            if "smtp.password" in secret_refs:
                block["password"] = secret_refs["smtp.password"]
            out["smtp"] = block
        ftp = {k: v for k, v in (attrs.get("ftp") or {}).items() if v and k != "password"}
        if "ftp.password" in secret_refs:
            ftp["password"] = secret_refs["ftp.password"]
        if ftp:
            out["ftp"] = ftp
        if attrs.get("field_mappings"):
            out["field_mappings"] = [_mapping_yaml(n, e) for n, e in attrs["field_mappings"].items()]
        if attrs.get("schedule"):
            out["schedule"] = schedule_yaml(attrs["schedule"])
        return out

    # --- live ----------------------------------------------------------------------------
    def observe(self, wire: Wire, ctx: Context, previous: Mapping[str, Any] | None = None,
                client_key: str | None = None) -> dict[str, Any]:
        get = wire.get
        lead_type_uid = int(get("LeadTypeUID") or 0)
        attrs: dict[str, Any] = {
            "name": text(get("Name")),
            "type": _type_name(wire),
            "lead_type": ctx.catalog.lead_type_name(lead_type_uid),
            "enabled": bool(get("Status", False)),
            "date_added": get("DateAdded"),
            "email_notify": get("EmailNotify"),
            "notify_email": get("NotifyEmail"),
        }
        for name, key, reading in FLAT_READ:
            attrs[name] = text(get(key)) if reading == TEXT else \
                int(get(key) or 0) if reading == INTEGER else bool(get(key))
        for block, keys in BLOCKS_READ:
            values: dict[str, Any] = {}
            for attr, key, reading in keys:
                if reading == TEXT:
                    values[attr] = text(get(key))
                elif reading == BOOLEAN:
                    values[attr] = bool(get(key))
                else:
                    # Unstripped, like expand: a password's spaces are part of it.
                    values[attr] = ctx.hash_secret(str(get(key) or ""))
            attrs[block] = values
        attrs["field_mappings"] = self._observe_mappings(get("FieldSettings"), lead_type_uid, ctx)
        attrs["schedule"] = _sort_schedule([
            schedule_entry(_day_label(day), clock(day["StartTime"]), clock(day["EndTime"]),
                           bool(day.get("Allow", True)))
            for day in get("DeliveryDays") or () if not _removed_day(day)
        ])
        return attrs

    def _observe_mappings(self, settings: list[dict[str, Any]] | None, lead_type_uid: int,
                          ctx: Context) -> dict[str, Any]:
        by_uid = ctx.catalog.lead_field_by_uid
        mappings: dict[str, Any] = {}
        for setting in settings or ():
            get = setting.get
            source = SOURCE_NAMES.get(int(get("FieldType", -1)), "static")
            entry: dict[str, Any] = {"source": source}
            lead_field_uid = int(get("LeadFieldUID") or 0)
            if lead_field_uid > 0:
                found = by_uid(lead_type_uid, lead_field_uid)
                entry["lead_field"] = found.name if found else f"#{lead_field_uid}"
            if source in VALUE_SOURCES:
                entry["value"] = text(get("Value"))
            elif source in EXPR_SOURCES:
                entry["value"] = text(get("Expr"))
            value_format = text(get("Format"))
            if value_format:
                entry["format"] = value_format
            pairs = get("FieldMappings")
            if pairs:
                entry["map"] = {text(m.get("FieldValue")): text(m.get("DeliveryValue")) for m in pairs}
            mappings[text(get("FieldName"))] = entry
        return mappings

    def sub_ids(self, wire: Wire) -> dict[str, int]:
        ids: dict[str, int] = {}
        for setting in wire.get("FieldSettings") or ():
            name = text(setting.get("FieldName"))
            ids[sub_id_key(FIELD_MAPPING, name)] = int(setting["DeliverySettingUID"])
            for mapping in setting.get("FieldMappings") or ():
                value = text(mapping.get("FieldValue"))
                ids[sub_id_key(FIELD_MAPPING, name, MAP, value)] = int(mapping["DeliveryMappingUID"])
        seen: dict[str, int] = {}
        for day in wire.get("DeliveryDays") or ():
            label = _day_label(day)
            index = seen.get(label, 0)
            ids[sub_id_key("schedule", label, index)] = int(day["DeliveryDayUID"])
            seen[label] = index + 1
        return ids

    # --- writes --------------------------------------------------------------------------
    def identity_values(self, target: Target) -> dict[str, Any]:
        return {"ClientDeliveryUID": target.remote_id, "ClientUID": target.parent_id or 0}

    def wire_value(self, wire_field: WireField, attrs: Mapping[str, Any], target: Target) -> Any:
        value = super().wire_value(wire_field, attrs, target)
        key, ctx = wire_field.key, target.ctx
        if key == "Type":
            return DELIVERY_TYPES[value] if value in DELIVERY_TYPES else int(str(value).lstrip("#"))
        if key == "LeadTypeUID":
            return _lead_type_uid(value, ctx)
        if wire_field.secret:
            # Never from state (a hash): only the YAML's plain value reaches a body.
            assert target.desired is not None
            return target.desired.secrets[wire_field.attr or ""]
        if key == "FieldSettings":
            return self._settings(value, dict(target.sub_ids), target.remote_id,
                                  _lead_type_uid(attrs.get("lead_type"), ctx), ctx)
        if key == "DeliveryDays":
            return self._days(value, dict(target.sub_ids), target.remote_id)
        return value

    def live_for_write(self, wire: Wire) -> Mapping[str, Any]:
        """The read, with the `Delete: false` a write of each field setting and value
        mapping carries."""
        out = dict(wire)
        out["FieldSettings"] = [
            {**setting, "Delete": False,
             "FieldMappings": [{**m, "Delete": False} for m in setting.get("FieldMappings") or ()]}
            for setting in wire.get("FieldSettings") or ()]
        out["DeliveryDays"] = list(wire.get("DeliveryDays") or ())
        return out

    def retire_overlay(self) -> dict[str, Any]:
        return {"enabled": False}

    def _settings(self, wanted: dict[str, Any], sub_ids: dict[str, int], delivery_uid: int,
                  lead_type_uid: int, ctx: Context) -> list[dict[str, Any]]:
        # The field settings and value mappings LeadExec holds, by (name, value or None).
        held: dict[tuple[str, str | None], int] = {}
        for key, uid in sub_ids.items():
            parts = sub_id_parts(key)
            if parts[0] == FIELD_MAPPING and len(parts) == 2:
                held[(parts[1], None)] = uid
            elif parts[0] == FIELD_MAPPING and len(parts) == 4 and parts[2] == MAP:
                held[(parts[1], parts[3])] = uid
        settings = []
        for name, entry in wanted.items():
            setting_uid = held.get((name, None), 0)
            source = entry["source"]
            lead_field = entry.get("lead_field")
            value_map = entry.get("map", {})
            mappings = [
                {"DeliveryMappingUID": held.get((name, field_value), 0),
                 "Delete": False, "DeliverySettingUID": setting_uid,
                 "DeliveryValue": delivered, "FieldValue": field_value}
                for field_value, delivered in value_map.items()
            ]
            mappings += [
                {"DeliveryMappingUID": uid, "Delete": True, "DeliverySettingUID": setting_uid,
                 "DeliveryValue": "", "FieldValue": value}
                for (owner, value), uid in sorted(held.items(), key=_held_order)
                if owner == name and value is not None and value not in value_map
            ]
            settings.append({
                "DeliverySettingUID": setting_uid, "DeliveryUID": delivery_uid, "Delete": False,
                "Format": entry.get("format", ""), "FieldType": MAPPING_SOURCES[source],
                "FieldName": name,
                "Value": entry.get("value", "") if source in VALUE_SOURCES else "",
                "LeadFieldUID": ctx.catalog.lead_field(lead_type_uid, lead_field).uid if lead_field else 0,
                "Expr": entry.get("value", "") if source in EXPR_SOURCES else "",
                "hasMap": bool(value_map), "FieldMappings": mappings,
            })
        for (name, value), uid in sorted(held.items(), key=_held_order):
            if value is None and name not in wanted:
                settings.append({
                    "DeliverySettingUID": uid, "DeliveryUID": delivery_uid, "Delete": True,
                    "Format": "", "FieldType": 0, "FieldName": name, "Value": "",
                    "LeadFieldUID": 0, "Expr": "", "hasMap": False, "FieldMappings": [],
                })
        return settings

    def _days(self, schedule: list[str], sub_ids: dict[str, int], delivery_uid: int) -> list[dict[str, Any]]:
        days = []
        seen: dict[str, int] = {}
        for entry in schedule:
            day, window, *rest = entry.split(" ")
            start, end = window.split("-")
            index = seen.get(day, 0)
            seen[day] = index + 1
            weekly = day in DAY_ORDER
            on = BASE_DATE if weekly else day
            days.append({
                "DeliveryDayUID": sub_ids.get(sub_id_key("schedule", day, index), 0),
                "DeliveryUID": delivery_uid,
                "WeekDay": DAY_ORDER[day] if weekly else weekday_of(day),
                "StaticDate": f"{on}T00:00:00", "StartTime": wire_clock(start, on),
                "EndTime": wire_clock(end, on), "Allow": not rest,
            })
        # A day no longer wanted is sent as a denying window of no length, not left out: a
        # list without a Delete flag may be merged, and this removes it either way.
        used = {sub_id_key("schedule", day, i) for day, count in seen.items() for i in range(count)}
        for key, uid in sorted(sub_ids.items()):
            parts = sub_id_parts(key)
            label = parts[1] if parts[0] == "schedule" else None
            if label is None or key in used:
                continue
            weekly = label in DAY_ORDER
            on = BASE_DATE if weekly else label
            days.append({
                "DeliveryDayUID": uid, "DeliveryUID": delivery_uid,
                "WeekDay": DAY_ORDER[label] if weekly else weekday_of(label),
                "StaticDate": f"{on}T00:00:00", "StartTime": wire_clock("00:00", on),
                "EndTime": wire_clock("00:00", on), "Allow": False})
        return days

    async def send(self, api: LeadExecWrites, body: dict[str, Any], parent_id: int | None) -> int:
        assert parent_id is not None
        return await api.write_method(parent_id, body)

    def _live(self, wire: Wire, ctx: Context) -> Live:
        uid = int(wire["ClientDeliveryUID"])
        return Live(uid, wire, self.observe(wire, ctx), parent_id=int(wire.get("ClientUID", 0)),
                    sub_ids=self.sub_ids(wire))

    def find_live(self, view: LiveView, remote_id: int, ctx: Context, previous: Live | None,
                  client_key: str | None) -> Live | None:
        wire = view.methods.get(remote_id)
        if wire is not None:
            return self._live(wire, ctx)
        if previous is None:
            return None
        client_uid = previous.parent_id or (ctx.ids.get(f"client.{client_key}") if client_key
                                            else None)
        if view.clients_listed and client_uid and client_uid not in view.clients:
            return None  # its client is not in LeadExec (deleted by hand): nor is it
        # No account shows it: what was last applied is all there is to know.
        return Live(remote_id, {}, dict(previous.attrs), parent_id=previous.parent_id,
                    sub_ids=dict(previous.sub_ids), observable=False)

    def release(self, view: LiveView, live: Live) -> None:
        if live.observable:  # its accounts still hold the answer until they are let go too
            view.methods.pop(live.remote_id, None)
        super().release(view, live)

    def live_candidates(self, view: LiveView, ctx: Context, client_key: str | None) -> list[Live]:
        client_uid = ctx.ids.get(f"client.{client_key}")
        if client_uid is None:
            return []
        return [self._live(wire, ctx) for wire in view.methods_of(client_uid)]

    def is_retired(self, live: Live) -> bool:
        return live.observable and live.attrs.get("enabled") is False
