"""Where each record sits in the local state file, kept beside it for targeted runs.

At 10,000 buyers the state file is 224 MB. A targeted plan needs a few dozen of its records,
and finding them in its text (text_index.py) scans all of it with a dozen passes and
regular expressions, ~2 s. When lexsync writes the state file it knows where it writes each
record, so it writes those places beside it (`state.json.index`), with the file's size, its
CRC-32 and its SHA-256.

A run that reads state lazily (`plan --target`, `drift --target`) opens the state file and,
when it has that size and CRC-32 (one pass of C over the bytes: ~0.1 s at 10,000 buyers),
reads the top level and the records it needs at those places, from the file it opened: a
write replaces the file, so what the run reads stays the file it checked, and a file
rewritten in place meanwhile (a copy over it) is refused ("changed while this run read it").
Anything else is read as before: no index, an index of another format, unreadable, or not
matching its own CRC-32, a file written or edited since, places that do not follow each
other as lexsync writes records (each right after the one before, the last ending the
object: no record can be left out). A record read at its place is parsed and checked as any
record is, its address and remote ID among it; what is not that record there is the index's
fault, and the message says to remove it. The CRCs tell an edited file or index from the ones
written together; they guard against mistakes, not against someone who can write the state
anyway.

The index is a cache: deleting it loses nothing, and lexsync writes it again with the state.
It holds no value of the state: addresses, byte places, remote IDs and the file's digests.
"""

from __future__ import annotations

import hashlib
import json
import os
import weakref
import zlib
from dataclasses import dataclass
from itertools import repeat
from operator import add, gt, itemgetter
from pathlib import Path
from typing import Any

from lexsync.errors import StateError
from lexsync.state.pieces import (
    BLOCK_END,
    HEAD_SIZE,
    HEADER,
    RECORD_CLOSE,
    RESOURCES_OPEN,
    document_around,
)
from lexsync.state.records import IndexedReadError, StoredSlice

# 2: the digest of the file's bytes but its serial, which compares this writer's bytes: raise
# it whenever the state's layout changes.
FORMAT = 2
SUFFIX = ".index"
_TEXT = json.encoder.encode_basestring  # how the state's writer encodes an address
_CHUNK = 1 << 20  # bytes checked at a time
# Around the records in the index's text as `index_text` writes it (`_sealed`).
_RECORDS_KEY, _CRC_KEY = b',"records":', b',"crc32":'


def index_path(state_path: Path) -> Path:
    return state_path.with_name(state_path.name + SUFFIX)


class Places:
    """Where a state's `resources` object and each record are written, in bytes, as they are
    written: the writer tells it each of its bytes (`written`) and `StateDocument.write_json`
    where each part starts and ends."""

    def __init__(self) -> None:
        self.size = 0  # bytes written so far
        self.crc = 0  # their CRC-32
        # SHA-256 of every byte but the serial's: the same for two files of the same content
        # (a state's serial rises only when its content changes: LocalBackend.write).
        self.content = hashlib.sha256()
        # SHA-256 of every byte: the content's up to the serial (the same bytes, hashed once;
        # the records come before it), then its own.
        self._whole: hashlib._Hash | None = None
        self.opened = self.closed = -1
        self.records: list[list[Any]] = []  # [address, start, end, remote ID]
        self._open: list[Any] = []
        self._serial_next = False
        # False once a value was written whose text a read and a write would not give back
        # (a key that is no text: JSON makes it one, and sorts it otherwise)
        self.content_stable = True

    def written(self, data: bytes) -> None:
        self.size += len(data)
        self.crc = zlib.crc32(data, self.crc)
        if self._whole is not None:
            self._whole.update(data)
        if self._serial_next:
            self._serial_next = False
        else:
            self.content.update(data)

    def serial_follows(self) -> None:
        """The next bytes written are the serial's value, and nothing else."""
        self._serial_next = True
        if self._whole is None:
            self._whole = self.content.copy()

    def whole_digest(self) -> str:
        """The SHA-256 of every byte written (`document.text_digest` of the text)."""
        return (self._whole or self.content).hexdigest()

    def resources_open(self) -> None:
        self.opened = self.size

    def record_opens(self, address: str, remote_id: int) -> None:
        self._open = [address, self.size, -1, remote_id]

    def record_closes(self) -> None:
        self._open[2] = self.size
        self.records.append(self._open)

    def record_placed(self, address: str, start: int, end: int, remote_id: int) -> None:
        """A record among bytes written at once (`StateDocument._stored_run`)."""
        self.records.append([address, start, end, remote_id])

    def resources_close(self) -> None:
        self.closed = self.size

    def index_text(self, digest: str) -> str | None:
        """The index of the file these places were written to (its SHA-256 `digest`); None
        when there is nothing to index (no records)."""
        if not self.records or self.closed < 0:
            return None
        state = {"size": self.size, "crc32": self.crc, "sha256": digest,
                 "content_sha256": self.content.hexdigest() if self.content_stable else ""}
        places = [self.opened, self.closed]
        return json.dumps({
            "format": FORMAT,
            "about": "Where each record sits in the state file beside it, for targeted "
                     "plans: a cache lexsync writes with the state, safe to delete.",
            "state": state,
            "resources": places,
            "records": self.records,
            "crc32": _checksum(state, places, self.records),
        }, ensure_ascii=False, separators=(",", ":")) + "\n"


def _checksum(state: Any, places: Any, records: Any) -> int:
    """CRC-32 of what the index says, so that an index damaged or edited by mistake (a record
    left out, a remote ID changed) is not used: the state file's CRC does not cover it."""
    return zlib.crc32(_encoded([state, places, records]))


def _encoded(value: Any) -> bytes:
    """`value` as the index writes it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass(slots=True)
class IndexedFile:
    """The state file's top level without its records (`resources` emptied), each record's
    place in the open file, the file's SHA-256, and that of its bytes but the serial's
    (`Places.content`)."""

    rest: dict[str, Any]
    records: dict[str, StoredSlice]
    digest: str
    content_digest: str
    opened: _OpenFile
    crc32: int

    def unchanged(self) -> bool:
        """Whether the file still holds the bytes that were checked (its CRC-32 again)."""
        try:
            return _identity(os.fstat(self.opened.fd)) == self.opened.checked \
                and _crc32(self.opened.fd) == self.crc32
        except OSError:
            return False


class _OpenFile:
    """The state file as opened and checked: its bytes read at a place, closed when no record
    needs it. A file rewritten in place since (not replaced, as lexsync replaces it: a copy
    over it, `rsync --inplace`) is refused rather than read as rewritten."""

    def __init__(self, fd: int, source: str) -> None:
        self.fd, self.source = fd, source
        weakref.finalize(self, os.close, fd)
        self.checked = _identity(os.fstat(fd))

    def text(self, start: int, end: int) -> str:
        try:
            data = os.pread(self.fd, end - start, start)
            unchanged = _identity(os.fstat(self.fd)) == self.checked
        except OSError as exc:
            raise IndexedReadError(f"cannot read state file {self.source}: {exc.strerror}"
                                   ) from None
        if len(data) != end - start or not unchanged:
            raise IndexedReadError(f"state file {self.source} changed while this run read it; "
                                   "run again")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise self.misplaced() from None

    def record(self, start: int, end: int) -> str:
        """A record's text at its place, refusing a place that holds no record."""
        found = self.text(start, end)
        if not (found.startswith("{\n") and found.endswith(RECORD_CLOSE)):
            raise self.misplaced()
        return found

    def misplaced(self) -> StateError:
        return IndexedReadError(f"state file {self.source}: its record index "
                               f"({index_path(Path(self.source))}) does not match it; remove "
                               "the index and run again (lexsync writes it again with the state)")


def _identity(info: os.stat_result) -> tuple[int, int]:
    return info.st_size, info.st_mtime_ns


def read(state_path: Path) -> IndexedFile | None:
    """The state file at `state_path` through its index, or None when it must be read as
    before (see the module's docstring). Raises FileNotFoundError when there is no state."""
    try:
        text = index_path(state_path).read_bytes()
        index = json.loads(text)
    except (OSError, ValueError):
        return None
    if not _well_formed(index):
        return None
    state = index["state"]
    start, end = index["resources"]
    try:
        if not 0 <= start < end <= state["size"] or not _sealed(text, index):
            return None
    except UnicodeEncodeError:  # half a surrogate pair in an address: no index lexsync wrote
        return None
    fd = os.open(state_path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    opened = _OpenFile(fd, str(state_path))  # closes fd when let go
    if opened.checked[0] != state["size"] or _crc32(fd) != state["crc32"]:
        return None
    records = _placed(index["records"], start + len(RESOURCES_OPEN.encode("utf-8")), end, opened)
    if records is None:
        return None
    try:
        head = opened.text(0, start + len(HEADER))
        tail = opened.text(end, state["size"])
    except StateError:
        return None
    if not head.endswith(HEADER) or not tail.startswith(BLOCK_END):
        return None
    rest = document_around(head[:-len(HEADER)], tail[len(BLOCK_END):])
    if rest is None:
        return None
    return IndexedFile(rest, records, state["sha256"], state["content_sha256"], opened,
                       state["crc32"])


def _sealed(text: bytes, index: dict[str, Any]) -> bool:
    """Whether the index says what its checksum says it does. The checksum covers the records'
    JSON as `index_text` writes it, so where the file holds them so written (between
    `,"records":` and `,"crc32":`), their bytes are checked as they are rather than encoded
    again (~0.04 s at 10,000 buyers); an index written otherwise is encoded again."""
    state, places, records = index["state"], index["resources"], index["records"]
    opens, closes = text.find(_RECORDS_KEY), text.rfind(_CRC_KEY)
    # The records once, and the checksum last: the values `json.loads` took.
    if 0 <= opens < closes and text.find(_RECORDS_KEY, opens + 1) < 0 \
            and text[closes + len(_CRC_KEY):].rstrip() == b"%d}" % index["crc32"]:
        before = _encoded([state, places])[:-1] + b","
        said = zlib.crc32(text[opens + len(_RECORDS_KEY):closes], zlib.crc32(before))
        if zlib.crc32(b"]", said) == index["crc32"]:
            return True
    return _checksum(state, places, records) == index["crc32"]


def _placed(entries: list[Any], after: int, end: int,
            opened: _OpenFile) -> dict[str, StoredSlice] | None:
    """Each record's place, when the places are as lexsync writes records: each right after
    the one before (`record_head`: the first without a comma), the last ending where the
    object does, each address once; none when there are no records (lexsync writes no index
    then). Checked a column at a time, at C speed (~90,000 records at 10,000 buyers)."""
    if not entries or set(map(type, entries)) != {list} or set(map(len, entries)) != {4}:
        return None
    # A column at a time: `zip(*entries)` takes twice as long (each record an argument).
    addresses, firsts, lasts, remote_ids = (tuple(map(itemgetter(i), entries)) for i in range(4))
    if set(map(type, addresses)) != {str} or set(map(type, firsts + lasts + remote_ids)) != {int}:
        return None
    # Where each record's head starts: where the one before it ends.
    head_starts = (after, *lasts[:-1])
    try:
        head_sizes = list(map(len, map(str.encode, map(_TEXT, addresses))))
    except UnicodeEncodeError:  # half a surrogate pair: no address lexsync writes
        return None
    expected = list(map(add, head_starts, map(add, head_sizes, repeat(HEAD_SIZE))))
    expected[0] -= 1  # no comma before the first record
    if list(firsts) != expected or lasts[-1] != end or not all(map(gt, lasts, firsts)):
        return None
    slices = map(StoredSlice, repeat(opened), firsts, lasts, remote_ids)
    records = dict(zip(addresses, slices, strict=True))
    return records if len(records) == len(entries) else None


def _crc32(fd: int) -> int:
    crc, place = 0, 0
    while chunk := os.pread(fd, _CHUNK, place):
        crc = zlib.crc32(chunk, crc)
        place += len(chunk)
    return crc


def _well_formed(index: Any) -> bool:
    if type(index) is not dict or index.get("format") != FORMAT \
            or type(index.get("crc32")) is not int:
        return False
    state, places, records = index.get("state"), index.get("resources"), index.get("records")
    if type(state) is not dict or type(state.get("sha256")) is not str \
            or type(state.get("content_sha256")) is not str \
            or not all(type(state.get(key)) is int for key in ("size", "crc32")):
        return False
    if type(places) is not list or len(places) != 2 or not all(type(p) is int for p in places):
        return False
    return type(records) is list  # each record is checked as it is read
