"""Field specs for every object the sandbox accepts, straight from the reference.

REST specs follow leadexec-rest-v1-api.md (its `required` column); SOAP specs follow the
ASMX types in leadexec-soap-api.txt, requiring the same fields as their REST twins
(docs/sandbox.md), minus what the ASMX type does not have.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from typing import Any

from lexsync.sandbox import profiles, seed
from lexsync.sandbox.validation import Field, Schema


def _req(name: str, kind: str, **kw: object) -> Field:
    return Field(name, kind, True, **kw)  # type: ignore[arg-type]


def _opt(name: str, kind: str, **kw: object) -> Field:
    return Field(name, kind, False, **kw)  # type: ignore[arg-type]


_CLIENT_STATUS = {"choices": seed.CLIENT_STATUSES, "enum_name": "ClientStatus"}
_MAX = {"minimum": -1}

# ---------------------------------------------------------------- clients
REST_CLIENT_INFO = Schema(
    "ClientInfo",
    (
        _req("ClientUID", "int"),
        _req("DateAdded", "date"),
        _req("Status", "name_enum", **_CLIENT_STATUS),
        _opt("UserUID", "int"),
        _opt("TimeOffset", "int32"),
        _opt("TimeZoneName", "str"),
        _opt("Notes", "str"),
        _opt("ResellerUID", "int"),
        _opt("GroupUID", "int"),
        _opt("Username", "str"),  # required if new: checked by the write logic
        _opt("Password", "str"),
        _opt("OverrideReassign", "bool"),
        _opt(
            "DeliveryAccountAutomationType",
            "name_enum",
            choices=seed.AUTOMATION_TYPES,
            enum_name="AutomationType",
        ),
    ),
)
REST_FIELD_DATA = Schema("FieldData", (_req("ClientFieldUID", "int"), _req("Value", "str")))
REST_CLIENT = Schema(
    "ClientModel",
    (
        _req("Info", "object", item=REST_CLIENT_INFO),
        _opt("FieldData", "list", item=REST_FIELD_DATA, item_tag="FieldData"),
    ),
)

SOAP_CLIENT = Schema(
    "ClientItemType",
    (
        _req("ClientUID", "int"),
        _req("DateAdded", "date"),
        _req("Status", "name_enum", **_CLIENT_STATUS),
        # The obsolete fields are stored and answered by GetClientList, which the reference
        # says returns them; Image (an obsolete array) is not.
        _opt("InternalUID", "int"),
        _opt("UserUID", "int"),
        _opt("TimeOffset", "int32"),
        _opt("Image", "ignore"),
        _opt("Notes", "str"),
        _opt("IsLocked", "bool"),
        _opt("LockedBy", "int"),
        _opt("DateLocked", "date"),
        _opt("LockedReason", "str"),
        _opt("OutLookUID", "str"),
        _opt("TimeZoneName", "str"),
        _opt("ResellerUID", "int"),
        _opt("GroupUID", "int"),
        _opt("Username", "str"),
        _opt("Password", "str"),
        _opt("OverrideReassign", "bool"),
    ),
)
SOAP_FIELD_DATA = Schema(
    "ClientFieldType",
    (
        _req("ClientFieldUID", "int"),
        *(
            _opt(name, "ignore")
            for name in (
                "Descriptor", "DataType", "Required", "Status", "Computed", "ComputedExpr",
                "Enumerated", "Enums", "Validation", "InvalidChars", "FormatError",
                "FormatString", "SpecialBit", "isState",
            )
        ),
        _req("FieldValue", "str"),
        _opt("PastValues", "ignore"),
    ),
)  # fmt: skip
SOAP_FIELD_DATA_LIST = _opt("FieldData", "list", item=SOAP_FIELD_DATA, item_tag="ClientFieldType")

# ---------------------------------------------------------------- groups (SOAP only)
SOAP_GROUP = Schema(
    "ClientGroupType",
    (
        _req("ClientGroupUID", "int"),
        _req("Description", "str"),
        _req("DisplayOrder", "int32"),
        _opt("ClientCount", "ignore"),  # computed by the server
    ),
)


# ---------------------------------------------------------------- delivery methods
def _mapping(delete_required: bool) -> Schema:
    return Schema(
        "DeliveryMappingType",
        (
            _req("DeliveryMappingUID", "int"),
            Field("Delete", "bool", delete_required),
            _req("DeliverySettingUID", "int"),
            _req("DeliveryValue", "str"),
            _req("FieldValue", "str"),
        ),
    )


def _setting(delete_required: bool, mappings_key: str) -> Schema:
    return Schema(
        "DeliverySettingType",
        (
            _req("DeliverySettingUID", "int"),
            _req("DeliveryUID", "int"),
            Field("Delete", "bool", delete_required),
            _req("Format", "str"),
            _req("FieldType", "int_enum", choices=seed.FIELD_TYPES, enum_name="field_type"),
            _req("FieldName", "str"),
            _req("Value", "str"),
            _req("LeadFieldUID", "intish"),
            _req("Expr", "str"),
            _req("hasMap", "bool"),
            _opt(
                mappings_key,
                "list",
                item=_mapping(delete_required),
                item_tag="DeliveryMappingType",
            ),
        ),
    )


DELIVERY_DAY = Schema(
    "DeliveryDayType",
    (
        _req("DeliveryDayUID", "int"),
        _req("DeliveryUID", "int"),
        _req("WeekDay", "int_enum", choices=seed.WEEK_DAYS, enum_name="WeekDay"),
        _req("StaticDate", "date"),
        _req("StartTime", "date"),
        _req("EndTime", "date"),
        _req("Allow", "bool"),
    ),
)

_METHOD_SCALARS: tuple[Field, ...] = (
    _req("ClientDeliveryUID", "int"),
    _req("ClientUID", "int"),
    _req("Type", "int_enum", choices=seed.DELIVERY_TYPES, enum_name="delivery_type"),
    _req("Name", "str"),
    _req("Status", "bool"),
    _req("DateAdded", "date"),
    _req("inTesting", "bool"),
    _req("LeadTypeUID", "int"),
    _req("XML", "str"),
    _req("EmailTemplate", "str"),
    _req("EmailSubject", "str"),
    _req("FTPUser", "str"),
    _req("FTPPassword", "str"),
    _req("FTPPath", "str"),
    _req("EmailAddress", "str"),
    _req("useRegEx", "bool"),
    _req("ResponseSearch", "str"),
    _req("DeliveryAddress", "str"),
    _req("SMTPServer", "str"),
    _req("SMTPAuth", "bool"),
    _req("SMTPUsername", "str"),
    _req("SMTPPassword", "str"),
    _req("fAddress", "str"),
    _req("tAddress", "str"),
    _req("EmailNotify", "bool"),
    _req("NotifyCC", "str"),
    _req("NotifyBCC", "str"),
    _req("NotifyEmail", "str"),
    _req("LeadCatUID", "int"),
    _req("ClientEmail", "str"),
)
METHOD_SCALAR_NAMES: tuple[str, ...] = tuple(f.name for f in _METHOD_SCALARS)

REST_METHOD = Schema(
    "DeliveryModel",
    (
        *_METHOD_SCALARS,
        _opt(
            "FieldSettings",
            "list",
            item=_setting(True, "FieldMappings"),
            item_tag="DeliverySettingType",
        ),
        _opt("DeliveryDays", "list", item=DELIVERY_DAY, item_tag="DeliveryDayType"),
    ),
)
SOAP_METHOD = Schema(
    "DeliveryType",
    (
        *_METHOD_SCALARS,
        _opt(
            "FieldSettings",
            "list",
            item=_setting(False, "FieldMappings"),
            item_tag="DeliverySettingType",
        ),
        _opt("DeliveryDays", "list", item=DELIVERY_DAY, item_tag="DeliveryDayType"),
    ),
)

# ---------------------------------------------------------------- accounts
CRITERIA = Schema(
    "ClientCriteriaType",
    (
        _req("ClientCriteriaUID", "int"),
        _req("LeadFieldUID", "int"),
        _req("Type", "name_enum", choices=seed.CRITERIA_TYPES, enum_name="criteria_type"),
        _req("Expression", "str"),
        _req(
            "Operator", "name_enum", choices=seed.CRITERIA_OPERATORS, enum_name="CriteriaOperator"
        ),
        _req("Value", "str"),
    ),
)

_ACCOUNT_HEAD: tuple[Field, ...] = (
    _req("ClientAccountUID", "int"),
    _req("ClientUID", "int"),
    _req("DeliveryUID", "int"),
    _req("Price", "double"),
    _req("HourMax", "int32", **_MAX),
    _req("DayMax", "int32", **_MAX),
    _req("MonthMax", "int32", **_MAX),
)
_ACCOUNT_TAIL: tuple[Field, ...] = (
    _req("useOrder", "bool"),
    _req("Status", "int_enum", choices=seed.ACCOUNT_STATUSES, enum_name="account_status"),
    _req("DeliveryDelay", "int32", minimum=0),
    _req("Description", "str"),
    _req("RedirectURL", "str"),
    _req("AutomationEnabled", "bool"),
)
_ACCOUNT_TYPE = _req(
    "AccountType", "int_enum", choices=seed.ACCOUNT_TYPES, enum_name="account_type"
)
_AGENT: tuple[Field, ...] = (_req("AgentName", "str"), _req("AgentPhone", "str"))

OFFER_FIELDS: tuple[Field, ...] = (
    _opt("OfferEnabled", "bool"),
    _opt("OfferIsDynamic", "bool"),
    _opt("OfferName", "str"),
    _opt("OfferRequireCustomConsent", "bool"),
    _opt("OfferCompanyPhoneNumber", "str"),
    _opt("OfferCompanyName", "str"),
    _opt("OfferDescription", "str"),
    _opt("OfferImage", "str"),
    _opt("OfferURL", "str"),
    _opt("OfferPrivacyUrl", "str"),
    _opt("OfferTermsUrl", "str"),
    _opt("OfferTCPA", "str"),
    _opt("OfferAmount", "scalar"),
    _opt("OfferStartDate", "date"),
    _opt("OfferEndDate", "date"),
    _opt("OfferTimeZone", "str"),
    _opt("OfferDuration", "intish"),  # typed string, values 0/1, example sends 0
    _opt("OfferParseCode", "str"),
)

REST_ACCOUNT = Schema(
    "DeliveryAccountModel",
    (
        *_ACCOUNT_HEAD,
        _req("WeekMax", "int32", **_MAX),
        *_ACCOUNT_TAIL,
        _req("AlternatePosting", "int"),
        _ACCOUNT_TYPE,
        *_AGENT,
        *OFFER_FIELDS,
        _opt("Criteria", "list", item=CRITERIA, item_tag="ClientCriteriaType"),
    ),
)
SOAP_ACCOUNT = Schema(
    "ClientAccountType",
    (
        *_ACCOUNT_HEAD,
        *_ACCOUNT_TAIL,
        _ACCOUNT_TYPE,
        *_AGENT,
        _opt("Criteria", "list", item=CRITERIA, item_tag="ClientCriteriaType"),
        _opt("DeliveryDetails", "ignore"),  # read-only view of the method
    ),
)


# ---------------------------------------------------------------- per profile
# The seed texts name no list item elements (nor, in SOAP, a setting's list of value
# mappings): a profile's XmlNames gives them, in reads and writes alike.
@functools.cache
def soap_schemas(xml_names: str) -> dict[str, Any]:
    """The SOAP parameter specs with the element names of the profile's `xml_names`: the
    `delivery` and `account` schemas, and AddEditClient's `field_data` list field."""
    names = profiles.NAMES[xml_names]
    item = names.items
    setting = _setting(False, names.mappings)
    setting = Schema(setting.type_name, tuple(
        replace(f, item_tag=item["FieldMappings"]) if f.kind == "list" else f
        for f in setting.fields))
    method = Schema("DeliveryType", (
        *_METHOD_SCALARS,
        _opt("FieldSettings", "list", item=setting, item_tag=item["FieldSettings"]),
        _opt("DeliveryDays", "list", item=DELIVERY_DAY, item_tag=item["DeliveryDays"]),
    ))
    account = Schema("ClientAccountType", tuple(
        _opt("Criteria", "list", item=CRITERIA, item_tag=item["Criteria"])
        if f.name == "Criteria" else f for f in SOAP_ACCOUNT.fields))
    field_data = _opt("FieldData", "list", item=SOAP_FIELD_DATA, item_tag=item["FieldData"])
    return {"method": method, "account": account, "field_data": field_data}


# The v1 table names the lists `Settings` and `Setting.Mappings`; its example (and lexsync)
# `FieldSettings` and `FieldMappings`. A profile with `rest_list_names: table` takes these.
REST_METHOD_TABLE = Schema(
    "DeliveryModel",
    (
        *_METHOD_SCALARS,
        _opt("Settings", "list", item=_setting(True, "Mappings"), item_tag="DeliverySettingType"),
        _opt("DeliveryDays", "list", item=DELIVERY_DAY, item_tag="DeliveryDayType"),
    ),
)
