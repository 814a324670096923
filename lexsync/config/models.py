"""The configuration language, as pydantic models. `schemas/lexsync.schema.json` is generated from these."""

from __future__ import annotations

import functools
import re
import types
import typing
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic.dataclasses import dataclass
from pydantic.fields import FieldInfo

from lexsync.config.interpolate import Reference

ClientStatus = Literal[
    "New", "Pending", "Working", "Waiting", "Dead", "Inactive", "Active", "Late", "Suspended", "Closed"
]
AutomationType = Literal["Price", "Priority", "RoundRobin"]
AccountStatus = Literal["Open", "OnHold", "Suspended", "Closed"]
AccountType = Literal["general", "redirect", "live_call", "ivr_800"]
DeliveryTypeName = Literal[
    "http_post", "http_get", "xml_json", "salesexec", "ftp", "email", "csv_attachment", "soap",
    "internal", "ping_post", "batch_email", "sms",
]
Weekday = Literal["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
CriteriaOperator = Literal[
    "Equal", "NotEqual", "Greater", "Less", "GreaterOrEqual", "LessOrEqual", "Between", "In",
    "NotIn", "DateCompare", "Distance_Compare", "Contains", "Doesnt_Contain",
]
CriteriaType = Literal["FieldValue", "Expression", "Function"]
OfferDuration = Literal["monthly", "yearly"]
Scalar = str | int | float | bool
# What LeadExec stores (docs/configuration.md, "Exactly what you wrote"): Int32 and Int64
# fields, and Doubles, whose 15 significant digits any decimal keeps through a Double.
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT64_MAX = 2**63 - 1
DOUBLE_DIGITS = 15
# OfferDuration on the wire: 0 = Monthly, 1 = Yearly (REST reference).
OFFER_DURATIONS: dict[str, int] = {"monthly": 0, "yearly": 1}
_DATE_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE_TIME_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?)?$")

# Mapping source keys, each naming one FieldType of the v1 reference.
MAPPING_SOURCES: dict[str, int] = {
    "static": 0,
    "lead_field": 1,
    "special": 2,
    "expr": 3,
    "substring": 4,
    "concat": 5,
    "client_field": 6,
    "lead_source_field": 7,
    "evaluate": 8,
}


# The key of a group, client, method or account: a part of the resource's address
# (`client.KEY.delivery_method.NAME`), whose parts `.` separates.
Name = Annotated[str, Field(pattern=r"^[^.]+$")]


def significant_digits(value: float) -> int:
    """How many significant digits the shortest spelling of `value` has (25.0: 2, 0.125: 3)."""
    return len(Decimal(repr(value)).normalize().as_tuple().digits)


def double_problem(value: float) -> str | None:
    """Why LeadExec's Double cannot keep `value` as written, or None."""
    if significant_digits(value) > DOUBLE_DIGITS:
        return (f"{value!r} has more significant digits than LeadExec keeps in a Double "
                f"({DOUBLE_DIGITS}); write at most {DOUBLE_DIGITS}")
    return None


class Strict(BaseModel):
    """Every model of the language: no unknown keys, and strict types (a number is not text,
    text is not a number, a boolean is neither). A value that was exactly one `${...}`
    reference is typed where its key wants a number or a boolean (`Reference.typed`)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=False, strict=True)

    @model_validator(mode="before")
    @classmethod
    def _typed_references(cls, data: Any) -> Any:
        return typed_references(cls, data)


def typed_references(model: type, data: Any) -> Any:
    """`data` with each value that was exactly one `${...}` reference typed where the
    model's key wants a number or a boolean (`Reference.typed`)."""
    if not isinstance(data, dict):
        return data
    for key, value in data.items():
        if isinstance(value, Reference):
            wanted = _scalar_type(model, key)
            if wanted is not None:
                data[key] = value.typed(wanted)
    return data


def fields_of(model: type) -> dict[str, FieldInfo]:
    """The fields of a model, or of a pydantic dataclass (`leaf`)."""
    if isinstance(model, type) and issubclass(model, BaseModel):
        return model.model_fields
    return dict(getattr(model, "__pydantic_fields__", {}))


@functools.lru_cache(maxsize=512)
def _scalar_type(model: type, key: str) -> type | None:
    """int, float or bool when the model's key wants that (and not text), else None."""
    for name, info in fields_of(model).items():
        if key in (name, info.alias):
            members = _members(info.annotation)
            if str in members or SecretStr in members:
                return None
            for wanted in (bool, int, float):
                if wanted in members:
                    return wanted
    return None


def _members(annotation: Any) -> set[Any]:
    """The types a field's annotation accepts (through X | None and Annotated)."""
    if typing.get_origin(annotation) is typing.Annotated:
        return _members(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return {m for arg in typing.get_args(annotation) for m in _members(arg)}
    return {annotation}


class Credentials(Strict):
    """Names of the environment variables holding credentials; values never live in YAML."""

    api_key_env: str = Field(default="LEADEXEC_API_KEY",
                             description="Variable holding the API key (ASMX reads, SOAP writes)")
    client_id_env: str = Field(default="LEADEXEC_CLIENT_ID", description="Variable holding the v1 client_id")
    client_secret_env: str = Field(default="LEADEXEC_CLIENT_SECRET",
                                   description="Variable holding the v1 client_secret")


class StateSettings(Strict):
    """Where state lives. LEXSYNC_STATE_URL, when set, selects postgres with that URL."""

    backend: Literal["local", "postgres"] = Field(
        default="local", description="local = one JSON file; postgres = shared, locked, with history")
    path: str = Field(default=".lexsync/state.json", description="State file, relative to the working directory")
    url: str | None = Field(
        default=None, description="postgres: database URL; keep the password out of YAML with "
                                  "${env:LEXSYNC_STATE_URL}")
    workspace: str = Field(default="default", min_length=1, max_length=200,
                           description="postgres: one state per workspace in the same database")
    history: int = Field(default=20, ge=1, le=1000,
                         description="postgres: previous versions kept for state rollback")


class Settings(Strict):
    """The `lexsync:` block: how to reach LeadExec and where state lives."""

    dialect: Literal["rest", "soap"] = Field(
        default="rest", description="Writes: rest = v1 PATCH/PUT with a bearer token; soap = AddEdit* SOAP calls")
    api_url: str | None = Field(default=None, description="Base URL; default https://api.leadexec.net")
    soap_namespace: str = Field(default="http://tempuri.org/", description="SOAP namespace of service.asmx")
    credentials: Credentials = Field(default_factory=Credentials)
    state: StateSettings = Field(default_factory=StateSettings)
    parallelism: int = Field(default=16, ge=1, le=64, description="Concurrent API calls")
    ca_bundle: str | None = Field(
        default=None, description="CA certificates to trust for HTTPS (a PEM file or a hashed "
                                  "directory), relative to the working directory; default: "
                                  "SSL_CERT_FILE / SSL_CERT_DIR, else the certifi bundle")


# The models a buyer has dozens of (its field mappings, criteria, schedule windows and caps)
# are slotted dataclasses,
# not models: a model keeps its values in a dict of every field (~550 bytes for a mapping of
# twelve keys, two of them written), a slotted instance in ~140 bytes, which takes ~45% off a
# large configuration's memory. What they give up, the set of fields the YAML wrote, nothing
# reads of them. They are as strict as the models: each text and number is typed `Exactly`
# (pydantic's strict mode would take only instances of the dataclass, not the YAML's
# mappings), a choice (`CriteriaOperator`) matches only its own text, and no key is unknown.
# A `${...}` reference is typed in them as in the models (`typed_references`).
Exactly = pydantic.Strict()
Text = Annotated[str, Exactly]
ExactScalar = Annotated[str, Exactly] | Annotated[int, Exactly] | Annotated[float, Exactly] \
    | Annotated[bool, Exactly]
# Keyword-only, as a model: a field without a default may follow one with.
leaf = dataclass(slots=True, kw_only=True, config=ConfigDict(extra="forbid", populate_by_name=True))


class ClientGroup(Strict):
    description: str = Field(min_length=1, description="Shown in LeadExec; the group's natural key")
    display_order: int = Field(default=0, ge=INT32_MIN, le=INT32_MAX, description="DisplayOrder (Int32)")


@leaf
class FieldMapping:
    """One outbound field: exactly one source key (static, lead_field, special, expr, ...)."""

    name: Text = Field(min_length=1, description="Outbound field name (FieldName)")
    static: Text | None = Field(default=None, description="Static value (FieldType 0, Value)")
    lead_field: Text | None = Field(default=None, description="Lead field by name (FieldType 1, LeadFieldUID)")
    special: Text | None = Field(default=None, description="Special field (FieldType 2, Value)")
    expr: Text | None = Field(default=None, description="Custom expression (FieldType 3, Expr)")
    substring: Text | None = Field(default=None, description="Sub-string expression, with lead_field (FieldType 4, Expr)")
    concat: Text | None = Field(default=None, description="String concatenation (FieldType 5, Expr)")
    client_field: Text | None = Field(default=None, description="Client field (FieldType 6, Value)")
    lead_source_field: Text | None = Field(default=None, description="Lead source field (FieldType 7, Value)")
    evaluate: Text | None = Field(default=None, description="Evaluate function (FieldType 8, Expr)")
    format: Text | None = Field(default=None, description="Value format string (Format)")
    map: dict[Text, Text] | None = Field(default=None, description="Value map: lead value -> delivered value")

    @model_validator(mode="after")
    def _one_source(self) -> FieldMapping:
        present = [k for k in MAPPING_SOURCES if getattr(self, k) is not None]
        if len(present) == 1:  # the usual case
            return self
        others = [k for k in present if k != "lead_field"]
        if len(others) > 1 or (not present):
            raise ValueError(
                "a field mapping needs exactly one of " + ", ".join(MAPPING_SOURCES)
                + (f" (got {', '.join(present)})" if present else "")
            )
        if self.lead_field is not None and others and others[0] != "substring":
            raise ValueError(f"lead_field cannot be combined with {others[0]}")
        return self

    @property
    def source(self) -> str:
        others = [k for k in MAPPING_SOURCES if k != "lead_field" and getattr(self, k) is not None]
        return others[0] if others else "lead_field"



@leaf
class ScheduleWindow:
    """A delivery window on weekdays (`days`) or on one calendar date (`date`, LeadExec's
    StaticDate)."""

    days: list[Weekday] | None = Field(default=None, min_length=1,
                                       description="WeekDay: sun=0 ... sat=6; or give `date`")
    date: Text | None = Field(default=None, description="StaticDate: one calendar date, YYYY-MM-DD "
                                                        "(instead of days)")
    from_: Text = Field(alias="from", pattern=r"^([01]?\d|2[0-3]):[0-5]\d$", description="HH:MM, Pacific Time")
    # 24:00 ends a window at midnight; 24:30 is not a time.
    to: Text = Field(pattern=r"^(([01]?\d|2[0-3]):[0-5]\d|24:00)$", description="HH:MM, Pacific Time; 24:00 = midnight")
    allow: Annotated[bool, Exactly] = Field(default=True, description="Allow; false = a blackout window")

    @model_validator(mode="before")
    @classmethod
    def _typed_references(cls, data: Any) -> Any:
        # (`cls` is the class before `slots=True` made it anew, without its fields)
        return typed_references(ScheduleWindow, data)

    @field_validator("from_", "to")
    @classmethod
    def _two_digit_hours(cls, value: str) -> str:
        # 8:00 is 08:00, the spelling a read gives back: one spelling on both sides.
        hours, minutes = value.split(":")
        return f"{int(hours):02d}:{minutes}"

    @field_validator("days")
    @classmethod
    def _no_repeats(cls, days: list[str] | None) -> list[str] | None:
        if days is not None and len(set(days)) != len(days):
            raise ValueError("a day is listed twice")
        return days

    @field_validator("date", mode="before")
    @classmethod
    def _calendar_date(cls, value: object) -> object:
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, str):
            text = value.strip()
            try:
                if not _DATE_TEXT.match(text):
                    raise ValueError
                date.fromisoformat(text)
            except ValueError:
                raise ValueError(f"date must be a calendar date YYYY-MM-DD, not {value!r}") from None
            return text
        return value

    @model_validator(mode="after")
    def _days_or_date(self) -> ScheduleWindow:
        if (self.days is None) == (self.date is None):
            raise ValueError("a schedule window needs exactly one of days (weekdays) and date "
                             "(one calendar date)")
        return self


class EmailSettings(Strict):
    to: str | None = Field(default=None, description="EmailAddress")
    subject: str | None = Field(default=None, description="EmailSubject")
    template: str | None = Field(default=None, description="EmailTemplate")
    from_: str | None = Field(default=None, alias="from", description="fAddress")
    cc: str | None = Field(default=None, description="NotifyCC")
    bcc: str | None = Field(default=None, description="NotifyBCC")
    t_address: str | None = Field(default=None, description="tAddress: the To address applied to "
                                                            "outbound emails and notifications")


class SmtpSettings(Strict):
    server: str = Field(description="SMTPServer")
    auth: bool = Field(default=False, description="SMTPAuth")
    username: str | None = Field(default=None, description="SMTPUsername")
    password: SecretStr | None = Field(default=None, description="SMTPPassword (use ${env:...})")


class FtpSettings(Strict):
    user: str | None = Field(default=None, description="FTPUser")
    password: SecretStr | None = Field(default=None, description="FTPPassword (use ${env:...})")
    path: str | None = Field(default=None, description="FTPPath")


class DeliveryMethod(Strict):
    type: DeliveryTypeName = Field(description="Type: http_post=0 ... sms=11")
    lead_type: str = Field(description="Lead type by name")
    enabled: bool = Field(default=True, description="Status")
    in_testing: bool = Field(default=False, description="inTesting")
    url: str | None = Field(default=None, description="DeliveryAddress")
    response_search: str | None = Field(default=None, description="ResponseSearch")
    response_regex: bool = Field(default=False, description="useRegEx")
    template: str | None = Field(default=None, description="XML or JSON body template (XML)")
    lead_category: int | None = Field(default=None, ge=0, le=INT64_MAX,
                                      description="LeadCatUID: the lead category leads are assigned "
                                                  "to, by its ID; 0 = unassigned")
    client_email: str | None = Field(default=None, description="ClientEmail: the email body sent "
                                                               "back to the lead; empty = none")
    email: EmailSettings | None = None
    smtp: SmtpSettings | None = None
    ftp: FtpSettings | None = None
    field_mappings: list[FieldMapping] = Field(default_factory=list)
    schedule: list[ScheduleWindow] = Field(default_factory=list)

    @field_validator("field_mappings")
    @classmethod
    def _unique_names(cls, mappings: list[FieldMapping]) -> list[FieldMapping]:
        if len({mapping.name for mapping in mappings}) == len(mappings):
            return mappings
        seen: set[str] = set()
        for mapping in mappings:
            if mapping.name in seen:
                raise ValueError(f"field mapping {mapping.name!r} appears twice")
            seen.add(mapping.name)
        return mappings


@leaf
class Caps:
    """Lead caps; -1 = no cap. An omitted hour, day or month cap is -1; an omitted week cap
    keeps the last value lexsync applied (LeadExec cannot show WeekMax)."""

    hour: Annotated[int, Exactly] | None = Field(default=None, ge=-1, le=INT32_MAX,
                             description="HourMax (Int32); omitted = -1 (no cap)")
    day: Annotated[int, Exactly] | None = Field(default=None, ge=-1, le=INT32_MAX,
                            description="DayMax (Int32); omitted = -1 (no cap)")
    week: Annotated[int, Exactly] | None = Field(default=None, ge=-1, le=INT32_MAX,
                             description="WeekMax, -1 = no cap; rest dialect only. Omitted: the "
                                         "last value lexsync applied (reads cannot show it)")
    month: Annotated[int, Exactly] | None = Field(default=None, ge=-1, le=INT32_MAX,
                              description="MonthMax (Int32); omitted = -1 (no cap)")

    @model_validator(mode="before")
    @classmethod
    def _typed_references(cls, data: Any) -> Any:
        # (`cls` is the class before `slots=True` made it anew, without its fields)
        return typed_references(Caps, data)


class Offer(Strict):
    """An account's offer (the Offer* fields; rest dialect only). Declared whole: a key left
    out is empty. LeadExec cannot show these fields, so lexsync keeps what it last applied
    when the YAML says nothing. `offer: none` is an account without an offer."""

    enabled: bool = Field(default=False, description="OfferEnabled")
    dynamic: bool = Field(default=False, description="OfferIsDynamic: dynamic rather than static")
    name: str = Field(default="", description="OfferName (static offers)")
    require_custom_consent: bool = Field(default=False, description="OfferRequireCustomConsent")
    company_phone: str = Field(default="", description="OfferCompanyPhoneNumber")
    company_name: str = Field(default="", description="OfferCompanyName: the end buyer")
    description: str = Field(default="", description="OfferDescription")
    image: str = Field(default="", description="OfferImage: URL or path of an image or logo")
    url: str = Field(default="", description="OfferURL")
    privacy_url: str = Field(default="", description="OfferPrivacyUrl")
    terms_url: str = Field(default="", description="OfferTermsUrl")
    tcpa: str = Field(default="", description="OfferTCPA: custom TCPA text")
    amount: str = Field(default="", description="OfferAmount: the consumer-facing price, as text")
    start_date: str = Field(default="", description="OfferStartDate: YYYY-MM-DD[THH:MM[:SS]]; empty = none")
    end_date: str = Field(default="", description="OfferEndDate: YYYY-MM-DD[THH:MM[:SS]]; empty = none")
    time_zone: str = Field(default="", description="OfferTimeZone")
    duration: OfferDuration = Field(default="monthly", description="OfferDuration: monthly = 0, yearly = 1")
    parse_code: str = Field(default="", description="OfferParseCode (dynamic offers)")

    @field_validator("start_date", "end_date", mode="before")
    @classmethod
    def _date_time(cls, value: object) -> object:
        if isinstance(value, (date, datetime)):
            value = value.isoformat()
        if isinstance(value, str) and value.strip():
            text = value.strip()
            try:
                if not _DATE_TIME_TEXT.match(text):
                    raise ValueError
                datetime.fromisoformat(text)
            except ValueError:
                raise ValueError(f"a date is YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS], not {value!r}") from None
            return text
        return value


def _no_offer(value: Any) -> Any:
    """`offer: none` (or `offer: ~`) is an offer with every field empty."""
    if value is None or (isinstance(value, str) and value.strip().lower() == "none"):
        return {}
    return value


@leaf
class Criterion:
    field: Text = Field(description="Lead field by name")
    op: CriteriaOperator = Field(default="Equal", description="Operator")
    value: ExactScalar | list[ExactScalar] = Field(default="", description="Value; a list is joined with ','")
    type: CriteriaType = Field(default="FieldValue", description="Type")
    expression: Text | None = Field(default=None, description="Expression")

    @model_validator(mode="after")
    def _between_has_two(self) -> Criterion:
        if self.op == "Between" and not (isinstance(self.value, list) and len(self.value) == 2):
            raise ValueError("Between needs a list of two values: [low, high]")
        return self


class DeliveryAccount(Strict):
    method: str = Field(description="Delivery method of the same client, by name")
    description: str | None = Field(default=None, description="Defaults to the account's key")
    price: float = Field(default=0.0, ge=0, allow_inf_nan=False,
                         description="Price (a Double: at most 15 significant digits)")
    caps: Caps = Field(default_factory=Caps)
    status: AccountStatus = Field(default="Open", description="Status: Open=12, OnHold=11, Suspended=10, Closed=9")
    delay: int = Field(default=0, ge=0, le=INT32_MAX, description="DeliveryDelay (Int32), seconds")
    use_order: bool = Field(default=False, description="useOrder: an open order is required")
    redirect_url: str | None = Field(default=None, description="RedirectURL")
    automation: bool = Field(default=True, description="AutomationEnabled")
    account_type: AccountType = Field(default="general", description="AccountType 0-3")
    agent_name: str | None = Field(default=None, description="AgentName")
    agent_phone: str | None = Field(default=None, description="AgentPhone")
    alternate_posting: str | None = Field(
        default=None, description="AlternatePosting: a delivery method of the same client, by name; "
                                  "null (~) = none. Rest dialect only. Omitted: the last value lexsync "
                                  "applied (reads cannot show it)")
    offer: Offer | Literal["none"] | None = Field(
        default=None, description="The Offer* fields, or `none`. Rest dialect only. Omitted: the last "
                                  "values lexsync applied (reads cannot show them)")
    criteria: list[Criterion] = Field(default_factory=list)

    @field_validator("offer", mode="before")
    @classmethod
    def _offer_none(cls, value: object) -> object:
        return _no_offer(value)

    @field_validator("price")
    @classmethod
    def _double(cls, value: float) -> float:
        problem = double_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class Client(Strict):
    status: ClientStatus = Field(default="Active", description="Info.Status")
    group: str | None = Field(default=None, description="Client group by key")
    username: str = Field(min_length=1, description="Portal username; the client's natural key")
    password: SecretStr | None = Field(default=None, description="Portal password (use ${env:...})")
    automation: AutomationType | None = Field(
        default=None, description="DeliveryAccountAutomationType; rest dialect only")
    time_zone: str | None = Field(default=None, description="TimeZoneName")
    time_offset: int | None = Field(default=None, ge=INT32_MIN, le=INT32_MAX,
                                   description="TimeOffset (Int32), hours from UTC")
    notes: str | None = Field(default=None, description="Notes")
    override_reassign: bool | None = Field(default=None, description="OverrideReassign")
    fields: dict[str, str] = Field(
        default_factory=dict, description="Client fields by name; an empty value clears one",
        # What editors check: a value may be left empty (`Fax Number:`), which reads as "".
        json_schema_extra={"additionalProperties": {"anyOf": [{"type": "string"}, {"type": "null"}]}})
    delivery_methods: dict[Name, DeliveryMethod] = Field(default_factory=dict)
    delivery_accounts: dict[Name, DeliveryAccount] = Field(default_factory=dict)

    @field_validator("fields", mode="before")
    @classmethod
    def _empty_field_values(cls, value: object) -> object:
        # An empty value (`Fax Number:`) clears the field; a number is not text (quote it).
        if isinstance(value, dict) and any(v is None for v in value.values()):
            return {k: "" if v is None else v for k, v in value.items()}
        return value


class RoutingSettings(Strict):
    """The `routing:` block: how `lexsync route`, `test` and `coverage` read what LeadExec
    leaves undocumented (docs/routing.md lists each reading). Nothing here is sent to LeadExec."""

    distribution: AutomationType = Field(
        default="Price", description="Between clients (the account-wide Distribution setting, not "
                                     "in the API): Price = highest bid first; Priority = lowest "
                                     "priority number first; RoundRobin = entry order")
    tie_break: AutomationType | None = Field(
        default=None, description="Secondary ordering between clients before entry order")
    time_zone: str = Field(default="America/Los_Angeles",
                           description="Platform time zone (IANA): for moments written without "
                                       "one, and clients without time_zone or time_offset")
    schedule_time_zone: Literal["client", "platform"] = Field(
        default="client", description="Read schedule windows in the client's time zone or the "
                                      "platform's")
    schedule_end: Literal["exclusive", "inclusive"] = Field(
        default="exclusive", description="Whether a window's end minute still accepts leads")
    blocked_windows: Literal["block", "ignore"] = Field(
        default="block", description="allow: false windows: block = a blackout that wins over "
                                     "open windows; ignore = the row is not used")
    priorities: dict[str, int] = Field(
        default_factory=dict, description="Priority numbers (lower first, 0 highest), not in the "
                                          "API: by client key or client/account")
    tier_delivery: list[str] = Field(
        default_factory=list, description="Clients with Use Tier Delivery: every accepting account "
                                          "is a buyer, not only the client's first")
    state_fields: list[str] = Field(default_factory=lambda: ["State"],
                                    description="Lead fields holding a US state")
    lead_fields: dict[str, list[str]] = Field(
        default_factory=dict, description="Lead type -> its lead field names, for lint (optional)")
    case_sensitive: bool = Field(default=False, description="Compare criterion text with case")
    between_inclusive: bool = Field(default=True, description="Between includes its bounds")
    missing_field: Literal["empty", "fail"] = Field(
        default="empty", description="A criterion on a field the lead lacks: empty = compare "
                                     "with an empty value; fail = the criterion fails")
    unevaluated: Literal["pass", "fail"] = Field(
        default="pass", description="Expression and Function criteria, which lexsync cannot "
                                    "evaluate: pass (noted) or fail")
    date_compare: Literal["evaluate", "not_evaluated"] = Field(
        default="evaluate", description="Evaluate DateCompare by docs/routing.md's reading, or "
                                        "treat it as not evaluated")
    distance_compare: Literal["evaluate", "not_evaluated"] = Field(
        default="evaluate", description="Evaluate Distance_Compare (ZIP,MILES) or treat it as "
                                        "not evaluated")
    in_testing: Literal["accept", "skip"] = Field(
        default="accept", description="Methods in testing still receive leads (test values to "
                                      "the test URL), or are skipped")
    orders: Literal["assume_open", "assume_none"] = Field(
        default="assume_open", description="Accounts with use_order: assume an open order exists, "
                                           "or none")
    account_types: list[AccountType] = Field(
        default_factory=lambda: list[AccountType](["general"]),
        description="Account types the normal scan covers")

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {name!r} (an IANA name such as "
                             "America/Chicago)") from None
        return name


class LintSettings(Strict):
    """The `lint:` block: rules of `lexsync lint` to leave out."""

    disable: list[str] = Field(default_factory=list, description="Rule ids to turn off")


class Configuration(Strict):
    """A whole configuration: one file or the merge of a directory of files."""

    lexsync: Settings = Field(default_factory=Settings)
    routing: RoutingSettings = Field(default_factory=RoutingSettings)
    lint: LintSettings = Field(default_factory=LintSettings)
    lead_types: list[str] = Field(default_factory=list, description="Lead types used, by name (read-only)")
    client_groups: dict[Name, ClientGroup] = Field(default_factory=dict)
    clients: dict[Name, Client] = Field(default_factory=dict)
