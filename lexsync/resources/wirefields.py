"""Every field of a kind's write body, where its value comes from, and the body built from that.

The rule: lexsync never sends a value it does not know. Each field of a write body takes its
value from the YAML, from the live read of that object, or from state's last applied value
for that same object; a default only when the object is being created. A kind declares its
body as a `WireTable` per dialect (docs/wire.md prints them); `resolve` decides each field's
source from the table alone, and `compose` fills the body from those sources, so a field can
never be defaulted on an update without `resolve` saying so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# A write-only value state does not know, as `observe` shows it (printed bare, like
# "(sensitive)"): never recorded in state, never sent.
UNKNOWN = "(unknown)"


class Cls(StrEnum):
    """How lexsync knows a write-body field (the inventory's classes)."""

    IDENTITY = "identity"  # the object's ID or its parent's, from state
    MANAGED = "managed"  # a YAML key; when the YAML leaves it out, the live value
    READABLE = "readable"  # no YAML key; copied from the live read on every write
    WRITE_ONLY = "write-only"  # no read returns it: the YAML, else state's last applied value
    OMITTED = "omitted"  # in the documented type, never sent (why: `WireField.note`)


class Source(StrEnum):
    """Where one field's value in one body came from."""

    YAML = "yaml"
    LIVE = "live"
    STATE = "state"
    IDENTITY = "identity"
    DEFAULT = "default"  # creates only


KNOWN_ON_UPDATE = frozenset({Source.YAML, Source.LIVE, Source.STATE, Source.IDENTITY})


@dataclass(frozen=True)
class WireField:
    key: str  # the wire name in the body
    cls: Cls
    attr: str | None = None  # the normalised attribute path holding it ("caps.week", "email.to")
    default: Any = None  # sent on create when the YAML says nothing; None: left out; callable: called
    read_key: str | None = None  # its name in the read, when it differs
    secret: bool = False  # state keeps only a hash: from state only when it hashes the empty text
    reported: bool = True  # drift lists a change made outside lexsync
    yaml: str | None = None  # the YAML key that declares it (None: it has none)
    hint: str = ""  # how to declare it, for the message that asks
    note: str = ""  # for the inventory

    @property
    def read_as(self) -> str:
        return self.read_key or self.key


@dataclass(frozen=True)
class WireTable:
    """One write call's body: its fields in the reference's order."""

    call: str
    fields: tuple[WireField, ...]
    read: str = ""  # the read that shows the object, for the inventory

    def __post_init__(self) -> None:
        keys = [f.key for f in self.fields]
        assert len(keys) == len(set(keys)), f"{self.call}: a field is listed twice"

    def sent(self) -> tuple[WireField, ...]:
        return tuple(f for f in self.fields if f.cls is not Cls.OMITTED)

    def by_key(self, key: str) -> WireField:
        for wire_field in self.fields:
            if wire_field.key == key:
                return wire_field
        raise KeyError(key)

    def attrs_of(self, cls: Cls) -> list[str]:
        return [f.attr for f in self.fields if f.cls is cls and f.attr]


def path_value(attrs: Mapping[str, Any] | None, path: str) -> Any:
    """The value at a dotted attribute path, or UNKNOWN when it is missing or unknown."""
    if attrs is None:
        return UNKNOWN
    if "." not in path:  # most paths: one look-up, a few hundred thousand times per apply
        return attrs.get(path, UNKNOWN)
    value: Any = attrs
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return UNKNOWN
        value = value[part]
    return value


def has_path(attrs: Mapping[str, Any] | None, path: str) -> bool:
    return path_value(attrs, path) != UNKNOWN


def set_path(attrs: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        nested = attrs.get(part)
        attrs[part] = nested = dict(nested) if isinstance(nested, Mapping) else {}
        attrs = nested
    attrs[last] = value


def without_unknown(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `attrs` without the values `observe` marked unknown (never recorded)."""
    out: dict[str, Any] = {}
    for key, value in attrs.items():
        if isinstance(value, Mapping):
            inner = without_unknown(value)
            if inner or not value:
                out[key] = inner
        elif value != UNKNOWN:
            out[key] = value
    return out


def merged(base: Mapping[str, Any], over: Mapping[str, Any], whole: Iterable[str]) -> dict[str, Any]:
    """`over` laid on `base`: blocks (dicts) merged key by key, except the `whole` ones, which
    the YAML owns entirely, and every other value replaced."""
    out = dict(base)
    owned = frozenset(whole)
    for key, value in over.items():
        below = out.get(key)
        if key not in owned and isinstance(value, Mapping) and isinstance(below, Mapping):
            out[key] = {**below, **value}
        else:
            out[key] = value
    return out


@dataclass
class Resolution:
    """Where each field of one body comes from; the fields nothing knows."""

    sources: dict[str, Source] = field(default_factory=dict)
    unknown: list[WireField] = field(default_factory=list)


def resolve(table: WireTable, *, managed: Mapping[str, Any], live_readable: bool,
            previous: Mapping[str, Any], creating: bool) -> Resolution:
    """The source of every field of `table`, from the table alone.

    `managed` holds the attributes the YAML sets (for a retirement, the status it sets),
    `live_readable` says whether LeadExec showed the object, `previous` is state's last
    applied attributes for it (a secret only where its hash is the empty text's, the one
    secret a hash tells). The order is the rule's: YAML, live read, state, and a default only
    on create."""
    out = Resolution()
    for wire_field in table.sent():
        source: Source | None
        if wire_field.cls is Cls.IDENTITY:
            source = Source.IDENTITY
        elif wire_field.attr and has_path(managed, wire_field.attr):
            source = Source.YAML
        elif wire_field.cls is not Cls.WRITE_ONLY and live_readable:
            source = Source.LIVE
        elif wire_field.attr and has_path(previous, wire_field.attr):
            source = Source.STATE
        elif creating:
            source = Source.DEFAULT
        else:
            source = None
        if source is None:
            out.unknown.append(wire_field)
        else:
            out.sources[wire_field.key] = source
    return out


class Body(dict[str, Any]):
    """A write body that remembers where each field's value came from, and what it could not
    know. `ResourceKind.write` refuses to send one with unknown fields."""

    sources: dict[str, Source]
    unknown: list[WireField]
    dialect: str

    def __init__(self, values: Mapping[str, Any], resolution: Resolution, dialect: str = "") -> None:
        super().__init__(values)
        self.sources = dict(resolution.sources)
        self.unknown = list(resolution.unknown)
        self.dialect = dialect


def compose(table: WireTable, resolution: Resolution, *, yaml: Callable[[WireField], Any],
            live: Mapping[str, Any], state: Callable[[WireField], Any],
            identity: Mapping[str, Any]) -> dict[str, Any]:
    """The body's values, each from the source `resolve` gave it. `yaml` and `state` convert
    one field from the YAML's and from state's attributes, `live` is the read as it can be
    sent back. A readable field the read left out is left out (the wire omits an absent
    value); so is a None from state, or a default of None."""
    values: dict[str, Any] = {}
    for wire_field in table.sent():
        source = resolution.sources.get(wire_field.key)
        if source is None:
            continue
        if source is Source.YAML:
            value = yaml(wire_field)
        elif source is Source.LIVE:
            if wire_field.read_as not in live:
                continue
            value = live[wire_field.read_as]
        elif source is Source.STATE:
            value = state(wire_field)
        elif source is Source.IDENTITY:
            value = identity[wire_field.key]
        else:
            value = wire_field.default() if callable(wire_field.default) else wire_field.default
        if value is None:
            continue
        values[wire_field.key] = value
    return values


def declare_hint(wire_field: WireField) -> str:
    return f" ({wire_field.hint})" if wire_field.hint else ""
