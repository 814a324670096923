"""The write semantics shared by the REST and SOAP dialects (docs/wire.md "Semantics").

Each function takes an already type-checked dict, checks references against the store,
and writes inside the caller's transaction: any ValidationError rolls everything back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lexsync.sandbox import seed
from lexsync.sandbox.schemas import METHOD_SCALAR_NAMES
from lexsync.sandbox.store import Tx
from lexsync.sandbox.validation import ValidationError, join

NEW_IDS = (0, -1)  # REST sends 0, SOAP sends -1; both mean "create"

_CLIENT_DEFAULTS: dict[str, Any] = {
    "UserUID": 0,
    "TimeOffset": 0,
    "TimeZoneName": "",
    "Notes": "",
    "ResellerUID": 0,
    "GroupUID": 0,
    "Username": "",
    "Password": "",
    "OverrideReassign": False,
    "DeliveryAccountAutomationType": "Price",
}
_ACCOUNT_DEFAULTS: dict[str, Any] = {"WeekMax": -1, "AlternatePosting": 0}
_STATE_LIST_OPERATORS = ("Equal", "NotEqual", "In", "NotIn")


@dataclass(frozen=True)
class Rules:
    """The readings of the open write semantics a profile chose (docs/sandbox.md)."""

    list_writes: str = "replace"  # criteria and delivery days: replace | merge
    field_data_writes: str = "merge"  # a client's FieldData: merge | replace
    omitted_fields: str = "keep"  # what an update omits: keep | clear

    @classmethod
    def of(cls, config: Any) -> Rules:
        return cls(config.list_writes, config.field_data_writes, config.omitted_fields)

    @property
    def clear(self) -> bool:
        return self.omitted_fields == "clear"


TODAY = Rules()


def renamed_mappings(method: dict[str, Any], mappings: str) -> dict[str, Any]:
    """A method whose settings carry their value mappings under `mappings` (a profile's name
    for that list) with them under `FieldMappings`, as the write logic reads them."""
    if mappings == "FieldMappings" or "FieldSettings" not in method:
        return method
    settings = [{("FieldMappings" if k == mappings else k): v for k, v in setting.items()}
                for setting in method["FieldSettings"]]
    return {**method, "FieldSettings": settings}


def _client_or_fail(tx: Tx, client_uid: int, path: str) -> dict[str, Any]:
    client = tx.get("clients", client_uid)
    if client is None:
        raise ValidationError(path, f"Client {client_uid} does not exist.")
    return client


def save_client(
    tx: Tx,
    info: dict[str, Any],
    field_data: list[dict[str, Any]] | None,
    *,
    info_prefix: str,
    value_key: str,
    rules: Rules = TODAY,
) -> int:
    """Create or update a client. FieldData entries not sent keep their stored values, or
    with `field_data_writes: replace` are cleared; a FieldData not sent at all keeps them
    unless omitted fields are cleared."""
    uid = info["ClientUID"]
    new = uid in NEW_IDS
    existing: dict[str, Any] = {}
    if not new:
        existing = _client_or_fail(tx, uid, join(info_prefix, "ClientUID"))
    if new:
        for key in ("Username", "Password"):
            if not info.get(key):
                raise ValidationError(join(info_prefix, key), f"The {key} field is required.")
    username = info.get("Username")
    if username and any(other != uid for other in tx.clients_named(username)):
        raise ValidationError(
            join(info_prefix, "Username"), f"Username '{username}' is already in use."
        )
    group = info.get("GroupUID", 0)
    if group != 0 and tx.get("groups", group) is None:
        raise ValidationError(
            join(info_prefix, "GroupUID"), f"Client group {group} does not exist."
        )
    kept = field_data is not None and rules.field_data_writes == "merge" or \
        field_data is None and not rules.clear
    values: dict[str, str] = dict(existing.get("FieldData", {})) if kept else {}
    seen: set[int] = set()
    for i, item in enumerate(field_data or []):
        field_uid = item["ClientFieldUID"]
        path = f"FieldData[{i}].ClientFieldUID"
        if field_uid not in seed.CLIENT_FIELD_UIDS:
            raise ValidationError(path, f"Client field {field_uid} does not exist.")
        if field_uid in seen:
            raise ValidationError(path, f"Client field {field_uid} is sent twice.")
        seen.add(field_uid)
        values[str(field_uid)] = item[value_key]
    # Omitted fields cleared: the stored client becomes what was sent, defaults for the rest.
    kept_fields = {} if rules.clear else existing
    record = {**_CLIENT_DEFAULTS, **kept_fields, **info, "FieldData": values}
    record.pop("ClientUID", None)
    if new:
        return tx.insert("clients", None, record)
    tx.update("clients", uid, record)
    return uid


def save_group(tx: Tx, group: dict[str, Any], *, prefix: str) -> int:
    uid = group["ClientGroupUID"]
    record = {"Description": group["Description"], "DisplayOrder": group["DisplayOrder"]}
    if uid in NEW_IDS:
        return tx.insert("groups", None, record)
    if tx.get("groups", uid) is None:
        raise ValidationError(join(prefix, "ClientGroupUID"), f"Client group {uid} does not exist.")
    tx.update("groups", uid, record)
    return uid


def _check_path_client(body_client: int, path_client: int | None, prefix: str) -> None:
    if path_client is not None and path_client != body_client:
        raise ValidationError(
            join(prefix, "ClientUID"),
            f"ClientUID {body_client} in the body differs from ClientUID {path_client} in the URL.",
        )


def _clients(tx: Tx, table: str, uid: int, client_uid: int, path: str,
             noun: str) -> dict[str, Any]:
    """The stored method or account `uid`, which must be `client_uid`'s."""
    found = tx.get(table, uid)
    if found is None or found["ClientUID"] != client_uid:
        raise ValidationError(path, f"{noun} {uid} does not exist for client {client_uid}.")
    return found


def _check_parent_ref(value: int, parent_id: int, path: str, what: str) -> None:
    if value not in NEW_IDS and value != parent_id:
        raise ValidationError(path, f"{what} {value} does not match the parent ({parent_id}).")


def save_method(tx: Tx, method: dict[str, Any], *, path_client: int | None, prefix: str,
                rules: Rules = TODAY) -> int:
    """Create or update a delivery method with its field settings, mappings and days. A list
    not sent keeps what is stored, unless omitted fields are cleared."""
    client_uid = method["ClientUID"]
    _check_path_client(client_uid, path_client, prefix)
    _client_or_fail(tx, client_uid, join(prefix, "ClientUID"))
    uid = method["ClientDeliveryUID"]
    new = uid in NEW_IDS
    if not new:
        _clients(tx, "methods", uid, client_uid, join(prefix, "ClientDeliveryUID"),
                 "Delivery method")
    lead_type = method["LeadTypeUID"]
    if lead_type not in seed.LEAD_TYPE_UIDS:
        raise ValidationError(join(prefix, "LeadTypeUID"), f"Lead type {lead_type} does not exist.")
    record = {k: method[k] for k in METHOD_SCALAR_NAMES if k != "ClientDeliveryUID"}
    if new:
        uid = tx.insert("methods", client_uid, record)
    else:
        tx.update("methods", uid, record)
    if "FieldSettings" in method:
        _save_settings(tx, uid, lead_type, method["FieldSettings"], join(prefix, "FieldSettings"))
    elif rules.clear and not new:
        for setting in tx.children("settings", uid):
            tx.delete_children("mappings", setting["DeliverySettingUID"])
            tx.delete("settings", setting["DeliverySettingUID"])
    if "DeliveryDays" in method:
        _save_days(tx, uid, method["DeliveryDays"], join(prefix, "DeliveryDays"), rules)
    elif rules.clear and not new:
        _save_days(tx, uid, [], join(prefix, "DeliveryDays"), Rules("replace"))
    return uid


def _save_settings(
    tx: Tx, method_id: int, lead_type: int, settings: list[dict[str, Any]], prefix: str
) -> None:
    seen: set[int] = set()
    for i, setting in enumerate(settings):
        path = f"{prefix}[{i}]"
        sid = setting["DeliverySettingUID"]
        _check_parent_ref(setting["DeliveryUID"], method_id, f"{path}.DeliveryUID", "DeliveryUID")
        if sid not in NEW_IDS:
            _stored_child(tx, "settings", sid, method_id, seen, f"{path}.DeliverySettingUID",
                          "Field setting", "delivery method")
        if setting.get("Delete", False):
            if sid not in NEW_IDS:
                tx.delete_children("mappings", sid)
                tx.delete("settings", sid)
            continue
        lead_field = setting["LeadFieldUID"]
        if lead_field not in NEW_IDS:
            known = seed.LEAD_FIELDS_BY_UID.get(lead_field)
            if known is None or known["LeadTypeUID"] != lead_type:
                raise ValidationError(
                    f"{path}.LeadFieldUID",
                    f"Lead field {lead_field} does not exist for lead type {lead_type}.",
                )
        record = {
            "DeliveryUID": method_id,
            **{
                k: setting[k]
                for k in (
                    "Format",
                    "FieldType",
                    "FieldName",
                    "Value",
                    "LeadFieldUID",
                    "Expr",
                    "hasMap",
                )
            },
        }
        if sid in NEW_IDS:
            sid = tx.insert("settings", method_id, record)
        else:
            tx.update("settings", sid, record)
        if "FieldMappings" in setting:
            _save_mappings(tx, sid, setting["FieldMappings"], f"{path}.FieldMappings")


def _save_mappings(tx: Tx, setting_id: int, mappings: list[dict[str, Any]], prefix: str) -> None:
    seen: set[int] = set()
    for j, mapping in enumerate(mappings):
        path = f"{prefix}[{j}]"
        mid = mapping["DeliveryMappingUID"]
        _check_parent_ref(
            mapping["DeliverySettingUID"],
            setting_id,
            f"{path}.DeliverySettingUID",
            "DeliverySettingUID",
        )
        if mid not in NEW_IDS:
            _stored_child(tx, "mappings", mid, setting_id, seen, f"{path}.DeliveryMappingUID",
                          "Value mapping", "field setting")
        if mapping.get("Delete", False):
            if mid not in NEW_IDS:
                tx.delete("mappings", mid)
            continue
        record = {
            "DeliverySettingUID": setting_id,
            "DeliveryValue": mapping["DeliveryValue"],
            "FieldValue": mapping["FieldValue"],
        }
        if mid in NEW_IDS:
            tx.insert("mappings", setting_id, record)
        else:
            tx.update("mappings", mid, record)


def _save_days(tx: Tx, method_id: int, days: list[dict[str, Any]], prefix: str,
               rules: Rules = TODAY) -> None:
    """Days become exactly the list sent (`list_writes: replace`) or are merged into the
    stored ones (`merge`); days naming a stored DeliveryDayUID keep it."""
    sent = []
    for i, day in enumerate(days):
        path = f"{prefix}[{i}]"
        _check_parent_ref(day["DeliveryUID"], method_id, f"{path}.DeliveryUID", "DeliveryUID")
        record = {
            "DeliveryUID": method_id,
            **{k: day[k] for k in ("WeekDay", "StaticDate", "StartTime", "EndTime", "Allow")},
        }
        sent.append((f"{path}.DeliveryDayUID", day["DeliveryDayUID"], record))
    _write_children(tx, "days", method_id, sent, "DeliveryDayUID",
                    "Delivery day", "delivery method", rules.list_writes)


def _write_children(tx: Tx, table: str, parent_id: int,
                    sent: list[tuple[str, int, dict[str, Any]]], id_key: str,
                    noun: str, parent_noun: str, mode: str = "replace") -> None:
    """Write `table`'s children of `parent_id` from `sent` (path, id, record): new IDs are
    inserted, stored IDs updated in place; children not sent are deleted (`replace`) or kept
    (`merge`: a list without a Delete flag has no other way to remove one)."""
    keep: set[int] = set()
    for path, child_id, record in sent:
        if child_id in NEW_IDS:
            keep.add(tx.insert(table, parent_id, record))
            continue
        _stored_child(tx, table, child_id, parent_id, keep, path, noun, parent_noun)
        tx.update(table, child_id, record)
    if mode == "merge":
        return
    for stored in tx.children(table, parent_id):
        if stored[id_key] not in keep:
            tx.delete(table, stored[id_key])


def _stored_child(tx: Tx, table: str, child_id: int, parent_id: int, seen: set[int], path: str,
                  noun: str, parent_noun: str) -> None:
    """A stored child sent in a list: it must be `parent_id`'s, and sent once (`seen`)."""
    if tx.parent_of(table, child_id) != parent_id:
        raise ValidationError(path, f"{noun} {child_id} does not exist on {parent_noun} {parent_id}.")
    if child_id in seen:
        raise ValidationError(path, f"{noun} {child_id} is sent twice.")
    seen.add(child_id)


def save_account(tx: Tx, account: dict[str, Any], *, path_client: int | None, prefix: str,
                 rules: Rules = TODAY) -> int:
    """Create or update a delivery account; its criteria become exactly the list sent, or
    are merged into the stored ones (`list_writes: merge`). What an update omits (the SOAP
    type has no WeekMax, AlternatePosting or Offer*) is kept, or cleared."""
    client_uid = account["ClientUID"]
    _check_path_client(client_uid, path_client, prefix)
    _client_or_fail(tx, client_uid, join(prefix, "ClientUID"))
    uid = account["ClientAccountUID"]
    new = uid in NEW_IDS
    existing: dict[str, Any] = {}
    if not new:
        existing = _clients(tx, "accounts", uid, client_uid, join(prefix, "ClientAccountUID"),
                            "Delivery account")
    delivery_uid = account["DeliveryUID"]
    method = tx.get("methods", delivery_uid)
    if method is None or method["ClientUID"] != client_uid:
        raise ValidationError(
            join(prefix, "DeliveryUID"),
            f"Delivery method {delivery_uid} does not exist for client {client_uid}.",
        )
    alternate = account.get("AlternatePosting", 0)
    if alternate != 0:
        alt = tx.get("methods", alternate)
        if alt is None or alt["ClientUID"] != client_uid:
            raise ValidationError(
                join(prefix, "AlternatePosting"),
                f"Delivery method {alternate} does not exist for client {client_uid}.",
            )
    record = {**_ACCOUNT_DEFAULTS, **({} if rules.clear else existing), **account}
    for key in ("ClientAccountUID", "Criteria"):
        record.pop(key, None)
    if new:
        uid = tx.insert("accounts", client_uid, record)
    else:
        tx.update("accounts", uid, record)
    if "Criteria" in account:
        _save_criteria(
            tx, uid, method["LeadTypeUID"], account["Criteria"], join(prefix, "Criteria"),
            rules.list_writes,
        )
    elif rules.clear and not new:
        _save_criteria(tx, uid, method["LeadTypeUID"], [], join(prefix, "Criteria"))
    return uid


def _check_state_value(criterion: dict[str, Any], path: str) -> None:
    # On an isState field, FieldValue criteria compare StateUIDs (joined with ',' for lists).
    if criterion["Type"] != "FieldValue" or criterion["Operator"] not in _STATE_LIST_OPERATORS:
        return
    for item in criterion["Value"].split(","):
        text = item.strip()
        if not text.isdigit() or int(text) not in seed.STATE_UIDS:
            raise ValidationError(f"{path}.Value", f"'{text}' is not a StateUID.")


def _save_criteria(
    tx: Tx, account_id: int, lead_type: int, criteria: list[dict[str, Any]], prefix: str,
    mode: str = "replace",
) -> None:
    sent = []
    for i, criterion in enumerate(criteria):
        path = f"{prefix}[{i}]"
        field_uid = criterion["LeadFieldUID"]
        field = seed.LEAD_FIELDS_BY_UID.get(field_uid)
        if field is None or field["LeadTypeUID"] != lead_type:
            raise ValidationError(
                f"{path}.LeadFieldUID",
                f"Lead field {field_uid} does not exist for lead type {lead_type}.",
            )
        if field["isState"]:
            _check_state_value(criterion, path)
        record = {k: v for k, v in criterion.items() if k != "ClientCriteriaUID"}
        sent.append((f"{path}.ClientCriteriaUID", criterion["ClientCriteriaUID"], record))
    _write_children(tx, "criteria", account_id, sent, "ClientCriteriaUID",
                    "Criterion", "delivery account", mode)
