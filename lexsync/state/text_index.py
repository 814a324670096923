"""Where each record sits in a state file as lexsync writes it, found without parsing it.

A targeted plan needs a few records of a state that holds every buyer's (224 MB of JSON
at 10,000 buyers, whose parse builds ~500 MB of objects). lexsync writes its state sorted and
indented by two spaces (`StateDocument.to_json`), and JSON text has no raw line break
inside a string, so every line break is layout: in the `resources` object, a line indented
by exactly four spaces opens a record (`    "ADDRESS": {`) or closes it (`    },`), and a
line indented by six holds one of the record's own fields, `remote_id` among them.

`index` finds those lines and checks that they are all there is at that depth: each record
opened is closed right before the next opens, has its seven fields each on a line of its own
and exactly one remote ID; `resources` is named once at its depth, and only at the top level
(`pieces.document_around`); no line holds a key beside another. A record's remote ID is checked again when the record is parsed (document.py). A
record never asked for is trusted to be indented as lexsync writes it: a hand edit that
puts a key at another indentation than its depth (a nested key indented as a record's field,
a record's field repeated deeper) is not seen (apply parses the state
whole, and refuses a saved plan that differs from its own).
A file laid out otherwise (edited by hand, written by another tool) answers None, and the
state is parsed whole, as always. A record is parsed, and checked in full, when it is asked
for (`Records`).
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

from lexsync.state.pieces import BLOCK_END, HEADER, RECORD_CLOSE, document_around
from lexsync.state.records import StoredText

_NAMED = HEADER[:-len("{\n")]  # `resources` named at the top level's depth
_FIELD, _FIELDS = '\n      "', 7  # a record's field's line, and how many each record has
# What the layout never holds: a key (a string, then a colon) right after a comma or an
# opening brace, on the same line. (A string ending in either character is no key: its
# closing quote is followed by a line break or a colon and another string's opening quote.)
# Two patterns, each starting with its character, search ~3 times faster than one.
_KEY = r'[ \t]*"(?:[^"\\\n]|\\.)*"[ \t]*:'
_KEY_BESIDE = (re.compile("," + _KEY), re.compile(r"\{" + _KEY))
_OPEN = re.compile(r'\n    "((?:[^"\\\n]|\\.)*)": (?=\{\n)')
_REMOTE_ID = re.compile(r'\n      "remote_id": (-?[0-9]+)(?=,?\n)')


@dataclass(slots=True)
class Indexed:
    """The document with its `resources` object emptied (the rest, parsed at once), and
    each record's place in the full text."""

    rest: dict[str, Any]
    records: dict[str, StoredText]


def index(text: str) -> Indexed | None:
    """Each record's place and remote ID, or None when `text` is not laid out as lexsync
    writes state (then it is parsed whole)."""
    header = text.find(HEADER)
    if header < 0:
        return None
    first = header + len(HEADER) - 1  # the line break before the first record
    block_end = text.find(BLOCK_END, first)  # the first line indented by two: the object's end
    if block_end < 0:
        return None
    if text.count(_NAMED) != 1 or any(p.search(text) for p in _KEY_BESIDE):
        return None  # another `resources` at this depth, or keys side by side: edited by hand
    opens = list(_OPEN.finditer(text, first, block_end))
    # Lines indented by exactly four spaces: two per record (its opening and its closing);
    # by six, starting a key: seven per record (`ResourceState.to_dict` writes every field),
    # so no line of a record holds a key of its own beside another's (`}, "remote_id": 7`).
    at_four = text.count("\n    ", first, block_end) - text.count("\n     ", first, block_end)
    if not opens or at_four != 2 * len(opens) \
            or text.count(_FIELD, first, block_end) != _FIELDS * len(opens):
        return None
    ids = list(_REMOTE_ID.finditer(text, first, block_end))
    if len(ids) != len(opens):
        return None
    starts = [match.start() for match in opens]
    records: dict[str, StoredText] = {}
    for number, match in enumerate(opens):
        # Closed right before the next record opens (`    },`), or before the object ends.
        last = number + 1 == len(opens)
        close = block_end - len(RECORD_CLOSE) if last else starts[number + 1] - len(RECORD_CLOSE) - 1
        if (close < match.end() or not text.startswith(RECORD_CLOSE, close)
                or (not last and text[close + len(RECORD_CLOSE)] != ",")):
            return None
        remote = ids[number]
        if bisect_right(starts, remote.start()) - 1 != number or remote.start() > close:
            return None
        address = match.group(1)
        if "\\" in address:
            address = json.loads(f'"{address}"')
        if address in records:
            return None
        records[address] = StoredText(text, match.end(), close + len(RECORD_CLOSE),
                                      int(remote.group(1)))
    rest = document_around(text[:header], text[block_end + len(BLOCK_END):])
    return None if rest is None else Indexed(rest, records)
