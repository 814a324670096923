"""Where each record sits in a state file as lexsync writes it, found without parsing it.

A targeted plan needs a few records of a state that holds every buyer's (224 MB of JSON
at 10,000 buyers, whose parse builds ~500 MB of objects). lexsync writes its state sorted and
indented by two spaces (`StateDocument.to_json`), and JSON text has no raw line break
inside a string, so every line break is layout: in the `resources` object, a line indented
by exactly four spaces opens a record (`    "ADDRESS": {`) or closes it (`    },`), and a
line indented by six holds one of the record's own fields, `remote_id` among them.

`index` finds those lines and checks that they are all there is at that depth: each record
opened is closed right before the next opens, and has exactly one remote ID of its own.
A file laid out otherwise (edited by hand, written by another tool) answers None, and the
state is parsed whole, as always. A record is parsed, and checked in full, when it is asked
for (`Records`).
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from dataclasses import dataclass

from lexsync.state.records import StoredText

_HEADER = '\n  "resources": {\n'
_OPEN = re.compile(r'\n    "((?:[^"\\\n]|\\.)*)": (?=\{\n)')
_CLOSE = "\n    }"
_REMOTE_ID = re.compile(r'\n      "remote_id": (-?[0-9]+)(?=,?\n)')


@dataclass(slots=True)
class Indexed:
    """The state's text with its `resources` object emptied (the rest, parsed at once), and
    each record's place in the full text."""

    rest: str
    records: dict[str, StoredText]


def index(text: str) -> Indexed | None:
    """Each record's place and remote ID, or None when `text` is not laid out as lexsync
    writes state (then it is parsed whole)."""
    header = text.find(_HEADER)
    if header < 0:
        return None
    first = header + len(_HEADER) - 1  # the line break before the first record
    block_end = text.find("\n  }", first)  # the first line indented by two: the object's end
    if block_end < 0:
        return None
    opens = list(_OPEN.finditer(text, first, block_end))
    # Lines indented by exactly four spaces: two per record (its opening and its closing).
    at_four = text.count("\n    ", first, block_end) - text.count("\n     ", first, block_end)
    if not opens or at_four != 2 * len(opens):
        return None
    ids = list(_REMOTE_ID.finditer(text, first, block_end))
    if len(ids) != len(opens):
        return None
    starts = [match.start() for match in opens]
    records: dict[str, StoredText] = {}
    for number, match in enumerate(opens):
        # Closed right before the next record opens (`    },`), or before the object ends.
        last = number + 1 == len(opens)
        close = block_end - len(_CLOSE) if last else starts[number + 1] - len(_CLOSE) - 1
        if (close < match.end() or not text.startswith(_CLOSE, close)
                or (not last and text[close + len(_CLOSE)] != ",")):
            return None
        remote = ids[number]
        if bisect_right(starts, remote.start()) - 1 != number or remote.start() > close:
            return None
        address = match.group(1)
        if "\\" in address:
            address = json.loads(f'"{address}"')
        if address in records:
            return None
        records[address] = StoredText(text, match.end(), close + len(_CLOSE),
                                      int(remote.group(1)))
    rest = text[:header] + '\n  "resources": {}' + text[block_end + len("\n  }"):]
    return Indexed(rest, records)
