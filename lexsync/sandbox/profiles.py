"""Behaviour profiles: each point the seed texts leave open is a setting with its plausible
readings, and a profile names one reading of each (docs/sandbox.md, "Behaviour profiles").

The first value of each setting is the sandbox's original behaviour (the `today` profile).
"""

from __future__ import annotations

from dataclasses import dataclass

# setting -> its values, today's first
SETTINGS: dict[str, tuple[str, ...]] = {
    "xml_names": ("lexsync", "alternate"),
    "answer_namespace": ("service", "none"),
    "soap_ids": ("all", "client", "none"),
    "list_writes": ("replace", "merge"),
    "field_data_writes": ("merge", "replace"),
    "omitted_fields": ("keep", "clear"),
    "token_encoding": ("either", "json", "form"),
    "client_status": ("index0", "index1", "name"),
    "unknown_elements": ("fault", "skip"),
    "rest_list_names": ("example", "table"),
}

PROFILES: dict[str, dict[str, str]] = {
    # What the sandbox always did: lexsync's element names, every SOAP write answers its ID,
    # criteria and days replaced, field data merged, omitted fields kept, strict.
    "today": {},
    # The seed text read most literally: "No return properties available" (only AddEditClient
    # says it returns the ID), lists without a Delete flag merged, what a write omits cleared,
    # the v1 table's list names, other element names, OAuth2's form-encoded token request.
    "literal": {"xml_names": "alternate", "soap_ids": "client", "list_writes": "merge",
                "omitted_fields": "clear", "token_encoding": "form", "rest_list_names": "table"},
    # A .NET XmlSerializer / Json.NET endpoint: elements and members it does not know are
    # skipped silently, so a write naming a list differently loses it without an error.
    "xmlserializer": {"xml_names": "alternate", "unknown_elements": "skip",
                      "rest_list_names": "table", "field_data_writes": "replace",
                      "token_encoding": "json", "client_status": "index1"},
    # Answers as bare as the seed texts allow: no saved IDs at all, no namespace, client
    # statuses by name, a JSON-only token endpoint.
    "sparse": {"answer_namespace": "none", "soap_ids": "none", "client_status": "name",
               "token_encoding": "json"},
}


@dataclass(frozen=True)
class XmlNames:
    """The element names a service uses where the seed texts name none: array answers'
    item elements (the root is `ArrayOf` + the item), and the items of list fields, in reads
    and SOAP writes alike (one XmlSerializer type, one name)."""

    client_list: str
    client_field: str
    lead_type: str
    lead_field: str
    state: str
    items: dict[str, str]  # list field -> item element name
    mappings: str  # the name of a field setting's list of value mappings

    def item(self, list_field: str) -> str:
        return self.items[list_field]


NAMES = {
    "lexsync": XmlNames(
        client_list="ClientItemType", client_field="ClientFieldType", lead_type="LeadTypeType",
        lead_field="LeadFieldType", state="StateType",
        items={"FieldSettings": "DeliverySettingType", "FieldMappings": "DeliveryMappingType",
               "DeliveryDays": "DeliveryDayType", "Criteria": "ClientCriteriaType",
               "FieldData": "ClientFieldType"},
        mappings="FieldMappings"),
    "alternate": XmlNames(
        client_list="ClientType", client_field="ClientField", lead_type="LeadType",
        lead_field="LeadField", state="State",
        items={"FieldSettings": "DeliverySetting", "FieldMappings": "DeliveryMapping",
               "DeliveryDays": "DeliveryDay", "Criteria": "ClientCriteria",
               "FieldData": "ClientField"},
        mappings="Mappings"),
}


def profile_settings(name: str) -> dict[str, str]:
    """Every setting's value under the named profile."""
    try:
        chosen = PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown sandbox profile {name!r}; known: "
                         f"{', '.join(PROFILES)}") from None
    return {setting: chosen.get(setting, values[0]) for setting, values in SETTINGS.items()}


def check_settings(values: dict[str, str]) -> None:
    for setting, value in values.items():
        allowed = SETTINGS[setting]
        if value not in allowed:
            raise ValueError(f"{setting} must be one of {', '.join(allowed)}, not {value!r}")
