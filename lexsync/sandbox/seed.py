"""Static seed data: lead types, lead fields, standard client fields, US states.

Seed data never changes at runtime, so it lives in Python constants rather than the
database; `reset` only has to empty the writable tables.
"""

from __future__ import annotations

from typing import Any

# The one US state table; routing/states.py imports nothing, so the sandbox may share it.
from lexsync.routing.states import US_STATES

ACCOUNT_UID = 1  # the single LeadExec account the sandbox pretends to be

# (LeadTypeUID, Descriptor, TypeUID industry)
LEAD_TYPES: list[dict[str, Any]] = [
    {"LeadTypeUID": 1, "Descriptor": "Auto Insurance", "TypeUID": 1},
    {"LeadTypeUID": 2, "Descriptor": "Home Insurance", "TypeUID": 1},
    {"LeadTypeUID": 3, "Descriptor": "Solar", "TypeUID": 2},
    {"LeadTypeUID": 4, "Descriptor": "Debt", "TypeUID": 3},
]

# Descriptor, FieldDataType, SpecialBit, Required, isState
_COMMON_FIELDS: list[tuple[str, str, str, bool, bool]] = [
    ("FirstName", "Varchar", "FirstName", True, False),
    ("LastName", "Varchar", "LastName", True, False),
    ("Email", "Varchar", "Email", False, False),
    ("Phone", "Varchar", "PrimaryPhone", True, False),
    ("Address", "Varchar", "Address", False, False),
    ("City", "Varchar", "City", False, False),
    ("State", "Varchar", "State", True, True),
    ("Zip", "Varchar", "Zip", True, False),
    ("Age", "Int", "No_SpecialBit", False, False),
    ("DateOfBirth", "DateTime", "No_SpecialBit", False, False),
]

_TYPE_FIELDS: dict[int, list[tuple[str, str, str, bool, bool]]] = {
    1: [
        ("VehicleYear", "Int", "No_SpecialBit", False, False),
        ("VehicleMake", "Varchar", "No_SpecialBit", False, False),
        ("CurrentInsurer", "Varchar", "No_SpecialBit", False, False),
        ("CoverageType", "Varchar", "No_SpecialBit", False, False),
    ],
    2: [
        ("HomeValue", "Money", "No_SpecialBit", False, False),
        ("YearBuilt", "Int", "No_SpecialBit", False, False),
    ],
    3: [
        ("MonthlyBill", "Money", "No_SpecialBit", False, False),
        ("RoofType", "Varchar", "No_SpecialBit", False, False),
        ("HomeOwner", "Bit", "No_SpecialBit", False, False),
    ],
    4: [
        ("DebtAmount", "Money", "No_SpecialBit", False, False),
        ("CreditScore", "Int", "No_SpecialBit", False, False),
    ],
}


def _build_lead_fields() -> list[dict[str, Any]]:
    # LeadFieldUIDs are unique across lead types: type N uses N*100+1, N*100+2, ...
    fields: list[dict[str, Any]] = []
    for lead_type in LEAD_TYPES:
        type_uid = lead_type["LeadTypeUID"]
        for pos, (desc, dtype, special, required, is_state) in enumerate(
            _COMMON_FIELDS + _TYPE_FIELDS[type_uid], start=1
        ):
            fields.append(
                {
                    "LeadFieldUID": type_uid * 100 + pos,
                    "LeadTypeUID": type_uid,
                    "Descriptor": desc,
                    "FieldDataType": dtype,
                    "Required": required,
                    "isState": is_state,
                    "SpecialBit": special,
                }
            )
    return fields


LEAD_FIELDS: list[dict[str, Any]] = _build_lead_fields()
LEAD_FIELDS_BY_UID: dict[int, dict[str, Any]] = {f["LeadFieldUID"]: f for f in LEAD_FIELDS}
LEAD_TYPE_UIDS: frozenset[int] = frozenset(t["LeadTypeUID"] for t in LEAD_TYPES)

# The 17 standard client fields, numbered in the order of ClientFieldSpecialBit (docs/wire.md).
CLIENT_FIELDS: list[dict[str, Any]] = [
    {
        "ClientFieldUID": uid,
        "Descriptor": desc,
        "DataType": "Varchar",
        "SpecialBit": special,
        "isState": special == "State",
    }
    for uid, (desc, special) in enumerate(
        [
            ("Company", "Company"),
            ("First Name", "FirstName"),
            ("Last Name", "LastName"),
            ("Email", "Email"),
            ("Primary Phone", "PrimaryPhone"),
            ("Primary Phone Ext", "PrimaryPhoneExt"),
            ("Alternate Phone", "AlternatePhone"),
            ("Address", "Address"),
            ("City", "City"),
            ("State", "State"),
            ("Zip", "Zip"),
            ("Alternate Phone Ext", "AlternatePhoneExt"),
            ("Fax Number", "FaxNumber"),
            ("Comments", "Comments"),
            ("Job Title", "JobTitle"),
            ("Web Site", "WebSite"),
            ("Mobile Phone", "MobilePhone"),
        ],
        start=1,
    )
]
CLIENT_FIELD_UIDS: frozenset[int] = frozenset(f["ClientFieldUID"] for f in CLIENT_FIELDS)

STATES: list[dict[str, Any]] = [
    {"StateUID": uid, "Name": name, "Abbr": abbr}
    for uid, (name, abbr) in enumerate(US_STATES, start=1)
]
STATE_UIDS: frozenset[int] = frozenset(s["StateUID"] for s in STATES)

# Enumerations, spelled exactly as in the reference.
CLIENT_STATUSES: list[str] = [
    "New", "Pending", "Working", "Waiting", "Dead",
    "Inactive", "Active", "Late", "Suspended", "Closed",
]  # fmt: skip
AUTOMATION_TYPES: list[str] = ["Price", "Priority", "RoundRobin"]
DELIVERY_TYPES: frozenset[int] = frozenset(range(0, 12))
FIELD_TYPES: frozenset[int] = frozenset(range(0, 9))
WEEK_DAYS: frozenset[int] = frozenset(range(0, 7))
ACCOUNT_STATUSES: frozenset[int] = frozenset({9, 10, 11, 12})
ACCOUNT_TYPES: frozenset[int] = frozenset({0, 1, 2, 3})
OFFER_DURATIONS: frozenset[int] = frozenset({0, 1})
CRITERIA_TYPES: list[str] = ["FieldValue", "Expression", "Function"]
CRITERIA_OPERATORS: list[str] = [
    "Equal", "NotEqual", "Greater", "Less", "GreaterOrEqual", "LessOrEqual", "Between",
    "In", "NotIn", "DateCompare", "Distance_Compare", "Contains", "Doesnt_Contain",
]  # fmt: skip
