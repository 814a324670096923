"""The configuration language, as pydantic models. `schemas/lexsync.schema.json` is generated from these."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

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
Scalar = str | int | float | bool

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


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=False)


class Credentials(Strict):
    """Names of the environment variables holding credentials; values never live in YAML."""

    api_key_env: str = "LEADEXEC_API_KEY"
    client_id_env: str = "LEADEXEC_CLIENT_ID"
    client_secret_env: str = "LEADEXEC_CLIENT_SECRET"


class StateSettings(Strict):
    backend: Literal["local"] = "local"
    path: str = ".lexsync/state.json"


class Settings(Strict):
    """The `lexsync:` block: how to reach LeadExec and where state lives."""

    dialect: Literal["rest", "soap"] = "rest"
    api_url: str | None = Field(default=None, description="Base URL; default https://api.leadexec.net")
    soap_namespace: str = "http://tempuri.org/"
    credentials: Credentials = Field(default_factory=Credentials)
    state: StateSettings = Field(default_factory=StateSettings)
    parallelism: int = Field(default=16, ge=1, le=64)


class ClientGroup(Strict):
    description: str = Field(min_length=1, description="Shown in LeadExec; the group's natural key")
    display_order: int = 0


class FieldMapping(Strict):
    """One outbound field: exactly one source key (static, lead_field, special, expr, ...)."""

    name: str = Field(min_length=1, description="Outbound field name (FieldName)")
    static: str | None = None
    lead_field: str | None = Field(default=None, description="Lead field by name")
    special: str | None = None
    expr: str | None = None
    substring: str | None = Field(default=None, description="Sub-string expression, with lead_field")
    concat: str | None = None
    client_field: str | None = None
    lead_source_field: str | None = None
    evaluate: str | None = None
    format: str | None = None
    map: dict[str, str] | None = Field(default=None, description="Value map: lead value -> delivered value")

    @model_validator(mode="after")
    def _one_source(self) -> FieldMapping:
        present = [k for k in MAPPING_SOURCES if getattr(self, k) is not None]
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

    @field_validator("map", mode="before")
    @classmethod
    def _map_values_as_text(cls, value: object) -> object:
        if isinstance(value, dict):
            return {str(k): str(v) for k, v in value.items()}
        return value


class ScheduleWindow(Strict):
    days: list[Weekday] = Field(min_length=1)
    from_: str = Field(alias="from", pattern=r"^([01]?\d|2[0-3]):[0-5]\d$", description="HH:MM, Pacific Time")
    # 24:00 ends a window at midnight; 24:30 is not a time.
    to: str = Field(pattern=r"^(([01]?\d|2[0-3]):[0-5]\d|24:00)$", description="HH:MM, Pacific Time; 24:00 = midnight")
    allow: bool = True

    @field_validator("days")
    @classmethod
    def _no_repeats(cls, days: list[str]) -> list[str]:
        if len(set(days)) != len(days):
            raise ValueError("a day is listed twice")
        return days


class EmailSettings(Strict):
    to: str | None = None
    subject: str | None = None
    template: str | None = None
    from_: str | None = Field(default=None, alias="from")
    cc: str | None = None
    bcc: str | None = None


class SmtpSettings(Strict):
    server: str
    auth: bool = False
    username: str | None = None
    password: SecretStr | None = None


class FtpSettings(Strict):
    user: str | None = None
    password: SecretStr | None = None
    path: str | None = None


class DeliveryMethod(Strict):
    type: DeliveryTypeName
    lead_type: str = Field(description="Lead type by name")
    enabled: bool = True
    in_testing: bool = False
    url: str | None = None
    response_search: str | None = None
    response_regex: bool = False
    template: str | None = Field(default=None, description="XML or JSON body template (XML)")
    email: EmailSettings | None = None
    smtp: SmtpSettings | None = None
    ftp: FtpSettings | None = None
    field_mappings: list[FieldMapping] = Field(default_factory=list)
    schedule: list[ScheduleWindow] = Field(default_factory=list)

    @field_validator("field_mappings")
    @classmethod
    def _unique_names(cls, mappings: list[FieldMapping]) -> list[FieldMapping]:
        seen: set[str] = set()
        for mapping in mappings:
            if mapping.name in seen:
                raise ValueError(f"field mapping {mapping.name!r} appears twice")
            seen.add(mapping.name)
        return mappings


class Caps(Strict):
    """Lead caps; an omitted cap is unlimited (-1 on the wire)."""

    hour: int | None = Field(default=None, ge=0)
    day: int | None = Field(default=None, ge=0)
    week: int | None = Field(default=None, ge=0, description="rest dialect only")
    month: int | None = Field(default=None, ge=0)


class Criterion(Strict):
    field: str = Field(description="Lead field by name")
    op: CriteriaOperator = "Equal"
    value: Scalar | list[Scalar] = ""
    type: CriteriaType = "FieldValue"
    expression: str | None = None

    @model_validator(mode="after")
    def _between_has_two(self) -> Criterion:
        if self.op == "Between" and not (isinstance(self.value, list) and len(self.value) == 2):
            raise ValueError("Between needs a list of two values: [low, high]")
        return self


class DeliveryAccount(Strict):
    method: str = Field(description="Delivery method of the same client, by name")
    description: str | None = Field(default=None, description="Defaults to the account's key")
    price: float = Field(default=0.0, ge=0)
    caps: Caps = Field(default_factory=Caps)
    status: AccountStatus = "Open"
    delay: int = Field(default=0, ge=0, description="DeliveryDelay, seconds")
    use_order: bool = False
    redirect_url: str | None = None
    automation: bool = True
    account_type: AccountType = "general"
    agent_name: str | None = None
    agent_phone: str | None = None
    criteria: list[Criterion] = Field(default_factory=list)


class Client(Strict):
    status: ClientStatus = "Active"
    group: str | None = Field(default=None, description="Client group by key")
    username: str = Field(min_length=1, description="Portal username; the client's natural key")
    password: SecretStr | None = None
    automation: AutomationType | None = None
    time_zone: str | None = None
    time_offset: int | None = None
    notes: str | None = None
    override_reassign: bool | None = None
    fields: dict[str, str] = Field(default_factory=dict, description="Client fields by name")
    delivery_methods: dict[str, DeliveryMethod] = Field(default_factory=dict)
    delivery_accounts: dict[str, DeliveryAccount] = Field(default_factory=dict)

    @field_validator("fields", mode="before")
    @classmethod
    def _field_values_as_text(cls, value: object) -> object:
        if isinstance(value, dict):
            return {str(k): ("" if v is None else str(v)) for k, v in value.items()}
        return value


class Configuration(Strict):
    """A whole configuration: one file or the merge of a directory of files."""

    lexsync: Settings = Field(default_factory=Settings)
    lead_types: list[str] = Field(default_factory=list)
    client_groups: dict[str, ClientGroup] = Field(default_factory=dict)
    clients: dict[str, Client] = Field(default_factory=dict)
