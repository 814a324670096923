"""The state document: which remote IDs belong to which configured resource."""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from lexsync.errors import StateError
from lexsync.state import secret_hash, text_index
from lexsync.state.pieces import BLOCK_END, HEAD_SIZE, RESOURCES_OPEN, record_head
from lexsync.state.records import (
    IndexedReadError,
    Packed,
    Records,
    StoredSlice,
    StoredText,
    interned,
)
from lexsync.state.secret_hash import SecretHash, SecretKeeper
from lexsync.state.subids import migrated_v1_keys

if TYPE_CHECKING:
    from lexsync.state.record_index import IndexedFile, Places

# 2: sub-ID keys escape the dots inside their parts (state/subids.py); version 1 is migrated
# when read.
STATE_VERSION = 2
# The resource kinds a state records, and the address shape each has (state/ops.py).
KINDS = ("client_group", "client", "delivery_method", "delivery_account")
MAX_SERIAL = 2**63 - 1  # the postgres backend keeps serials as bigint
# Bytes of records still as stored written as one text (`StateDocument._stored_run`).
_RUN_BYTES = 1 << 22

_RESOURCE_KEYS = {"address", "kind", "remote_id", "parent_id", "sub_ids", "attributes", "depends_on"}


class TextSink(Protocol):
    """Where `write_json` writes: a text file, or anything with its `write`."""

    def write(self, text: str, /) -> int: ...


@dataclass(slots=True)
class ResourceState:
    address: str  # e.g. "client.acme.delivery_account.acme-ca"
    kind: str  # client_group | client | delivery_method | delivery_account
    remote_id: int
    parent_id: int | None = None  # ClientUID for methods and accounts
    # Sub-object IDs so parts are updated in place: {"schedule.mon": 7, "criterion.0": 55}
    sub_ids: dict[str, int] = field(default_factory=dict)
    # Last applied normalised values; secrets only as salted hashes.
    attributes: dict[str, Any] = field(default_factory=dict)
    depends_on: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A view for serialising at once: it shares the nested values (`asdict` deep-copies
        them, which per journal line of a 9,000-resource apply cost seconds)."""
        return {"address": self.address, "kind": self.kind, "remote_id": self.remote_id,
                "parent_id": self.parent_id, "sub_ids": self.sub_ids,
                "attributes": self.attributes, "depends_on": self.depends_on}


@dataclass
class StateDocument:
    lineage: str  # uuid4 fixed at birth: two states with different lineages never mix
    serial: int = 0
    version: int = STATE_VERSION
    secret_salt: str = field(default_factory=lambda: secrets.token_hex(16))
    # Built per record when first asked for (state/records.py).
    resources: Records = field(default_factory=Records)
    # Creates sent (or about to be) whose answer has not been recorded: address -> {"kind",
    # "parent_id"}. A later run looks for these by natural key before creating them again.
    pending: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The LeadExec these IDs belong to: {"url": base URL, "api_key"/"client_id": slow salted
    # hashes of the credentials (never the credentials)}. Set by the first apply or import.
    endpoint: dict[str, str] | None = None
    # How this LeadExec behaves where the seed texts are silent, as measured by `lexsync
    # doctor --write-probe` or seen after an apply: name -> {"value", "source", "at"}
    # (lexsync/api/behaviour.py).
    wire: dict[str, dict[str, Any]] = field(default_factory=dict)
    # SHA-256 of the stored text this document was read from or last written as (None: never
    # stored). A saved plan records it: a state edited since, even keeping its serial, differs.
    source_digest: str | None = field(default=None, compare=False, repr=False)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "resources" and not isinstance(value, Records):
            value = Records(value)  # a plain dict given (tests, tools): kept as records
        super().__setattr__(name, value)

    def __post_init__(self) -> None:
        self._keeper = SecretKeeper(self.secret_salt)
        # Addresses (resources and pending) holding hashes of the old form, read from storage.
        self._legacy_addresses: set[str] = set()

    @classmethod
    def new(cls) -> StateDocument:
        return cls(lineage=str(uuid.uuid4()))

    def to_dict(self, serial: int | None = None, records: bool = True) -> dict[str, Any]:
        """The stored form (`serial` in place of the document's when given); secrets are
        SecretHash values, which the state's encoders write as their hashes. Without
        `records`, its `resources` is left out."""
        data = {
            "version": self.version,
            "lineage": self.lineage,
            "serial": self.serial if serial is None else serial,
            "secret_salt": self.secret_salt,
            **({"resources": dict(self.resources.stored())} if records else {}),
            # Only when present, so a state without interrupted creates keeps its old shape.
            **({"pending": {a: dict(p) for a, p in self.pending.items()}} if self.pending else {}),
            **({"endpoint": dict(self.endpoint)} if self.endpoint else {}),
            **({"wire": {k: dict(v) for k, v in self.wire.items()}} if self.wire else {}),
        }
        if self._keeper.upgrades:
            self._rewrite_legacy_hashes(data)
        return data

    def _rewrite_legacy_hashes(self, data: dict[str, Any]) -> None:
        upgrades = self._keeper.upgrades
        for address in self._legacy_addresses:
            if address in data.get("resources", {}):
                entry = data["resources"][address] = dict(data["resources"][address])
                entry["attributes"] = secret_hash.upgraded(entry["attributes"], upgrades)
            if address in data.get("pending", {}):
                data["pending"][address] = secret_hash.upgraded(data["pending"][address], upgrades)

    def has_legacy_hashes_to_rewrite(self) -> bool:
        """Whether writing the document would rewrite hashes of the old form (their secrets
        were seen this run), so a run that changes nothing else should still write it."""
        return bool(self._keeper.upgrades)

    def to_json(self, serial: int | None = None) -> str:
        # Sorted and indented so the file diffs cleanly and its bytes depend only on content.
        return json.dumps(self.to_dict(serial), sort_keys=True, indent=2, ensure_ascii=False,
                          default=secret_hash.to_json) + "\n"

    def write_json(self, handle: TextSink, serial: int | None = None,
                   places: Places | None = None,
                   stored: Mapping[str, StoredSlice] | None = None) -> None:
        """`to_json()` written a value at a time: an indented dump is built by Python's
        encoder from millions of small strings, ~100 MB at once for a 9,000-resource state.
        Each record is encoded on its own, at its depth (JSON text holds no raw line break
        inside a string, so indenting every line break indents the value), and its stored
        form is built only as it is written. `places` is told where the `resources` object
        and each record start and end (state/record_index.py). `stored` places each record
        in the file the document was read from, as this writer wrote it there: records still
        as stored are written as their text there (the same bytes encoding them gives), not
        encoded again, and those that follow each other there as they do here as one text
        with the heads between them (`_stored_run`)."""
        encoder = json.JSONEncoder(sort_keys=True, indent=2, ensure_ascii=False,
                                   default=secret_hash.to_json)
        data = self.to_dict(serial, records=False)
        data["resources"] = None  # written below, a record at a time
        handle.write("{")
        for number, key in enumerate(sorted(data)):
            if number:
                handle.write(",")
            if key == "resources" and len(self.resources):
                self._write_records(handle, encoder, places, stored)
                continue
            value = {} if key == "resources" else data[key]
            if places is not None and not _keys_all_text(value):
                places.content_stable = False
            head = f"\n  {encoder.encode(key)}: "
            text = encoder.encode(value).replace("\n", "\n  ")
            if key == "serial" and places is not None:  # its value written on its own
                handle.write(head)
                places.serial_follows()
                handle.write(text)
            else:
                handle.write(head + text)
        handle.write("\n}\n")

    def _write_records(self, handle: TextSink, encoder: json.JSONEncoder,
                       places: Places | None, stored: Mapping[str, StoredSlice] | None) -> None:
        if places is not None:
            places.resources_open()
        handle.write(RESOURCES_OPEN)
        addresses = sorted(self.resources)
        number = 0
        while number < len(addresses):
            address = addresses[number]
            handle.write(record_head(encoder.encode(address), first=not number))
            run = self._stored_run(addresses, number, stored)
            try:
                text = run[0][1].file.record(run[0][1].start, run[-1][1].end) if run else None
            except StateError:  # the file changed since it was checked: the rest is encoded
                run, text, stored = [], None, None
            if text is not None:
                start = places.size if places is not None else 0
                handle.write(text)
                if places is not None:
                    offset = start - run[0][1].start
                    for placed, place in run:
                        places.record_placed(placed, place.start + offset, place.end + offset,
                                             place.remote_id)
                number += len(run)
                continue
            entry = self._stored_entry(address)
            if places is not None:
                places.record_opens(address, entry["remote_id"])
            pieces: list[str] = []
            _indented(entry, "    ", pieces, encoder, places)
            handle.write("".join(pieces))
            if places is not None:
                places.record_closes()
            number += 1
        if places is not None:
            places.resources_close()
        handle.write(BLOCK_END)

    def _stored_run(self, addresses: list[str], number: int,
                    stored: Mapping[str, StoredSlice] | None) -> list[tuple[str, StoredSlice]]:
        """The records from `addresses[number]` on that are still as stored and follow each
        other in the file they were read from as they do here, each right after the one before
        with the head `record_head` gives it: their text there, heads between them included,
        is what encoding them gives. At most `_RUN_BYTES` of it: read at once."""
        if stored is None:
            return []
        resources, legacy = self.resources, self._legacy_addresses
        run: list[tuple[str, StoredSlice]] = []
        for address in itertools.islice(addresses, number, None):
            place = stored.get(address)
            if place is None or not resources.as_stored(address) or address in legacy:
                break
            if run and (place.start != run[-1][1].end + HEAD_SIZE + len(_TEXT(address).encode())
                        or place.end - run[0][1].start > _RUN_BYTES):
                break
            run.append((address, place))
        return run

    def written_as(self, indexed: IndexedFile, serial: int) -> bool:
        """Whether `write_json` with `serial` would write, byte for byte, the file `indexed`
        places, where this document was read from that very file: the same records, each still
        as read (its text there) or encoding as that text, and the same top level. Records
        still as read are not encoded: an apply's first write, which changes nothing, no
        longer encodes and hashes a whole state to find that out (~1 s at 10,000 buyers)."""
        if self.source_digest != indexed.digest or self._legacy_addresses \
                or self._keeper.upgrades:
            return False
        resources, placed = self.resources, indexed.records
        if len(resources) != len(placed) or not all(map(placed.__contains__, resources)):
            return False
        encoder = json.JSONEncoder(sort_keys=True, indent=2, ensure_ascii=False,
                                   default=secret_hash.to_json)
        read = {key: value for key, value in indexed.rest.items() if key != "resources"}
        if encoder.encode(self.to_dict(serial, records=False)) != encoder.encode(read):
            return False
        for address in resources:
            if resources.as_stored(address):
                continue  # its text is the file's (`write_json` writes that very text)
            pieces: list[str] = []
            _indented(self._stored_entry(address), "    ", pieces, encoder)
            try:
                if "".join(pieces) != placed[address].json():
                    return False
            except StateError:  # (the file changed since it was checked)
                return False
        return True

    def _stored_entry(self, address: str) -> dict[str, Any]:
        """One record's stored form, as `to_dict` gives it."""
        entry = self.resources.stored_entry(address)
        if self._keeper.upgrades and address in self._legacy_addresses:
            entry = dict(entry)
            entry["attributes"] = secret_hash.upgraded(entry["attributes"], self._keeper.upgrades)
        return entry

    @classmethod
    def from_json(cls, text: str, source: str, hint: str = "",
                  lazily: bool = False) -> StateDocument:
        """The document stored as `text`; `hint` ends the message of a corrupt record found
        when it is first asked for (records are built then: state/records.py). `lazily`, a
        record is not even parsed until asked for, where the text is laid out as lexsync
        writes it (state/text_index.py): for a run that reads a few records and writes none."""
        indexed = _indexed(text) if lazily else None
        if indexed is None:
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise StateError(
                    f"state file {source} is not valid JSON (line {exc.lineno}, column "
                    f"{exc.colno}: {exc.msg})"
                ) from None
            return cls.from_parsed(data, source, hint, text_digest(text),
                                   secret_hash.LEGACY_PREFIX in text)
        doc = _parse_document(indexed[0], source, hint, indexed[1])
        doc.source_digest = text_digest(text)
        return doc  # (a text holding hashes of the old form is not indexed)

    @classmethod
    def from_record_index(cls, indexed: IndexedFile, source: str,
                          hint: str = "") -> StateDocument | None:
        """The document a record index places (state/record_index.py), its records parsed
        when asked for; None when it is of another version (then it is read whole)."""
        if indexed.rest.get("version") != STATE_VERSION:
            return None
        # A copy: `indexed` stays what the file holds (a later write compares with it).
        doc = _parse_document(copy.deepcopy(indexed.rest), source, hint, dict(indexed.records))
        doc.source_digest = indexed.digest
        return doc

    @classmethod
    def from_parsed(cls, data: Any, source: str, hint: str, digest: str,
                    holds_legacy_prefix: bool) -> StateDocument:
        """The document whose text `json.loads` parsed as `data`, hashed as `digest`
        (`text_digest`), holding `LEGACY_PREFIX` or not (state/pieces.py reads it so)."""
        doc = _parse_document(data, source, hint)
        doc.source_digest = digest
        if holds_legacy_prefix:
            doc._find_legacy_hashes()
        return doc

    def _find_legacy_hashes(self) -> None:
        for address, res in self.resources.items():
            found = set(secret_hash.legacy_hashes(res.attributes))
            if found:
                self._keeper.legacy |= found
                self._legacy_addresses.add(address)
        for address, marker in self.pending.items():
            found = set(secret_hash.legacy_hashes(marker))
            if found:
                self._keeper.legacy |= found
                self._legacy_addresses.add(address)

    def content_digest(self) -> str:
        """Digest of everything but the serial, so a rewrite of equal content is detectable:
        SHA-256 of its compact JSON with sorted keys, hashed a record at a time (each record's
        stored form built only as it is hashed: a large state's are ~500 MB at once)."""
        encoder = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                                   default=secret_hash.to_json)
        data = self.to_dict(records=False)
        del data["serial"]
        data["resources"] = None  # hashed below, a record at a time
        digest = hashlib.sha256()
        for number, key in enumerate(sorted(data)):
            digest.update(f"{',' if number else '{'}{encoder.encode(key)}:".encode())
            if key != "resources":
                digest.update(encoder.encode(data[key]).encode())
                continue
            for index, address in enumerate(sorted(self.resources)):
                entry = encoder.encode(self._stored_entry(address))
                digest.update(f"{',' if index else '{'}{encoder.encode(address)}:{entry}".encode())
            digest.update(b"}" if self.resources else b"{}")
        digest.update(b"}")
        return digest.hexdigest()

    def hash_secret(self, value: str) -> SecretHash:
        """The secret's hash as state keeps it: scrypt, salted per state so equal secrets in
        two states do not hash alike; computed only when needed (state/secret_hash.py)."""
        if self._keeper.salt != self.secret_salt:  # the salt was replaced after creation
            self._keeper = SecretKeeper(self.secret_salt)
        return self._keeper.hash(value)


# Characters hashed at a time: the state's whole text encoded at once is a second copy of it,
# held while its parsed records are (150 MB at 10,000 buyers).
_DIGEST_CHUNK = 1 << 20


def text_digest(text: str) -> str:
    """SHA-256 of `text` as UTF-8, encoded a piece at a time (the same digest as at once:
    UTF-8 encodes each character on its own)."""
    digest = hashlib.sha256()
    for start in range(0, len(text), _DIGEST_CHUNK):
        digest.update(text[start:start + _DIGEST_CHUNK].encode("utf-8"))
    return digest.hexdigest()


def _indexed(text: str) -> tuple[dict[str, Any], dict[str, StoredText]] | None:
    """The document but its records, and where each record's text is; None when the text
    must be parsed whole: laid out otherwise, of an older version, or holding hashes of the
    old form (rewriting those walks every record)."""
    if secret_hash.LEGACY_PREFIX in text:
        return None
    indexed = text_index.index(text)
    if indexed is None:
        return None
    data = indexed.rest  # (not JSON: parsed whole, for the message's line and column)
    if data.get("version") != STATE_VERSION:
        return None
    return data, indexed.records


def _parse_document(data: Any, source: str, hint: str = "",
                    unparsed: Mapping[str, StoredText] | None = None) -> StateDocument:
    if not isinstance(data, dict):
        raise StateError(f"state file {source} is corrupt: expected a JSON object at the top level")
    version = _require(data, "version", int, source)
    if version > STATE_VERSION:
        raise StateError(
            f"state file {source} was written by a newer lexsync (version {version}); "
            "upgrade lexsync"
        )
    if version < 1:
        raise StateError(f"state file {source} is corrupt: unknown version {version}")
    resources_data: dict[str, Any] = _require(data, "resources", dict, source)
    if unparsed is not None:
        resources_data = dict(unparsed)  # each checked when parsed
    else:
        resources_data = {address: packed(address, entry, source)
                          for address, entry in resources_data.items()}

    def decode(address: str, entry: dict[str, Any] | Packed | StoredText) -> ResourceState:
        try:
            if type(entry) is StoredSlice:  # its place in the file, as its index gives it
                entry = _placed_record(address, entry, source)
            elif type(entry) is StoredText:  # its place in the text
                entry = _parsed_record(address, entry, source)
            elif type(entry) is Packed:
                return _parse_resource(address, entry.entry(), source, texts_interned=True)
            assert type(entry) is dict
            return _parse_resource(address, entry, source)
        except IndexedReadError:
            raise  # not the state's fault: no hint to restore it
        except StateError as exc:
            raise StateError(f"{exc.message}; {hint}" if hint else exc.message) from None

    resources = Records(stored=resources_data, decode=decode)
    if version < 2:
        for record in resources.values():
            if record.kind == "delivery_method":
                record.sub_ids = migrated_v1_keys(record.sub_ids, record.attributes)
        version = STATE_VERSION
    pending = data.get("pending", {})
    if not isinstance(pending, dict) or not all(
            isinstance(p, dict) and isinstance(p.get("kind"), str) for p in pending.values()):
        raise StateError(f"state file {source} is corrupt: pending must map addresses to objects")
    for address, marker in pending.items():
        _check_kind(marker["kind"], address, source, f"pending.{address}")
    wire = data.get("wire", {})
    if not isinstance(wire, dict) or not all(isinstance(v, dict) for v in wire.values()):
        raise StateError(f"state file {source} is corrupt: wire must map names to objects")
    serial = _require(data, "serial", int, source)
    if not 0 <= serial <= MAX_SERIAL:
        raise StateError(f"state file {source} is corrupt: serial must be between 0 and "
                         f"{MAX_SERIAL}, not {serial}")
    endpoint = data.get("endpoint")
    if endpoint is not None and not (isinstance(endpoint, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in endpoint.items())):
        raise StateError(f"state file {source} is corrupt: endpoint must map names to text")
    return StateDocument(
        lineage=_require(data, "lineage", str, source),
        serial=serial,
        version=version,
        secret_salt=_require(data, "secret_salt", str, source),
        resources=resources,
        pending={str(a): dict(p) for a, p in pending.items()},
        endpoint=dict(endpoint) if endpoint else None,
        wire={str(k): dict(v) for k, v in wire.items()},
    )


_TEXT = json.encoder.encode_basestring  # JSON's own string encoder (C, in CPython)


def _indented(value: Any, indent: str, out: list[str], encoder: json.JSONEncoder,
              places: Places | None = None) -> None:
    """`encoder.encode(value)` as its indented layout (two spaces, sorted keys) writes it at
    depth `indent`, appended to `out` in pieces: the same text, without the generators of
    Python's indenting encoder (a state's records are written ~3 times faster). A value of
    any type but JSON's own (or a key that is no text) is left to `encoder`."""
    kind = type(value)
    if kind is str:
        out.append(_TEXT(value))
    elif kind is dict and all(type(key) is str for key in value):
        if not value:
            out.append("{}")
            return
        inner = indent + "  "
        separator = "{\n" + inner
        for key in sorted(value):
            out += (separator, _TEXT(key), ": ")
            _indented(value[key], inner, out, encoder, places)
            separator = ",\n" + inner
        out.append("\n" + indent + "}")
    elif kind is list:
        if not value:
            out.append("[]")
            return
        inner = indent + "  "
        separator = "[\n" + inner
        for item in value:
            out.append(separator)
            _indented(item, inner, out, encoder, places)
            separator = ",\n" + inner
        out.append("\n" + indent + "]")
    elif kind is int:
        out.append(int.__repr__(value))
    elif kind is bool:
        out.append("true" if value else "false")
    elif value is None:
        out.append("null")
    elif kind is float and math.isfinite(value):
        out.append(float.__repr__(value))
    else:
        if places is not None and not _keys_all_text(value):
            places.content_stable = False
        out.append(encoder.encode(value).replace("\n", "\n" + indent))


def _keys_all_text(value: Any) -> bool:
    """Whether every key inside `value` is text (JSON makes any other key text: read back, a
    value's keys sort otherwise)."""
    if isinstance(value, dict):
        return all(type(key) is str and _keys_all_text(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return all(_keys_all_text(item) for item in value)
    return True


def packed(address: str, entry: Any, source: str) -> Packed:
    """A record's stored form, checked as every record is when state is read
    (`_check_stored`), packed until it is built (state/records.py); one packed already, as
    it is."""
    if type(entry) is Packed:
        return entry
    _check_stored(address, entry, source)
    return Packed(entry)


def _parsed_record(address: str, stored: StoredText, source: str) -> dict[str, Any]:
    """A record kept as its text (a lazy read), parsed and checked as a whole read checks it."""
    try:
        entry = json.loads(stored.json())
    except json.JSONDecodeError as exc:
        raise StateError(f"state file {source} is corrupt: resources.{address} is not valid "
                         f"JSON ({exc.msg})") from None
    _check_stored(address, entry, source)
    if entry["remote_id"] != stored.remote_id:  # a hand edit that kept the layout's look
        raise StateError(f"state file {source}: resources.{address} is not laid out as "
                         "lexsync writes it (its remote ID is not on the line of its own); "
                         "plan without --target, which reads the file whole")
    return entry


def _placed_record(address: str, stored: StoredSlice, source: str) -> dict[str, Any]:
    """A record read at its place in the state file (a record index), parsed and checked as
    `_parsed_record` does; anything else there means the index is wrong, not the state (the
    file is the one lexsync wrote with it: its CRC was checked)."""
    try:
        return _parsed_record(address, stored, source)
    except IndexedReadError:
        raise
    except StateError:
        raise stored.misplaced() from None


def _check_stored(address: str, entry: Any, source: str) -> None:
    """What is checked of every record as the state is read: what the whole-state questions
    (`Records.remote_ids`, addresses by kind) read without building it."""
    where = f"resources.{address}"
    if type(entry) is not dict:
        raise StateError(f"state file {source} is corrupt: {where} must be an object")
    if not entry.keys() <= _RESOURCE_KEYS:
        raise StateError(
            f"state file {source} is corrupt: {where} has unknown keys "
            f"{sorted(set(entry) - _RESOURCE_KEYS)}"
        )
    if _require(entry, "address", str, source, where) != address:
        raise StateError(
            f"state file {source} is corrupt: {where} records address "
            f"{entry.get('address')!r}"
        )
    _check_kind(_require(entry, "kind", str, source, where), address, source, where)
    _require(entry, "remote_id", int, source, where)


def _parse_resource(address: str, entry: dict[str, Any], source: str,
                    texts_interned: bool = False) -> ResourceState:
    """The record stored as `entry` (checked by `_check_stored`), built when first asked for;
    it takes over `entry`'s values, which the document owns (their texts interned, unless
    they are already: a packed record's are)."""
    where = f"resources.{address}"
    parent_id = entry.get("parent_id")
    if parent_id is not None and not _is_int(parent_id):
        raise StateError(f"state file {source} is corrupt: {where}.parent_id must be an integer")
    sub_ids = entry.get("sub_ids", {})
    if not isinstance(sub_ids, dict) or not all(_is_int(v) for v in sub_ids.values()):
        raise StateError(
            f"state file {source} is corrupt: {where}.sub_ids must map names to integers"
        )
    attributes = entry.get("attributes", {})
    if not isinstance(attributes, dict):
        raise StateError(f"state file {source} is corrupt: {where}.attributes must be an object")
    depends_on = entry.get("depends_on", [])
    if not isinstance(depends_on, list) or not all(isinstance(d, str) for d in depends_on):
        raise StateError(
            f"state file {source} is corrupt: {where}.depends_on must be a list of addresses"
        )
    return ResourceState(
        address=entry["address"],
        kind=entry["kind"],
        remote_id=entry["remote_id"],
        parent_id=parent_id,
        sub_ids=sub_ids,
        attributes=attributes if texts_interned else interned(attributes),
        depends_on=depends_on if texts_interned else interned(depends_on),
    )


def _check_kind(kind: str, address: str, source: str, where: str) -> str:
    if kind not in KINDS:
        raise StateError(f"state file {source} is corrupt: {where}.kind {kind!r} is not a "
                         f"resource kind ({', '.join(KINDS)})")
    if _kind_of_address(address) != kind:
        raise StateError(f"state file {source} is corrupt: {where}.kind {kind!r} does not "
                         "match its address")
    return kind


def _kind_of_address(address: str) -> str | None:
    """client_group.X / client.X / client.X.delivery_method.Y / client.X.delivery_account.Y."""
    parts = address.split(".", 3)
    if len(parts) == 2:
        return parts[0]
    return parts[2] if len(parts) == 4 and parts[0] == "client" else None


def _is_int(value: Any) -> bool:
    # bool is an int subclass; true/false in the file is corruption, not an ID. (JSON gives
    # plain ints, and `type() is` is the cheap test: a state holds ~100,000 IDs.)
    return type(value) is int


def _require(data: dict[str, Any], key: str, kind: type, source: str, where: str = "") -> Any:
    name = f"{where}.{key}" if where else key
    if key not in data:
        raise StateError(f"state file {source} is corrupt: missing {name}")
    value = data[key]
    ok = _is_int(value) if kind is int else isinstance(value, kind)
    if not ok:
        raise StateError(
            f"state file {source} is corrupt: {name} must be {_TYPE_NAMES[kind]}, "
            f"not {_json_type(value)}"
        )
    return value


_TYPE_NAMES = {int: "an integer", str: "a string", dict: "an object"}


_JSON_NAMES: dict[type, str] = {str: "a string", list: "a list", dict: "an object"}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return _JSON_NAMES.get(type(value), "unknown")
