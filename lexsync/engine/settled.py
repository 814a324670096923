"""A settled step's values, kept packed.

A no-change plan of 10,000 buyers is some 90,000 steps that write nothing, each holding the
YAML's values, what LeadExec shows and what state recorded: ~35 KB a buyer. Once the planner
knows that a step writes nothing and that nothing it depends on changes (it is settled),
nothing changes its values again: they are only read, to be shown (`plan --json`, a saved
plan), to report drift, and by apply to record what LeadExec shows. So they are packed by
`marshal` (a value shared between them is packed once, and shared again when unpacked) and
zlib (level 1), and built again when read. Only this process's own packing is unpacked:
marshal is no format for files.

The steps of one kind share their field names and much of their values, which zlib cannot
see a step at a time (a step's ~1.6 KB became ~810 bytes). So each kind's values are
compressed against the first values of that kind packed in this process (zlib's preset
dictionary, kept by each pack that uses it): ~170 bytes a step, ~1.5 KB a buyer instead of
~30 KB unpacked, at the same ~10-25 µs a step.

What is built again is a copy: nothing may change it in place (nothing does: a settled step
is never written, and a new state record is a new object)."""

from __future__ import annotations

import dataclasses
import marshal
import operator
import zlib
from collections.abc import Callable
from typing import Any, NamedTuple

from lexsync.engine.diff import sensitive_parts
from lexsync.resources.base import Desired, Live
from lexsync.state.document import ResourceState


class Values(NamedTuple):
    """A step's values as they were when it settled."""

    desired: Desired | None
    live: Live | None
    previous: ResourceState | None
    before: dict[str, Any] | None  # its change's
    after: dict[str, Any] | None


# Each kind's dictionary: the first values of that kind packed (their last 32 KB, zlib's
# window). Any bytes would do to unpack: each pack keeps the one it was compressed against.
_DICTIONARIES: dict[str, bytes] = {}
_WINDOW = 32 * 1024


class SettledValues:
    __slots__ = ("_data", "_dictionary", "_secrets")

    def __init__(self, data: bytes, dictionary: bytes, secrets: tuple[_Secret, ...]) -> None:
        self._data = data
        self._dictionary = dictionary
        self._secrets = secrets

    @classmethod
    def pack(cls, values: Values, sensitive: frozenset[str], kind: str) -> SettledValues | None:
        """The values packed. The secrets' hashes at the `sensitive` attribute paths (a
        client's password, a method's SMTP and FTP passwords) are no values marshal keeps:
        they are kept aside, as they are, and put back when the values are built again. None
        when another value is of a type marshal cannot keep exactly as it is (a text
        subclass): such a step stays as it is."""
        secrets: list[_Secret] = []
        copies: dict[int, dict[str, Any]] = {}  # one copy of a dict the values share
        fields = []
        for place, value in enumerate(values[:3]):
            row = _fields(value)
            if row is not None and sensitive:
                at = _ATTRS[type(value)]
                row = (*row[:at], _without_secrets(row[at], sensitive, place, secrets, copies),
                       *row[at + 1:])
            fields.append(row)
        try:
            raw = marshal.dumps((*fields, values.before, values.after))
        except ValueError:
            return None
        dictionary = _DICTIONARIES.setdefault(kind, raw[-_WINDOW:])
        packer = zlib.compressobj(1, zdict=dictionary)
        return cls(packer.compress(raw) + packer.flush(), dictionary, tuple(secrets))

    def unpacked(self) -> Values:
        """The values built again (the same objects as the last call's, when no other step's
        were asked for in between: a reader asks for a step's desired, live and previous
        values one after another)."""
        return _last.values_of(self._data, self._dictionary, self._secrets)


class _Secret(NamedTuple):
    """A value kept aside: at `key` (inside its block `block`, when not None) of the
    attributes of the values' `place` (0 desired, 1 live, 2 previous)."""

    place: int
    key: str
    block: str | None
    value: Any


def _without_secrets(attrs: dict[str, Any], sensitive: frozenset[str], place: int,
                     secrets: list[_Secret], copies: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """`attrs`, or a copy of it with None where a secret's hash was (noted in `secrets`)."""
    found = [(key, block, value) for key, names in sensitive_parts(sensitive).items()
             for block, value in _at(attrs, key, names) if not _plain(value)]
    if not found:
        return attrs
    copy = copies.get(id(attrs))
    if copy is None:
        copy = copies[id(attrs)] = dict(attrs)
        for key, block, _value in found:
            if block is None:
                copy[key] = None
            else:
                copy[key] = inner = dict(copy[key])
                inner[block] = None
    secrets += [_Secret(place, key, block, value) for key, block, value in found]
    return copy


def _at(attrs: dict[str, Any], key: str, names: frozenset[str]) -> list[tuple[str | None, Any]]:
    """The values at `key` (names empty), or at each of `names` inside the block at `key`."""
    if key not in attrs:
        return []
    if not names:
        return [(None, attrs[key])]
    block = attrs[key]
    return [(name, block[name]) for name in names if name in block] \
        if isinstance(block, dict) else []


def _plain(value: Any) -> bool:
    return value is None or type(value) in (str, int, float, bool)


class _LastUnpacked:
    """The values of the step unpacked last, so a reader going through the steps unpacks
    each once."""

    def __init__(self) -> None:
        self.data: bytes | None = None
        self.values: Values | None = None

    def values_of(self, data: bytes, dictionary: bytes, secrets: tuple[_Secret, ...]) -> Values:
        if data is not self.data or self.values is None:
            unpacker = zlib.decompressobj(zdict=dictionary)
            raw = unpacker.decompress(data) + unpacker.flush()
            desired, live, previous, before, after = marshal.loads(raw)
            built = [_built(Desired, desired), _built(Live, live),
                     _built(ResourceState, previous)]
            for secret in secrets:
                attrs = getattr(built[secret.place], _ATTRS_NAME[secret.place])
                if secret.block is None:
                    attrs[secret.key] = secret.value
                else:
                    attrs[secret.key][secret.block] = secret.value
            self.values = Values(built[0], built[1], built[2], before, after)
            self.data = data
        return self.values


_last = _LastUnpacked()


def _fields(value: Any) -> tuple[Any, ...] | None:
    return None if value is None else _getter(type(value))(value)


def _built(kind: type[Any], fields: tuple[Any, ...] | None) -> Any:
    return None if fields is None else kind(*fields)


_GETTERS: dict[type[Any], Callable[[Any], tuple[Any, ...]]] = {}


def _getter(kind: type[Any]) -> Callable[[Any], tuple[Any, ...]]:
    """A dataclass's fields as a tuple, in the order its constructor takes them."""
    getter = _GETTERS.get(kind)
    if getter is None:
        getter = _GETTERS[kind] = operator.attrgetter(*_names(kind))
    return getter


def _names(kind: type[Any]) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(kind))


# Where each kind of value keeps its attributes: by name, and by place among its fields.
_ATTRS_NAME = ("attrs", "attrs", "attributes")
_ATTRS = {kind: _names(kind).index(name) for kind, name in
          zip((Desired, Live, ResourceState), _ATTRS_NAME, strict=True)}
