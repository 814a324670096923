"""What every state backend offers, so the engine and CLI never depend on where state lives."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from lexsync.state.document import StateDocument
from lexsync.state.lockfile import LockInfo


class StateBackend(Protocol):
    def load(self, lazily: bool = False, by_index: bool = False) -> StateDocument:
        """The stored document, or a new one when nothing is stored yet. `lazily`: for a run
        that reads a few records and writes none (`StateDocument.from_json`). `by_index`: for
        a run that reads every record (a whole plan, an apply): where a record index tells
        where each record is stored, records are read there when asked for, not all held at
        once (the file stays open, so a write meanwhile, which replaces it, changes nothing
        they read); else as without it."""
        ...

    def write(self, doc: StateDocument) -> StateDocument:
        """Store `doc`; raise StateError when the stored serial is not the one `doc` was read at."""
        ...

    def lock(self, command: str, timeout: float = 0) -> AbstractContextManager[LockInfo]:
        """Hold the state lock; raise StateLockedError when another run still holds it."""
        ...

    def force_unlock(self, lock_id: str, force: bool = False) -> str:
        """Remove the lock named `lock_id`, and only that one; refuse (StateLockedError) while
        its holder is alive unless `force`. Returns what was done, for the user."""
        ...
