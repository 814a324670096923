"""Observing live objects while the refresh is still reading.

A plan spends most of its time waiting for `GetClientAccounts` answers. Turning each
client's answer into `Live` objects as soon as it arrives does that CPU work inside the
wait, instead of after the last answer. Once the configuration is expanded, each observed
object's step (its comparison with what the configuration wants) is made too, so the planner
finds those steps ready and the last answer is followed by little more than the plan's
assembly.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable

from lexsync.engine.steps import Step, step_for
from lexsync.resources.base import Context, Desired, Live
from lexsync.resources.live import LiveView
from lexsync.resources.registry import KINDS
from lexsync.state.document import ResourceState, StateDocument

# Methods and accounts only: observing a client teaches the catalog its custom fields, which
# the configuration's expansion reads, so clients are observed after it, by the planner.
EARLY_KINDS = ("delivery_method", "delivery_account")


def previous_as_live(record: ResourceState) -> Live:
    """What state last recorded, in the shape `find_live` compares against."""
    return Live(record.remote_id, {}, dict(record.attributes), parent_id=record.parent_id,
                sub_ids=dict(record.sub_ids), observable=False)


class EarlyObserver:
    """Observes each state-recorded method and account of a client once its reads are in.

    `observed` maps address → Live (or None: recorded but not found). The planner uses an
    entry when there is one and observes the rest itself, so an address missing here is
    never wrong, only later. `prepared` maps address → the Step made from the Desired, Live and
    state record the planner will hold for it, which it takes instead of making it again.
    """

    def __init__(self, state: StateDocument, ctx: Context, catalog_loaded: asyncio.Future[None]) -> None:
        self.ctx = ctx
        self.observed: dict[str, Live | None] = {}
        self.prepared: dict[str, Step] = {}
        self._desired: dict[str, Desired] | None = None
        self._records = state.resources
        self._catalog_loaded = catalog_loaded
        self._kinds = {kind.kind: kind for kind in KINDS if kind.kind in EARLY_KINDS}
        self._by_client: dict[int, list[tuple[str, ResourceState]]] = defaultdict(list)
        for address, record in state.resources.items():
            client_uid = record.parent_id or ctx.ids.get(".".join(address.split(".")[:2]))
            if record.kind in self._kinds and client_uid:
                self._by_client[int(client_uid)].append((address, record))

    async def client_read(self, view: LiveView, client_uid: int) -> None:
        """Called by the refresh when all of one client's reads have arrived."""
        if client_uid in self._by_client:
            await asyncio.shield(self._catalog_loaded)  # field and state names come from it
            self.observe_client(view, client_uid)

    def forget(self) -> None:
        """Drop what was observed so far: the planner observes those objects itself."""
        self.observed.clear()
        self.prepared.clear()

    def prepare_steps(self, desired: Iterable[Desired]) -> None:
        """Make the steps of what was observed so far, and from now on of each object as it
        is observed, against the configuration's resource at the same address."""
        self._desired = {d.address: d for d in desired if d.kind in self._kinds}
        for address, live in self.observed.items():
            self._prepare(address, live)

    def _prepare(self, address: str, live: Live | None) -> None:
        wanted = self._desired.get(address) if self._desired is not None else None
        if wanted is not None and live is not None:
            self.prepared[address] = step_for(self._kinds[wanted.kind], wanted, live,
                                              self._records[address], None, self.ctx)

    def observe_client(self, view: LiveView, client_uid: int) -> None:
        for address, record in self._by_client[client_uid]:
            kind = self._kinds[record.kind]
            client_key = address.split(".")[1]
            live = kind.find_live(view, record.remote_id, self.ctx, previous_as_live(record),
                                  client_key)
            self.observed[address] = live
            self._prepare(address, live)
