"""Read shapes: what GetClientList & co. answer, and the admin dump, built from the store.

Values are returned as ordered dicts in the element order of the reference's read types
(accounts: stored rows with the ACCOUNT shape giving the order); xmlio turns them into
XML, the admin dump into JSON.
"""

from __future__ import annotations

from typing import Any

from lexsync.sandbox import seed, xmlio
from lexsync.sandbox.store import Reader

_CLIENT_LIST_ORDER = (
    "ClientUID", "AccountUID", "DateAdded", "Status", "InternalUID", "UserUID", "TimeOffset",
    "Notes", "IsLocked", "LockedBy", "DateLocked", "LockedReason", "OutLookUID",
    "TimeZoneName", "ResellerUID", "GroupUID", "AutomationType", "Priority",
    "DeliveryGroupUID", "Username", "Password", "ShowLeadGrade", "ShowLeadSource",
    "ShowCampaign", "AllowCalls", "AllowReassign", "UserAssigned", "UseDeliveryTiers",
    "OverrideReassign",
)  # fmt: skip
_ACCOUNT_ORDER = (
    "ClientAccountUID", "ClientUID", "DeliveryUID", "Price", "HourMax", "DayMax", "MonthMax",
    "useOrder", "Status", "DeliveryDelay", "Description", "RedirectURL", "AutomationEnabled",
    "AccountType", "AgentName", "AgentPhone",
)  # fmt: skip
_METHOD_ORDER = (
    "ClientDeliveryUID", "ClientUID", "Type", "Name", "Status", "DateAdded", "inTesting",
    "LeadTypeUID", "XML", "EmailTemplate", "EmailSubject", "FTPUser", "FTPPassword", "FTPPath",
    "EmailAddress", "useRegEx", "ResponseSearch", "DeliveryAddress", "SMTPServer", "SMTPAuth",
    "SMTPUsername", "SMTPPassword", "fAddress", "tAddress", "EmailNotify", "NotifyCC",
    "NotifyBCC", "NotifyEmail", "LeadCatUID", "ClientEmail",
)  # fmt: skip
_SETTING_ORDER = (
    "DeliverySettingUID", "DeliveryUID", "Format", "FieldType", "FieldName", "Value",
    "LeadFieldUID", "Expr", "hasMap",
)  # fmt: skip
_MAPPING_ORDER = ("DeliveryMappingUID", "DeliverySettingUID", "DeliveryValue", "FieldValue")
_DAY_ORDER = (
    "DeliveryDayUID",
    "DeliveryUID",
    "WeekDay",
    "StaticDate",
    "StartTime",
    "EndTime",
    "Allow",
)
_CRITERIA_ORDER = ("ClientCriteriaUID", "LeadFieldUID", "Type", "Expression", "Operator", "Value")

# Accounts are written from the stored rows, children attached (`accounts_view`): the
# shapes leave out what the read type lacks (WeekMax, AlternatePosting, Offer*, ...).
_METHOD = xmlio.Shape(
    (*_METHOD_ORDER, "FieldSettings", "DeliveryDays"),
    {
        "FieldSettings": xmlio.Shape(
            (*_SETTING_ORDER, "FieldMappings"), {"FieldMappings": xmlio.Shape(_MAPPING_ORDER)}
        ),
        "DeliveryDays": xmlio.Shape(_DAY_ORDER),
    },
)
ACCOUNT = xmlio.Shape(
    (*_ACCOUNT_ORDER, "Criteria", "DeliveryDetails"),
    {"Criteria": xmlio.Shape(_CRITERIA_ORDER), "DeliveryDetails": _METHOD},
)


def _pick(obj: dict[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    # Absent values stay absent: the wire omits the element (e.g. after an admin mutate).
    return {k: obj[k] for k in order if k in obj}


def client_status(status: Any, form: str = "index0") -> Any:
    """A stored status name as GetClientList answers it: its position in the ClientStatus list
    counted from 0 or from 1, or the name itself (the profile's `client_status`)."""
    if form == "name" or status not in seed.CLIENT_STATUSES:
        return status
    return seed.CLIENT_STATUSES.index(status) + (1 if form == "index1" else 0)


def client_list_item(client: dict[str, Any], status_form: str = "index0") -> dict[str, Any]:
    full = {
        **client,
        "AccountUID": seed.ACCOUNT_UID,
        "Status": client_status(client.get("Status"), status_form),
        "AutomationType": client.get("DeliveryAccountAutomationType"),
        "Priority": 0,
        "DeliveryGroupUID": 0,
        "ShowLeadGrade": False,
        "ShowLeadSource": False,
        "ShowCampaign": False,
        "AllowCalls": False,
        "AllowReassign": False,
        "UserAssigned": client.get("UserUID", 0),
        "UseDeliveryTiers": False,
    }
    return {k: v for k, v in _pick(full, _CLIENT_LIST_ORDER).items() if v is not None}


def client_list(tx: Reader, status_form: str = "index0") -> list[dict[str, Any]]:
    return [client_list_item(c, status_form) for c in tx.all("clients")]


def client_data(tx: Reader, client_uid: int) -> list[dict[str, Any]]:
    client = tx.get("clients", client_uid)
    if client is None:
        return []
    values: dict[str, str] = client.get("FieldData", {})
    return [
        {
            "ClientFieldUID": f["ClientFieldUID"],
            "Descriptor": f["Descriptor"],
            "DataType": f["DataType"],
            "Required": False,
            "Status": True,
            "Computed": False,
            "Enumerated": False,
            "SpecialBit": f["SpecialBit"],
            "isState": f["isState"],
            "FieldValue": values.get(str(f["ClientFieldUID"]), ""),
        }
        for f in seed.CLIENT_FIELDS
    ]


def client_groups(tx: Reader) -> list[dict[str, Any]]:
    clients = tx.all("clients")
    return [
        {
            "ClientGroupUID": g["ClientGroupUID"],
            "Description": g.get("Description"),
            "DisplayOrder": g.get("DisplayOrder"),
            "ClientCount": sum(1 for c in clients if c.get("GroupUID") == g["ClientGroupUID"]),
        }
        for g in tx.all("groups")
    ]


def _attach_method_children(tx: Reader, methods: list[dict[str, Any]]) -> None:
    """Attach each method's settings (with their mappings) and days: one query per table."""
    ids = [m["ClientDeliveryUID"] for m in methods]
    settings = tx.children_of("settings", ids)
    mappings = tx.children_of(
        "mappings", (s["DeliverySettingUID"] for group in settings.values() for s in group)
    )
    days = tx.children_of("days", ids)
    for method in methods:
        uid = method["ClientDeliveryUID"]
        method["FieldSettings"] = settings.get(uid, [])
        method["DeliveryDays"] = days.get(uid, [])
        for setting in method["FieldSettings"]:
            setting["FieldMappings"] = mappings.get(setting["DeliverySettingUID"], [])


def accounts_view(tx: Reader, accounts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`accounts` with their criteria and delivery method attached, to be written with the
    ACCOUNT shape. A few queries for all of them; one method object however many accounts
    share it."""
    criteria = tx.children_of("criteria", (a["ClientAccountUID"] for a in accounts))
    # Looked up by the stored value as is: after an admin mutate it may not be an int.
    methods = {uid: tx.get("methods", uid) for uid in {a.get("DeliveryUID", 0) for a in accounts}}
    _attach_method_children(tx, [m for m in methods.values() if m is not None])
    for account in accounts:
        account["Criteria"] = criteria.get(account["ClientAccountUID"], [])
        account["DeliveryDetails"] = methods[account.get("DeliveryUID", 0)]  # None: omitted
    return accounts


def client_accounts(tx: Reader, client_uid: int) -> list[dict[str, Any]]:
    return accounts_view(tx, tx.children("accounts", client_uid))


def criteria_accounts(tx: Reader, lead_type: int, lead_field: int, value: str) -> list[dict[str, Any]]:
    found = []
    for account in tx.all("accounts"):
        method = tx.get("methods", account.get("DeliveryUID", 0))
        if lead_type and (method is None or method.get("LeadTypeUID") != lead_type):
            continue
        for c in tx.children("criteria", account["ClientAccountUID"]):
            if c.get("LeadFieldUID") == lead_field and (value == "" or c.get("Value") == value):
                found.append(account)
                break
    return accounts_view(tx, found)


def lead_types(type_uid: int) -> list[dict[str, Any]]:
    return [
        {
            "LeadTypeUID": t["LeadTypeUID"],
            "AccountUID": seed.ACCOUNT_UID,
            "InQC": 0,
            "Descriptor": t["Descriptor"],
            "Status": True,
            "DefaultDupSets": "",
            "TypeUID": t["TypeUID"],
        }
        for t in seed.LEAD_TYPES
        if type_uid in (0, t["LeadTypeUID"])
    ]


def lead_fields(type_uid: int) -> list[dict[str, Any]]:
    return [
        {
            "LeadFieldUID": f["LeadFieldUID"],
            "LeadTypeUID": f["LeadTypeUID"],
            "Descriptor": f["Descriptor"],
            "FieldDataType": f["FieldDataType"],
            "Required": f["Required"],
            "Status": True,
            "Computed": False,
            "ComputedExpr": "",
            "Enumerated": False,
            "Validation": "",
            "InvalidChars": "",
            "FmtError": "",
            "FormatString": "",
            "isState": f["isState"],
            "FieldDescription": f["Descriptor"],
            "ColSpan": 1,
            "Width": 200,
            "Height": 20,
            "SpecialBit": f["SpecialBit"],
            "Delete": False,
        }
        for f in seed.LEAD_FIELDS
        if f["LeadTypeUID"] == type_uid
    ]


def is_username_unique(tx: Reader, username: str) -> bool:
    return not tx.clients_named(username)


def dump(tx: Reader) -> dict[str, Any]:
    """The whole store as JSON, every attribute (including REST-only ones) included."""
    clients = []
    for c in tx.all("clients"):
        fields = c.get("FieldData", {})
        clients.append(
            {
                **{k: v for k, v in c.items() if k != "FieldData"},
                "FieldData": [
                    {"ClientFieldUID": int(k), "Value": v}
                    for k, v in sorted(fields.items(), key=lambda kv: int(kv[0]))
                ],
            }
        )
    methods = []
    for m in tx.all("methods"):
        settings = [
            {**s, "FieldMappings": tx.children("mappings", s["DeliverySettingUID"])}
            for s in tx.children("settings", m["ClientDeliveryUID"])
        ]
        methods.append(
            {
                **m,
                "FieldSettings": settings,
                "DeliveryDays": tx.children("days", m["ClientDeliveryUID"]),
            }
        )
    accounts = [
        {**a, "Criteria": tx.children("criteria", a["ClientAccountUID"])}
        for a in tx.all("accounts")
    ]
    return {
        "groups": tx.all("groups"),
        "clients": clients,
        "methods": methods,
        "accounts": accounts,
    }
