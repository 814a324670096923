"""Reading back what an apply wrote, each client as soon as its last step is answered.

An apply checks what it wrote by reading it again. Read at the end, those reads wait for the
last write and then keep the one event loop busy decoding while no write is left to overlap
them; read as each client's last step (create, update or retirement) is answered, they run
beside the writes still going. Groups and the client list are read at the end, once: the
client list answers every client.

Only in the rest dialect: there a read teaches nothing a later write uses. A SOAP write sends
list items under the element names LeadExec's answers used (`item_tags`), and the check
explains a value that did not stick by the names the writes were sent with, so with SOAP
everything is read after the last write, as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from lexsync.api.protocol import LeadExecReads
from lexsync.engine.plan import Action
from lexsync.engine.refresh import gather_all, read_client
from lexsync.engine.steps import Step, client_key
from lexsync.resources.base import Context
from lexsync.resources.live import LiveView

WRITES = (Action.CREATE, Action.UPDATE)


class ReadBack:
    """Counts each client's steps down as they are answered and reads a client whose last one
    was, when one of its creates or updates succeeded (what the check at the end reads)."""

    def __init__(self, api: LeadExecReads, steps: Iterable[Step], ctx: Context,
                 early: bool) -> None:
        self.api = api
        self.ctx = ctx
        self.early = early
        self.view = LiveView()
        self._left: dict[str, int] = {}
        for step in steps:
            key = client_key(step.change.address)
            if key is not None:
                self._left[key] = self._left.get(key, 0) + 1
        self._written: set[str] = set()  # clients with a create or update that succeeded
        self._with_fields: set[str] = set()  # clients whose own write sent their fields
        self._reads: dict[int, asyncio.Task[None]] = {}
        self._cancelled = False  # the apply stopped: no read is started any more

    @property
    def read_early(self) -> set[int]:
        """The clients whose reads were started before the last write was answered."""
        return set(self._reads)

    def answered(self, step: Step, ok: bool) -> None:
        key = client_key(step.change.address)
        if key is None or key not in self._left:
            return
        if ok and step.change.action in WRITES:
            self._written.add(key)
            if (step.kind.kind == "client" and step.desired is not None
                    and "fields" in step.desired.attrs):
                self._with_fields.add(key)
        self._left[key] -= 1
        if self._left[key] or not self.early or key not in self._written or self._cancelled:
            return
        uid = self.ctx.ids.get(f"client.{key}")
        if uid is not None and uid not in self._reads:
            self._reads[uid] = asyncio.ensure_future(
                read_client(self.api, self.view, uid, key in self._with_fields))

    async def finish(self) -> LiveView:
        """The view holding every early read; the first read that failed raises here, as the
        check at the end would have."""
        await gather_all(*self._reads.values())
        return self.view

    async def cancel(self) -> None:
        """Stop the reads still going (the apply stopped before its check), and start no
        other."""
        self._cancelled = True
        for task in self._reads.values():
            task.cancel()
        await asyncio.gather(*self._reads.values(), return_exceptions=True)
