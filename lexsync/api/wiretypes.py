"""Per-type field tables for the ASMX XML, taken from the reference (names and types exact).

Int64/Int32 -> "int", Double -> "float", Boolean -> "bool", DateTime/String/enum names ->
"str"; "enum" a value the seed texts give as a number in one place and a name in another;
"int-as-read"/"bool-as-read" an obsolete field only ever sent back as read (typed when it
parses, else kept as its text).
"skip" marks what lexsync never reads: obsolete fields and Arrays (an answer that garbles
them still decodes). Element names of arrays and their items are not in the seed texts:
answers are read whatever they are (xmlcodec); the tags here are what lexsync sends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Union

Scalar = Literal["int", "float", "bool", "str", "skip", "enum", "int-as-read", "bool-as-read"]


@dataclass(frozen=True)
class Record:
    """An XML element type: its element name, its fields in reference order, the ones
    lexsync cannot do without (an answer lacking one fails), and other names a list field
    may have in answers (alias -> field)."""

    tag: str
    fields: dict[str, FieldType]
    required: tuple[str, ...] = field(default=())
    aliases: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ListOf:
    """A wrapper element holding one `item.tag` child per item."""

    item: Record


FieldType = Union[Scalar, Record, ListOf]  # noqa: UP007 -- forward reference needs Union

I, F, B, S, SKIP = "int", "float", "bool", "str", "skip"  # noqa: E741 -- compact tables
IR, BR = "int-as-read", "bool-as-read"

# The ClientStatus names, in the reference's order.
CLIENT_STATUSES = ("New", "Pending", "Working", "Waiting", "Dead", "Inactive", "Active", "Late",
                   "Suspended", "Closed")

# GetClientList's Status is an Int32 "see Client Statuses" (a table the seed texts lack);
# AddEditClient's is a ClientStatus name. Either is read (api/client.py makes it a name).
CLIENT_ITEM = Record("ClientItemType", {
    "ClientUID": I, "AccountUID": SKIP, "DateAdded": S, "Status": "enum", "InternalUID": IR,
    "UserUID": I, "TimeOffset": I, "Image": SKIP, "Notes": S, "IsLocked": BR, "LockedBy": IR,
    "DateLocked": S, "LockedReason": S, "OutLookUID": S, "TimeZoneName": S, "ResellerUID": I,
    "GroupUID": I, "AutomationType": S, "Priority": SKIP, "DeliveryGroupUID": SKIP,
    "Username": S, "Password": S, "ShowLeadGrade": SKIP, "ShowLeadSource": SKIP,
    "ShowCampaign": SKIP, "AllowCalls": SKIP, "AllowReassign": SKIP, "UserAssigned": SKIP,
    "UseDeliveryTiers": SKIP, "OverrideReassign": B,
}, required=("ClientUID",))

# The AddEditClient <Client> element: same type, but Status is sent as its name.
CLIENT_WRITE_ORDER = (
    "ClientUID", "DateAdded", "Status", "InternalUID", "UserUID", "TimeOffset", "Notes",
    "IsLocked", "LockedBy", "DateLocked", "LockedReason", "OutLookUID", "TimeZoneName",
    "ResellerUID", "GroupUID", "Username", "Password", "OverrideReassign",
)

CLIENT_FIELD = Record("ClientFieldType", {
    "ClientFieldUID": I, "Descriptor": S, "DataType": S, "Required": B, "Status": SKIP,
    "Computed": B, "ComputedExpr": S, "Enumerated": B, "Enums": SKIP, "Validation": S,
    "InvalidChars": S, "FormatError": S, "FormatString": S, "SpecialBit": S, "isState": B,
    "FieldValue": S, "PastValues": SKIP,
}, required=("ClientFieldUID",))

CLIENT_GROUP = Record("ClientGroupType", {
    "ClientGroupUID": I, "Description": S, "DisplayOrder": I, "ClientCount": I,
}, required=("ClientGroupUID",))

CRITERIA = Record("ClientCriteriaType", {
    "ClientCriteriaUID": I, "LeadFieldUID": I, "Type": S, "Expression": S, "Operator": S,
    "Value": S,
}, required=("ClientCriteriaUID",))

DELIVERY_MAPPING = Record("DeliveryMappingType", {
    "DeliveryMappingUID": I, "Delete": B, "DeliverySettingUID": I, "DeliveryValue": S,
    "FieldValue": S,
}, required=("DeliveryMappingUID",))

DELIVERY_SETTING = Record("DeliverySettingType", {
    "DeliverySettingUID": I, "DeliveryUID": I, "Delete": B, "Format": S, "FieldType": I,
    "FieldName": S, "Value": S, "LeadFieldUID": I, "Expr": S, "hasMap": B,
    "FieldMappings": ListOf(DELIVERY_MAPPING),
}, required=("DeliverySettingUID",),
    # The v1 table names the list `Setting.Mappings`, its example `FieldMappings`.
    aliases={"Mappings": "FieldMappings"})

DELIVERY_DAY = Record("DeliveryDayType", {
    "DeliveryDayUID": I, "DeliveryUID": I, "WeekDay": I, "StaticDate": S, "StartTime": S,
    "EndTime": S, "Allow": B,
}, required=("DeliveryDayUID", "WeekDay", "StartTime", "EndTime"))

DELIVERY = Record("DeliveryType", {
    "ClientDeliveryUID": I, "ClientUID": I, "Type": I, "Name": S, "Status": B,
    "DateAdded": S, "inTesting": B, "LeadTypeUID": I, "XML": S, "EmailTemplate": S,
    "EmailSubject": S, "FTPUser": S, "FTPPassword": S, "FTPPath": S, "EmailAddress": S,
    "useRegEx": B, "ResponseSearch": S, "DeliveryAddress": S, "SMTPServer": S, "SMTPAuth": B,
    "SMTPUsername": S, "SMTPPassword": S, "fAddress": S, "tAddress": S, "EmailNotify": B,
    "NotifyCC": S, "NotifyBCC": S, "NotifyEmail": S, "LeadCatUID": I, "ClientEmail": S,
    "FieldSettings": ListOf(DELIVERY_SETTING), "DeliveryDays": ListOf(DELIVERY_DAY),
}, required=("ClientDeliveryUID",))

# Read type of accounts; the REST-only WeekMax, AlternatePosting and Offer* are absent.
CLIENT_ACCOUNT = Record("ClientAccountType", {
    "ClientAccountUID": I, "ClientUID": I, "DeliveryUID": I, "Price": F, "HourMax": I,
    "DayMax": I, "MonthMax": I, "useOrder": B, "Status": I, "DeliveryDelay": I,
    "Description": S, "RedirectURL": S, "AutomationEnabled": B, "AccountType": I,
    "AgentName": S, "AgentPhone": S, "Criteria": ListOf(CRITERIA), "DeliveryDetails": DELIVERY,
}, required=("ClientAccountUID",))

LEAD_TYPE = Record("LeadTypeType", {
    "LeadTypeUID": I, "AccountUID": I, "InQC": SKIP, "Descriptor": S, "Status": SKIP,
    "DefaultDupSets": SKIP, "TypeUID": I,
}, required=("LeadTypeUID", "Descriptor"))

LEAD_FIELD = Record("LeadFieldType", {
    "LeadFieldUID": I, "LeadTypeUID": I, "Descriptor": S, "FieldDataType": S, "Required": B,
    "Status": SKIP, "Computed": SKIP, "ComputedExpr": SKIP, "Enumerated": SKIP,
    "Validation": SKIP, "InvalidChars": SKIP, "FmtError": SKIP, "FormatString": SKIP,
    "isState": B, "FieldDescription": SKIP, "ColSpan": SKIP, "Width": SKIP, "Height": SKIP,
    "SpecialBit": S, "FieldEnums": SKIP, "Delete": SKIP,
}, required=("LeadFieldUID", "Descriptor"))

STATE = Record("StateType", {"StateUID": I, "Name": S, "Abbr": S},
               required=("StateUID", "Name", "Abbr"))

# GetClientsforCriteriaAdvanced: the request's Criteria items and the answer's items. The
# reference names neither element (docs/wire.md): these names are sent, any name is read.
SCAN_CRITERION = Record("CriteriaItemType", {"Name": S, "Value": S})
CLIENT_SCAN = Record("ClientScanType", {
    "ClientUID": I, "ClientName": S, "ContactFirstName": S, "ContactLastName": S, "Address": S,
    "Address2": S, "City": S, "State": S, "Country": S, "PostalCode": S, "PhoneNumber": S,
    "Email": S, "Price": F, "Website": S,
}, required=("ClientUID",))

# Element names of the items of each list-valued field, for encoding SOAP writes.
LIST_ITEM_TAGS = {
    "FieldData": CLIENT_FIELD.tag,
    "Criteria": CRITERIA.tag,
    "FieldSettings": DELIVERY_SETTING.tag,
    "FieldMappings": DELIVERY_MAPPING.tag,
    "DeliveryDays": DELIVERY_DAY.tag,
}
