"""How one LeadExec behaves where the seed texts leave it open, as lexsync knows it.

Each open point has the reading lexsync assumes until told otherwise (docs/wire.md, "Open
points"). `lexsync doctor --write-probe` measures them, and apply notes what its post-apply
check shows; both are kept in state (`StateDocument.wire`) as findings, so later runs use
the measured behaviour and the plan says which one it relies on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# The SOAP writes whose answer may or may not carry the saved ID.
SOAP_WRITES = ("AddEditClientGroup", "AddEditClient", "AddEditClientDelivery",
               "AddEditClientAccount")
# List fields whose SOAP item element names the seed texts do not give, and lexsync's guess.
ITEM_DEFAULTS = {
    "FieldData": "ClientFieldType",
    "Criteria": "ClientCriteriaType",
    "FieldSettings": "DeliverySettingType",
    "FieldMappings": "DeliveryMappingType",
    "DeliveryDays": "DeliveryDayType",
}
# The other item names a service written from the same seed texts plausibly uses: .NET's
# default for a list of a class named without the `Type` suffix lexsync's guesses carry.
ITEM_ALTERNATIVES = {name: tag.removesuffix("Type") for name, tag in ITEM_DEFAULTS.items()}

# name -> (assumed value, the values it may take, what it is, for people)
OPEN_POINTS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "token_encoding": ("json", ("json", "form"), "token request body"),
    "criteria_lists": ("replace", ("replace", "merge"), "criteria lists"),
    "day_lists": ("replace", ("replace", "merge"), "delivery day lists"),
    "field_data": ("merge", ("merge", "replace"), "client field data lists"),
    "omitted_fields": ("keep", ("keep", "clear"), "fields a write omits"),
    "client_status": ("index0", ("index0", "index1", "name"), "client status in reads"),
    "rest_lists": ("example", ("example", "table"), "v1 list names"),
    "mapping_list": ("FieldMappings", ("FieldMappings", "Mappings"),
                     "SOAP value-mapping list name"),
    **{f"saved_id.{m}": ("yes", ("yes", "no"), f"{m} answers the saved ID")
       for m in SOAP_WRITES},
    **{f"item.{name}": (tag, (tag, ITEM_ALTERNATIVES[name]), f"SOAP <{name}> item name")
       for name, tag in ITEM_DEFAULTS.items()},
    # A list LeadExec kept none of although the write had no fault (a .NET endpoint skips
    # elements it does not know): the name sent then, never to be sent again unmeasured.
    **{f"ignored.soap.{name}": ("", (), f"SOAP <{name}> items ignored") for name in ITEM_DEFAULTS},
    **{f"ignored.rest.{name}": ("", (), f"v1 {name} ignored")
       for name in ("FieldSettings", "FieldMappings")},
}
# Open points whose value is a name, not one of a fixed few.
FREE_VALUED = ("item.", "ignored.")

WORDS = {
    "json": "JSON", "form": "form-encoded", "replace": "replaced by the list sent",
    "merge": "merged (items not sent are kept)", "keep": "kept", "clear": "cleared",
    "index0": "numbers from 0 (New=0)", "index1": "numbers from 1 (New=1)", "name": "names",
    "example": "FieldSettings/FieldMappings (the example's)",
    "table": "Settings/Mappings (the table's)", "yes": "yes", "no": "no",
}


@dataclass(frozen=True)
class Finding:
    """One measured or observed value: what, how it was learned, when."""

    value: str
    source: str  # "doctor" (write probe) or "apply" (post-apply check) or "reads"
    at: str  # ISO 8601 date-time, UTC
    detail: str = ""

    def to_dict(self) -> dict[str, str]:
        out = {"value": self.value, "source": self.source, "at": self.at}
        if self.detail:
            out["detail"] = self.detail
        return out


def now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class WireBehaviour:
    """The findings lexsync has, each overriding the assumed reading of its open point."""

    findings: dict[str, Finding] = field(default_factory=dict)

    @classmethod
    def from_state(cls, data: Mapping[str, Any] | None) -> WireBehaviour:
        """From `StateDocument.wire`; entries lexsync does not know (a newer lexsync's) or
        cannot use are left out, never fatal."""
        findings: dict[str, Finding] = {}
        for name, entry in (data or {}).items():
            if name not in OPEN_POINTS or not isinstance(entry, Mapping):
                continue
            value = entry.get("value")
            if not isinstance(value, str) or not value:
                continue
            if not name.startswith(FREE_VALUED) and value not in OPEN_POINTS[name][1]:
                continue
            findings[name] = Finding(value, str(entry.get("source", "")),
                                     str(entry.get("at", "")), str(entry.get("detail", "")))
        return cls(findings)

    def to_state(self) -> dict[str, dict[str, str]]:
        return {name: finding.to_dict() for name, finding in sorted(self.findings.items())}

    def get(self, name: str) -> str:
        finding = self.findings.get(name)
        return finding.value if finding is not None else OPEN_POINTS[name][0]

    def known(self, name: str) -> bool:
        return name in self.findings

    def note(self, name: str, value: str, source: str, detail: str = "") -> bool:
        """Record a finding; True when it changed what lexsync knew."""
        assert name in OPEN_POINTS, name
        old = self.findings.get(name)
        if old is not None and old.value == value and (old.source == source or source == "apply"):
            return False  # nothing new (an apply confirming a measurement leaves it as it was)
        self.findings[name] = Finding(value, source, now_text(), detail)
        return old is None or old.value != value

    def forget(self, name: str) -> None:
        self.findings.pop(name, None)

    def saved_id(self, method: str) -> bool:
        return self.get(f"saved_id.{method}") == "yes"

    def item_name(self, list_field: str) -> str:
        return self.get(f"item.{list_field}")

    def summary(self, names: list[str] | None = None, sources: bool = True) -> list[str]:
        """One line per finding, for the plan and doctor: what lexsync relies on (and, with
        `sources`, how and when it learned it)."""
        lines = []
        for name in names if names is not None else sorted(self.findings):
            finding = self.findings.get(name)
            if finding is None:
                continue
            what = OPEN_POINTS[name][2]
            value = WORDS.get(finding.value, finding.value)
            how = {"doctor": "measured by lexsync doctor", "apply": "seen after an apply",
                   "reads": "seen in LeadExec's answers"}.get(finding.source, finding.source)
            lines.append(f"{what}: {value} ({how} on {finding.at[:10]})" if sources
                         else f"{what}: {value}")
        return lines


@dataclass
class WireSeen:
    """What LeadExec's answers showed during one API session: the element names of each read
    (where the seed texts name none), the unknown elements ignored, whether each SOAP write
    answered the saved ID, and the client statuses as answered."""

    roots: dict[str, str] = field(default_factory=dict)  # call -> root element name
    namespaces: dict[str, str] = field(default_factory=dict)  # call -> root's namespace
    items: dict[str, str] = field(default_factory=dict)  # Record tag -> item element name
    aliases: dict[str, str] = field(default_factory=dict)  # field -> the name answers used
    unknown: dict[str, set[str]] = field(default_factory=dict)  # call -> element paths
    saved_ids: dict[str, bool] = field(default_factory=dict)  # write call -> answered an ID
    client_status: dict[int, Any] = field(default_factory=dict)  # ClientUID -> as answered
    # ClientUID -> portal password as answered: sent back by an update where LeadExec clears
    # what a write omits (`LeadExecApi._keep_password`); masked like every password.
    passwords: dict[int, str] = field(default_factory=dict, repr=False)

    def add(self, call: str, notes: Any) -> list[str]:
        """Take one answer's `xmlcodec.Notes`; answers the unknown element paths not seen
        before in this session."""
        if notes.root:
            self.roots[call] = notes.root
            self.namespaces[call] = notes.namespace
        for tag, name in notes.items.items():
            self.items.setdefault(tag, name)
        for name, alias in notes.aliases.items():
            self.aliases.setdefault(name, alias)
        if not notes.unknown:
            return []
        known = self.unknown.setdefault(call, set())
        fresh = [path for path in notes.unknown_paths() if path not in known]
        known.update(fresh)
        return fresh
