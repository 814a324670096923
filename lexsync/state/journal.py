"""An append-only journal beside the state file, so apply saves each result in O(1).

Rewriting the whole state document after every call (JSON dump, fsync, rename, backup) costs
time proportional to the state's size, so an apply of n resources took O(n²). Instead the
applier's saves append one line per changed resource to `<state>.journal`:

    {"lineage": "...", "base_serial": 7}                     first line: the state it extends
    {"field": "resources", "key": "client.a", "value": {...}}   set
    {"field": "resources", "key": "client.b", "value": null}    removed

Each line is written and flushed at once, so it survives the process being killed right
after the call it records. fsync (survives a power cut) runs at most every
`FSYNC_INTERVAL` seconds and at every `checkpoint()`; the applier checkpoints between
dependency waves, so a new ID is on disk before any call that uses it is sent. `close()`
folds the journal into the state file with one ordinary write and removes it.

A journal left by a killed run is replayed by `replay()` when the state is next loaded, if
it extends exactly the stored document (same lineage and serial); otherwise it was already
folded in (the fold wrote but the removal did not happen) and is ignored. The next run that
takes the lock folds it into the state file, or removes it when it was folded already
(`LocalBackend.lock`). A torn last line is ignored: its call's result is also missing from
LeadExec's answer, which is the case the applier's pending-create bookkeeping handles.

The journal is opened without following links (`files.open_no_follow`): a link planted in
its place would otherwise have lexsync truncate and overwrite the file it points to.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from lexsync.state import secret_hash
from lexsync.state.document import ResourceState, StateDocument, text_digest
from lexsync.state.files import ensure_directory, open_no_follow, read_text_no_follow
from lexsync.state.records import Records

FSYNC_INTERVAL = 0.2  # seconds: bounds what a power cut can lose, costs ~1% of apply time
WHAT = "state journal"
# Dict-valued attributes of StateDocument that the applier changes during a run.
JOURNALED_FIELDS = ("resources", "pending")


def journal_path(state_path: Path) -> Path:
    return state_path.with_name(state_path.name + ".journal")


class TrackedDict(dict[str, Any]):
    """A dict that remembers which keys were set or removed since `take_dirty()`."""

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__(data)
        self.dirty: set[str] = set()

    def __setitem__(self, key: str, value: Any) -> None:
        self.dirty.add(key)
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.dirty.add(key)
        super().__delitem__(key)

    def pop(self, key: str, *default: Any) -> Any:
        if key in self:
            self.dirty.add(key)
        return super().pop(key, *default)

    def setdefault(self, key: str, value: Any = None) -> Any:
        if key not in self:
            self.dirty.add(key)
        return super().setdefault(key, value)

    def update(self, *args: Any, **kwargs: Any) -> None:
        changes = dict(*args, **kwargs)
        self.dirty.update(changes)
        super().update(changes)

    def popitem(self) -> tuple[str, Any]:
        key, value = super().popitem()
        self.dirty.add(key)
        return key, value

    def clear(self) -> None:
        self.dirty.update(self)
        super().clear()

    def take_dirty(self) -> list[str]:
        keys = sorted(self.dirty)
        self.dirty.clear()
        return keys


def _encode(field: str, value: Any) -> Any:
    if value is None:
        return None
    return value.to_dict() if field == "resources" else value


def _decode(field: str, value: Any) -> Any:
    return ResourceState(**value) if field == "resources" else value


class JournalWriter:
    """The `save_state` callback of one apply, writing deltas to the journal.

    `write_state` is the backend's full write (used to start from a stored document and to
    fold at the end).
    """

    def __init__(self, path: Path, doc: StateDocument,
                 write_state: Callable[[StateDocument], StateDocument],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self.doc = doc
        self.write_state = write_state
        self.clock = clock
        # Start from a stored document: a leftover journal (already replayed into `doc` by
        # the load) is folded now, and a missing state file is created.
        write_state(doc)
        for name in JOURNALED_FIELDS:
            value = getattr(doc, name, None)
            if isinstance(value, Records):
                value.take_dirty()  # tracks itself, and builds no record here
            elif isinstance(value, dict):
                setattr(doc, name, TrackedDict(value))
        ensure_directory(self.path.parent)
        fd = open_no_follow(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, WHAT)
        self.handle = os.fdopen(fd, "w", encoding="utf-8")
        self._line({"lineage": doc.lineage, "base_serial": doc.serial})
        self._sync()
        self.lines = 0

    def save(self, doc: StateDocument) -> None:
        """Append what changed since the last save; flushed at once, fsynced at most every
        FSYNC_INTERVAL seconds."""
        assert doc is self.doc, "the journal records one document"
        for name in JOURNALED_FIELDS:
            tracked = getattr(doc, name, None)
            if not isinstance(tracked, TrackedDict | Records):
                continue
            for key in tracked.take_dirty():
                self._line({"field": name, "key": key, "value": _encode(name, tracked.get(key))})
                self.lines += 1
        self.handle.flush()
        if self.clock() - self._synced_at >= FSYNC_INTERVAL:
            self._sync()

    def checkpoint(self) -> None:
        """Make everything appended so far survive a power cut (between dependency waves)."""
        self.handle.flush()
        self._sync()

    def close(self) -> None:
        """Fold into the state file (one full write), then remove the journal."""
        self.save(self.doc)
        self.checkpoint()
        self.handle.close()
        for name in JOURNALED_FIELDS:
            value = getattr(self.doc, name, None)
            if isinstance(value, TrackedDict):
                setattr(self.doc, name, dict(value))
        self.write_state(self.doc)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    def _line(self, entry: dict[str, Any]) -> None:
        self.handle.write(json.dumps(entry, sort_keys=True, ensure_ascii=False,
                                     default=secret_hash.to_json) + "\n")

    def _sync(self) -> None:
        os.fsync(self.handle.fileno())
        self._synced_at = self.clock()


def _entries(text: str) -> Iterator[dict[str, Any]]:
    for line in text.split("\n"):
        if not line:
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            return  # a line torn by a kill mid-write: nothing after it was written either
        if isinstance(entry, dict):
            yield entry


def replay(path: Path, doc: StateDocument) -> bool:
    """Apply a leftover journal to `doc` in place. True when it was replayed."""
    text = read_text_no_follow(path, WHAT)
    if text is None:
        return False
    entries = _entries(text)
    header = next(entries, None)
    if header is None or header.get("lineage") != doc.lineage \
            or header.get("base_serial") != doc.serial:
        return False
    # The document is now the stored text and the journal together.
    doc.source_digest = text_digest(f"{doc.source_digest}\n{text}")
    for entry in entries:
        field, key, value = entry.get("field"), entry.get("key"), entry.get("value")
        target = getattr(doc, str(field), None) if field in JOURNALED_FIELDS else None
        if not isinstance(target, dict | Records) or not isinstance(key, str):
            continue
        if value is None:
            target.pop(key, None)
        else:
            target[key] = _decode(str(field), value)
    return True
