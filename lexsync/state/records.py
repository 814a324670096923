"""A state's resources, each built from its stored form when first asked for.

A state of 1,000 buyers is some 9,000 resources and 20 MB of JSON. Reading the JSON is one
C call; building and checking every record is as much again, and a targeted run needs a few
of them. So a record is kept as it was stored (the JSON's dict, checked at once only for
what whole-state questions read without building it: its address, kind and remote ID) until
something asks for it by address or walks the records. A targeted plan does not even parse
the others: it keeps where each sits in the text and its remote ID (`StoredText`). Writing state writes an untouched
record's stored form as it was read, with the shape `ResourceState.to_dict` gives.
"""

from __future__ import annotations

import json
import marshal
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any, Protocol

from lexsync.errors import StateError

if TYPE_CHECKING:
    from lexsync.state.document import ResourceState



class Packed:
    """A record's stored form (its JSON's dict, checked), its texts interned and packed by
    `marshal` until it is built: a fifth of the dict's memory (a 10,000-buyer state's are
    ~500 MB). Only what lexsync packed itself in this process is unpacked: marshal is no
    format for files."""

    __slots__ = ("data", "remote_id")

    def __init__(self, entry: dict[str, Any]) -> None:
        # Interned first, so each text is packed as a reference to one string object that
        # every record unpacked shares.
        self.data = marshal.dumps(interned(entry))
        self.remote_id: int = entry["remote_id"]

    def entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = marshal.loads(self.data)
        return entry


class StoredText:
    """A record not yet parsed: where its JSON sits in the state's text, and its remote ID
    (a targeted plan reads a state's records this way: state/text_index.py)."""

    __slots__ = ("text", "start", "end", "remote_id")

    def __init__(self, text: str, start: int, end: int, remote_id: int) -> None:
        self.text, self.start, self.end, self.remote_id = text, start, end, remote_id

    def json(self) -> str:
        return self.text[self.start:self.end]


class IndexedReadError(StateError):
    """A record could not be read at the place the state's record index gives: the index is
    wrong, or the file changed while the run read it; not the state's fault, so the message
    does not send anyone to restore it (state/record_index.py)."""


class PlacedFile(Protocol):
    """The state file a record index places records in, as opened (record_index.py)."""

    def record(self, start: int, end: int) -> str:
        """The record's text at its place, refusing a place that holds no record."""
        ...

    def misplaced(self) -> StateError:
        """The error to raise when what is at a place is not the record expected there."""
        ...


class StoredSlice(StoredText):
    """A record not yet parsed, where its JSON sits in the state file itself, read from
    `file` when it is asked for (state/record_index.py)."""

    __slots__ = ("file",)

    def __init__(self, file: PlacedFile, start: int, end: int, remote_id: int) -> None:
        # (StoredText's fields set here: ~100,000 records are placed at each read. The file,
        # not its bound methods: those would be two more objects a record.)
        self.text, self.start, self.end, self.remote_id = "", start, end, remote_id
        self.file = file

    def json(self) -> str:
        return self.file.record(self.start, self.end)

    def misplaced(self) -> StateError:
        return self.file.misplaced()


# Builds a record from its stored form: the JSON's dict, packed or not, or its text not yet
# parsed.
Decode = Callable[[str, "dict[str, Any] | Packed | StoredText"], "ResourceState"]
_STORED = (dict, Packed, StoredText, StoredSlice)


class Records(MutableMapping[str, "ResourceState"]):
    """address -> ResourceState, in stored order; remembers which addresses were set or
    removed since `take_dirty()` (apply's journal records those)."""

    def __init__(self, records: Mapping[str, ResourceState] | None = None, *,
                 stored: Mapping[str, dict[str, Any] | Packed | StoredText] | None = None,
                 decode: Decode | None = None) -> None:
        # A value is a ResourceState, or a stored dict not yet decoded (only with `decode`).
        self._items: dict[str, Any] = dict(stored or {})
        self._decode = decode
        self._items.update(records or {})
        self.dirty: set[str] = set()
        self.decoded = 0  # records built from their stored form (kept or not), for tests

    def __getitem__(self, address: str) -> ResourceState:
        value = self._items[address]
        if type(value) in _STORED:
            assert self._decode is not None
            value = self._items[address] = self._decode(address, value)
            self.decoded += 1
        return value

    def __setitem__(self, address: str, record: ResourceState) -> None:
        self.dirty.add(address)
        self._items[address] = record

    def __delitem__(self, address: str) -> None:
        del self._items[address]
        self.dirty.add(address)

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, address: object) -> bool:
        return address in self._items

    def __repr__(self) -> str:
        return f"Records({len(self)} resources, {self.decoded} decoded)"

    def take_dirty(self) -> list[str]:
        keys = sorted(self.dirty)
        self.dirty.clear()
        return keys

    def remote_id(self, address: str) -> int:
        """One address's remote ID, building no record."""
        return _remote_id(self._items[address])

    def remote_ids(self) -> dict[str, int]:
        """Every address's remote ID, building no record."""
        return {address: _remote_id(value) for address, value in self._items.items()}

    def walk(self) -> Iterator[tuple[str, ResourceState]]:
        """Every record, in stored order, each built for the asker and not kept (one built
        already is given as it is): a question about every record, asked before the plan
        builds each in turn, does not hold them all at once."""
        for address, value in self._items.items():
            yield address, self._unkept(address, value)

    def peek(self, address: str) -> ResourceState | None:
        """The record at `address` (None when there is none) built for the asker and not
        kept, as `walk` builds them: a plan keeps what it needs of each record itself, so the
        records are not all held built beside it. One built already is given as it is."""
        value = self._items.get(address)
        return None if value is None else self._unkept(address, value)

    def _unkept(self, address: str, value: Any) -> ResourceState:
        """The record built from its stored form for the asker, not kept (one built already
        as it is)."""
        if type(value) in _STORED:
            assert self._decode is not None
            value = self._decode(address, value)
            self.decoded += 1
        return value

    def as_stored(self, address: str) -> bool:
        """Whether the record at `address` is still the stored form it was read as: never
        built for keeping (so never changed in place) nor set anew."""
        return type(self._items[address]) in _STORED

    def under(self, prefixes: Iterable[str]) -> Iterator[tuple[str, ResourceState]]:
        """The records at or under these addresses (`client.acme` and its methods and
        accounts), building only those."""
        wanted = tuple(prefixes)
        dotted = tuple(p + "." for p in wanted)
        for address in list(self._items):
            if address in wanted or address.startswith(dotted):
                yield address, self[address]

    def naming(self, addresses: Iterable[str]) -> list[str]:
        """The addresses of the records whose `depends_on` may name any of `addresses`,
        building none: a record as stored is looked at in its text (an address as lexsync's
        JSON writes it, or escaped to ASCII), a built one in its list. A record whose text
        names one elsewhere is given too; the asker builds it and looks."""
        wanted = set(addresses)
        quoted = {json.dumps(a, ensure_ascii=ascii) for a in wanted for ascii in (False, True)}
        found = []
        for address, value in self._items.items():
            if isinstance(value, StoredText):
                text = value.json()
                if any(q in text for q in quoted):
                    found.append(address)
                continue
            if type(value) is Packed:
                value = value.entry()
            listed = value.get("depends_on") if type(value) is dict else value.depends_on
            if isinstance(listed, list) and not wanted.isdisjoint(listed):
                found.append(address)
        return found

    def stored(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """Each record's stored form: an untouched one as read, in `to_dict`'s shape."""
        for address in self._items:
            yield address, self.stored_entry(address)

    def stored_entry(self, address: str) -> dict[str, Any]:
        """One record's stored form (see `stored`)."""
        value = self._items[address]
        if isinstance(value, StoredText):  # not parsed yet: built for the writer, not kept
            value = self._unkept(address, value)
        elif type(value) is Packed:
            value = value.entry()
        if type(value) is not dict:
            return value.to_dict()
        return {"address": value["address"], "kind": value["kind"],
                "remote_id": value["remote_id"], "parent_id": value.get("parent_id"),
                "sub_ids": value.get("sub_ids", {}),
                "attributes": value.get("attributes", {}),
                "depends_on": value.get("depends_on", [])}


def _remote_id(value: Any) -> int:
    remote_id: int = value["remote_id"] if type(value) is dict else value.remote_id
    return remote_id  # (the other stored forms, and a record, know theirs)


def interned(value: Any) -> Any:
    """`value` with its texts interned, keys too (dicts rebuilt, lists in place): a state
    repeats the same texts (lead fields, schedules, criteria, names) in thousands of
    resources; one string object each keeps a large state's memory a quarter smaller."""
    kind = type(value)
    if kind is str:
        return sys.intern(value)
    if kind is dict:
        return {sys.intern(key) if type(key) is str else key: interned(item)
                for key, item in value.items()}
    if kind is list:
        value[:] = [interned(item) for item in value]
    return value
