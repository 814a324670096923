"""Which expanded parts of a plan can be planned: those whose answers are all read.

A plan made as its answers come (`Session._plan_as_answers_come`) gets, in any order, each
part of the configuration as it is expanded (the groups first, then each client) and each
client's answers as they are read. A client's part can be planned once every client whose
answers its state records need is read (its own, and the parents its methods and accounts
are recorded under), or is not in LeadExec's client list (never read); the groups' part
first, once the groups and the client list are in; what still waits when every read is
done, then.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Mapping

from lexsync.resources.base import Desired
from lexsync.resources.live import LiveView
from lexsync.state.document import ResourceState


def note_need(needs: dict[str, set[int]], address: str, record: ResourceState) -> None:
    """Note whose answers the record at `address` is found in, under its client's key."""
    if not address.startswith("client."):
        return
    uid = record.remote_id if record.kind == "client" else record.parent_id
    if uid is not None:
        needs.setdefault(address.split(".")[1], set()).add(uid)


class PartsWaiting:
    def __init__(self, needs: Mapping[str, set[int]]) -> None:
        # Client key -> the client IDs whose answers its records are found in (`note_need`).
        self.needs = needs
        self.listed: set[int] | None = None  # the client list's IDs, once it is read
        self.answered: set[int] = set()
        self.groups: list[Desired] | None = None  # the groups' part, until it is planned
        self.groups_planned = False
        self.unsorted: list[tuple[str, list[Desired]]] = []  # parts come before the list
        self.missing: dict[str, int] = {}  # key -> how many of its clients are not read
        self.parts: dict[str, list[Desired]] = {}  # parts waiting for answers
        self.waiting_on: dict[int, list[str]] = {}  # client ID -> keys waiting for it
        self.ready_parts: list[list[Desired]] = []

    def add(self, key: str | None, desired: list[Desired]) -> None:
        """An expanded part: the groups' (None) or a client's."""
        if key is None:
            self.groups = desired
        elif self.listed is None:
            self.unsorted.append((key, desired))
        else:
            self._sort(key, desired)

    def read(self, uid: int | None, view: LiveView) -> None:
        """A client's answers are in (None: the groups and the client list are)."""
        if uid is None:
            self.listed = set(view.clients)
            for key, desired in self.unsorted:
                self._sort(key, desired)
            self.unsorted.clear()
            return
        self.answered.add(uid)
        for key in self.waiting_on.pop(uid, ()):
            self.missing[key] -= 1
            if not self.missing[key]:
                del self.missing[key]
                self.ready_parts.append(self.parts.pop(key))

    def ready(self) -> Iterator[list[Desired]]:
        """The parts that can be planned now, each once, the groups' first."""
        if not self.groups_planned:
            if self.groups is None or self.listed is None:
                return
            self.groups_planned = True
            yield self.groups
            self.groups = None
        while self.ready_parts:
            yield self.ready_parts.pop(0)

    def rest(self) -> Iterator[list[Desired]]:
        """Once every read is done: the parts still waiting (for a client no read was asked
        for: a record under another client than its own), each once."""
        yield from self.ready()
        self.ready_parts.extend(self.parts.values())
        self.parts.clear()
        self.missing.clear()
        self.waiting_on.clear()
        yield from self.ready()

    def _sort(self, key: str, desired: list[Desired]) -> None:
        assert self.listed is not None
        missing = [uid for uid in self.needs.get(key, ())
                   if uid in self.listed and uid not in self.answered]
        if not missing:
            self.ready_parts.append(desired)
            return
        self.parts[key] = desired
        self.missing[key] = len(missing)
        for uid in missing:
            self.waiting_on.setdefault(uid, []).append(key)


class Stopped(Exception):
    """The plan stopped (a read failed): the expansion need not go on."""


class Ahead:
    """How many expanded parts may wait to be planned: the expansion (on its thread) waits
    while that many do, so a large configuration's desired values are never all made long
    before their answers are read (which is the slow part), only a window of them ahead.
    Every waiting part becomes plannable by reads alone, so the expansion waits for nothing
    but reads. `close` (the plan ended or failed) lets a waiting expansion stop."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._waiting = 0
        self._closed = False
        self._changed = threading.Condition()

    def enter(self) -> None:
        """A part is expanded (on the expansion's thread): wait for room; Stopped if closed."""
        with self._changed:
            while self._waiting >= self._limit and not self._closed:
                self._changed.wait()
            if self._closed:
                raise Stopped
            self._waiting += 1

    def leave(self) -> None:
        """A part was planned."""
        with self._changed:
            self._waiting -= 1
            self._changed.notify()

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()


class ReadsAhead:
    """How far the clients' reads run ahead of the expansion, in the configuration's order.

    A client's answers are held until its part is expanded and planned. While the expansion
    waits (for the plan's lint of the whole configuration first: ~3 s at 10,000 buyers), reads
    running freely would pile up answers nothing can plan yet (~40 MB at 10,000 buyers). So the
    read at `place` (in the order the reads are made) starts once fewer than `limit` parts
    before it are still to be expanded, once an expanded part waits for its answers (a record
    under another client than its own: `PartsWaiting.waiting_on`), or once every part is
    expanded. A part waiting to be planned therefore waits for reads that can all start, and
    the expansion (`Ahead`) still waits for nothing but reads."""

    def __init__(self, limit: int, waiting: PartsWaiting) -> None:
        self._limit = limit
        self._waiting = waiting
        self._expanded = 0
        self._all_expanded = False
        self._changed = asyncio.Condition()

    def _open(self, place: int, uid: int) -> bool:
        return self._all_expanded or place < self._expanded + self._limit \
            or uid in self._waiting.waiting_on

    async def admit(self, place: int, uid: int) -> None:
        """Return once the read of client `uid`, `place`-th of the reads, may start."""
        if not self._open(place, uid):
            async with self._changed:
                await self._changed.wait_for(lambda: self._open(place, uid))

    async def changed(self, expanded: int = 0, all_expanded: bool = False) -> None:
        """Parts were expanded (all of them), or parts now wait for reads: let start the
        reads that may."""
        self._expanded += expanded
        self._all_expanded = self._all_expanded or all_expanded
        async with self._changed:
            self._changed.notify_all()
