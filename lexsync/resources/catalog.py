"""Names → LeadExec IDs for the read-only things YAML refers to by name.

Lead types, lead fields, states and client fields are looked up once per run and cached;
matching ignores case, spaces and underscores so `first_name`, `FirstName` and
`First Name` are the same field.
"""

from __future__ import annotations

import asyncio
import difflib
import functools
from dataclasses import dataclass, field
from typing import Any

from lexsync.api.protocol import LeadExecReads

# The standard client fields have fixed IDs (docs/wire.md, "Client fields").
STANDARD_CLIENT_FIELDS: dict[str, int] = {
    "Company": 1, "First Name": 2, "Last Name": 3, "Email": 4, "Primary Phone": 5,
    "Primary Phone Ext": 6, "Alternate Phone": 7, "Address": 8, "City": 9, "State": 10,
    "Zip": 11, "Alternate Phone Ext": 12, "Fax Number": 13, "Comments": 14, "Job Title": 15,
    "Web Site": 16, "Mobile Phone": 17,
}


@functools.lru_cache(maxsize=4096)
def name_key(name: str) -> str:
    # Cached: a plan looks up the same few dozen field names tens of thousands of times.
    return "".join(ch for ch in name.lower() if ch.isalnum())


class UnknownName(LookupError):
    """A name the YAML uses that LeadExec does not know; carries close matches."""

    def __init__(self, what: str, name: str, known: list[str]) -> None:
        self.what, self.name = what, name
        self.suggestions = difflib.get_close_matches(name, known, n=3)
        hint = f" (did you mean {', '.join(repr(s) for s in self.suggestions)}?)" if self.suggestions else ""
        super().__init__(f"unknown {what} {name!r}{hint}")


@dataclass
class LeadField:
    uid: int
    name: str
    is_state: bool
    data_type: str


@dataclass
class Catalog:
    """Cached look-ups. Filled by `load`, read synchronously afterwards."""

    lead_types: dict[str, tuple[int, str]] = field(default_factory=dict)  # key → (uid, name)
    lead_fields: dict[int, dict[str, LeadField]] = field(default_factory=dict)  # type uid → key → field
    states: dict[str, tuple[int, str]] = field(default_factory=dict)  # name/abbr key → (uid, abbr)
    state_abbr: dict[int, str] = field(default_factory=dict)
    client_fields: dict[str, tuple[int, str]] = field(
        default_factory=lambda: {name_key(n): (uid, n) for n, uid in STANDARD_CLIENT_FIELDS.items()}
    )
    _by_uid: dict[int, dict[int, LeadField | None]] = field(default_factory=dict, repr=False)
    _memos: dict[str, dict[Any, Any]] = field(default_factory=dict, repr=False)
    _types_read: bool = field(default=False, repr=False)
    _states_read: bool = field(default=False, repr=False)

    async def load(self, reader: LeadExecReads, lead_type_names: set[str], need_states: bool) -> bool:
        """Read lead types (once), then the fields of every lead type named and the states if
        needed, each unless read before. True when this call read anything."""
        read = False
        if not self._types_read:
            for row in await reader.get_lead_types():
                self.lead_types[name_key(row["Descriptor"])] = (int(row["LeadTypeUID"]), row["Descriptor"])
            self._types_read = read = True
        uids = {self.lead_types[name_key(n)][0] for n in lead_type_names if name_key(n) in self.lead_types}
        wanted = sorted(u for u in uids if u not in self.lead_fields)
        tasks = [reader.get_lead_fields(uid) for uid in wanted]
        read_states = need_states and not self._states_read
        if read_states:
            tasks.append(reader.get_state_list())
        if not tasks:
            return read
        results = await asyncio.gather(*tasks)
        for uid, rows in zip(wanted, results, strict=False):
            self.lead_fields[uid] = {
                name_key(r["Descriptor"]): LeadField(
                    int(r["LeadFieldUID"]), r["Descriptor"], bool(r.get("isState", False)),
                    str(r.get("FieldDataType", "")),
                )
                for r in rows
            }
        self._by_uid.clear()  # look-ups remembered before these fields were known
        if read_states:
            for row in results[-1]:
                uid = int(row["StateUID"])
                self.states[name_key(row["Name"])] = (uid, row["Abbr"])
                self.states[name_key(row["Abbr"])] = (uid, row["Abbr"])
                self.state_abbr[uid] = row["Abbr"]
            self._states_read = True
        self._memos.clear()  # worked out from what was known before
        return True

    def lead_type(self, name: str) -> int:
        try:
            return self.lead_types[name_key(name)][0]
        except KeyError:
            raise UnknownName("lead type", name, [n for _, n in self.lead_types.values()]) from None

    def lead_type_name(self, uid: int) -> str:
        for known_uid, name in self.lead_types.values():
            if known_uid == uid:
                return name
        return f"#{uid}"

    def lead_field(self, lead_type_uid: int, name: str) -> LeadField:
        fields = self.lead_fields.get(lead_type_uid, {})
        try:
            return fields[name_key(name)]
        except KeyError:
            raise UnknownName("lead field", name, [f.name for f in fields.values()]) from None

    def lead_field_by_uid(self, lead_type_uid: int, uid: int) -> LeadField | None:
        # Every observed mapping and criterion asks: remember, by lead type then field.
        known = self._by_uid.get(lead_type_uid)
        if known is None:
            known = self._by_uid[lead_type_uid] = {}
        if uid not in known:
            known[uid] = self._find_lead_field(lead_type_uid, uid)
        return known[uid]

    def memo(self, name: str) -> dict[Any, Any]:
        """A place for a kind to remember what it works out from lead fields and states (an
        observed criterion's value, say), emptied when `load` learns more of them."""
        memo = self._memos.get(name)
        if memo is None:
            memo = self._memos[name] = {}
        return memo

    def _find_lead_field(self, lead_type_uid: int, uid: int) -> LeadField | None:
        for candidate in self.lead_fields.get(lead_type_uid, {}).values():
            if candidate.uid == uid:
                return candidate
        for fields in self.lead_fields.values():
            for candidate in fields.values():
                if candidate.uid == uid:
                    return candidate
        return None

    def state(self, name: str) -> tuple[int, str]:
        try:
            return self.states[name_key(name)]
        except KeyError:
            raise UnknownName("US state", name, sorted({a for _, a in self.states.values()})) from None

    def client_field(self, name: str) -> int:
        try:
            return self.client_fields[name_key(name)][0]
        except KeyError:
            raise UnknownName("client field", name, [n for _, n in self.client_fields.values()]) from None

    def client_field_name(self, uid: int) -> str | None:
        for known_uid, name in self.client_fields.values():
            if known_uid == uid:
                return name
        return None

    def client_field_names(self) -> dict[int, str]:
        """uid → name for every known client field, as `client_field_name` answers each:
        one pass, for observing a client's whole field list."""
        names: dict[int, str] = {}
        for uid, name in self.client_fields.values():
            names.setdefault(uid, name)
        return names

    def learn_client_fields(self, rows: list[dict[str, Any]]) -> None:
        """Custom client fields show up in GetClientData; remember them by descriptor."""
        known = self.client_fields
        for row in rows:
            descriptor = row.get("Descriptor")
            if descriptor and "ClientFieldUID" in row:
                key = name_key(descriptor)
                if key not in known:  # every client lists the same fields: most are known
                    known[key] = (int(row["ClientFieldUID"]), descriptor)
