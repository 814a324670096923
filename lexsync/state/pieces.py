"""A state file parsed a piece at a time: its text is never held whole beside its parse.

At 10,000 buyers a state's text is 224 MB and its parse ~500 MB; one `json.loads` of the
whole text holds both at once, beside the configuration. lexsync writes state indented by two
spaces (`StateDocument.to_json`), so each member of the `resources` object (one record) ends
on a line `    }` followed by a comma. The file is read 1 MB at a time, and what has been read
is cut after the last such line it holds and parsed as the members of an object. JSON text
holds no raw line break inside a string, so a cut there falls between two members, or the
piece does not parse: pieces that all parse make exactly the object a whole parse makes.

Anything else (a file laid out otherwise, invalid JSON, a record larger than `_MOST` alone, a
record's address given twice, a record refused when read, `resources` named again) answers
None, and the caller parses the file whole, which also gives a message with the line and
column. The layout's lines are named here for `text_index.py` too.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from lexsync.errors import StateError
from lexsync.state.secret_hash import LEGACY_PREFIX

_CHUNK = 1 << 20  # characters read at a time
_MOST = 64 << 20  # characters held unparsed before giving up (a huge record, no layout)
HEADER = '\n  "resources": {\n'
RECORD_CLOSE = "\n    }"
_MEMBER_END = RECORD_CLOSE + ",\n"  # a record's last line, and the line break before the next
BLOCK_END = "\n  }"  # the first line indented by two after the header: the object's end
RESOURCES_OPEN = HEADER[:-1]  # the header but the line break that starts the first record's line


def record_head(address_json: str, first: bool) -> str:
    """What comes before a record's value in `resources`: a comma (but before the first
    record), a line break, four spaces, its address as JSON text, and `: `."""
    return f"{'' if first else ','}\n    {address_json}: "


# The bytes of a record's head (but the first record's) besides its address.
HEAD_SIZE = len(record_head("", first=False).encode("utf-8"))


Keep = Callable[[str, Any], Any]


@dataclass(slots=True)
class Parsed:
    data: dict[str, Any]  # the document as `json.loads` of the whole text gives it, each
    # record as `keep` gave it
    digest: str  # SHA-256 of the text as UTF-8 (as `document.text_digest` of the text)
    holds_legacy_prefix: bool  # whether the text holds `LEGACY_PREFIX` anywhere


class _Reader:
    """The file's text a chunk at a time, hashed as it is read."""

    def __init__(self, handle: TextIO) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def more(self, size: int | None = None) -> str:
        text = self.handle.read(_CHUNK if size is None else size)
        self.digest.update(text.encode("utf-8"))
        return text


def parse_in_pieces(handle: TextIO, keep: Keep = lambda _key, value: value) -> Parsed | None:
    """The state document read from `handle` (a text file opened as lexsync reads state), or
    None when it must be parsed whole; each record kept as `keep` gives it, as it is parsed
    (the caller checks and packs it: state/records.py)."""
    reader = _Reader(handle)
    buffer = ""
    searched = 0
    while (header := buffer.find(HEADER, searched)) < 0:
        more = reader.more()
        if not more or len(buffer) > _MOST:
            return None
        searched = max(0, len(buffer) - len(HEADER))
        buffer += more
    head = buffer[:header]
    buffer = buffer[header + len(HEADER) - 1:]  # from the line break before the first member
    records: dict[str, Any] = {}
    legacy = LEGACY_PREFIX in head
    while True:
        end = buffer.find(BLOCK_END)
        cut = buffer.rfind(_MEMBER_END, 0, len(buffer) if end < 0 else end)
        if cut >= 0:
            piece, buffer = buffer[:cut + len(RECORD_CLOSE)], buffer[cut + len(RECORD_CLOSE) + 1:]
        elif end >= 0:
            piece, buffer = buffer[:end], buffer[end + len(BLOCK_END):]
        else:
            more = reader.more()
            if not more or len(buffer) > _MOST:
                return None
            buffer += more
            continue
        legacy = legacy or LEGACY_PREFIX in piece
        if not piece.strip():
            return None  # no member between two commas, or after the last
        try:
            members = json.loads("{" + piece + "}")
        except json.JSONDecodeError:
            return None
        for key, value in members.items():
            if key in records:
                return None  # a key given twice: which one a whole parse keeps, it says
            try:
                records[key] = keep(key, value)
            except StateError:
                return None  # maybe replaced by a later duplicate: the whole parse tells
        if cut < 0:
            break
    tail = buffer + reader.more(-1)
    legacy = legacy or LEGACY_PREFIX in tail
    data = document_around(head, tail)
    if data is None:
        return None
    data["resources"] = records
    return Parsed(data, reader.digest.hexdigest(), legacy)


def document_around(head: str, tail: str) -> dict[str, Any] | None:
    """The document whose text is `head`, `"resources": {…}` and `tail`, with `resources`
    empty; None when that is not what a whole parse would give: the object found is not the
    top level's `resources`, or the top level names `resources` again (however spelled: a
    later one is the one JSON keeps), or the text is not JSON."""
    mark = secrets.token_hex(16)  # a key no file holds: where the records were
    top: list[list[tuple[str, Any]]] = []

    def pairs(found: list[tuple[str, Any]]) -> dict[str, Any]:
        top[:] = [found]  # the last object closed is the top level
        return dict(found)

    try:
        data = json.loads(head + f'\n  "resources": {{"{mark}": 0}}' + tail,
                          object_pairs_hook=pairs)
    except json.JSONDecodeError:
        return None
    named = [value for key, value in top[0] if key == "resources"] if top else []
    if type(data) is not dict or named != [{mark: 0}]:
        return None
    data["resources"] = {}
    return data
