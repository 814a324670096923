"""Read the live objects that state or the YAML name, concurrently, each once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from lexsync.resources.live import LiveView

AlsoRead = Callable[[dict[str, Any]], bool]
ClientRead = Callable[[LiveView, int], Awaitable[None]]


async def refresh(api: Any, *, read_groups: bool, client_uids: set[int], field_uids: set[int],
                  on_progress: Any = None, also_read: AlsoRead | None = None,
                  client_read: ClientRead | None = None) -> LiveView:
    """One GetClientList, GetClientGroups if groups matter, then per named client its accounts
    (which carry the methods) and, when fields are managed, its field data. `also_read` picks
    further clients, with their field data, from the client list (adoption by username).
    `client_read` is awaited as soon as one client's accounts are in."""
    reads = Reads(api, on_progress=on_progress, client_read=client_read)
    reads.start(read_groups=read_groups, client_uids=client_uids, field_uids=field_uids,
                also_read=also_read)
    try:
        return await reads.finish(read_groups=read_groups, field_uids=field_uids)
    finally:
        await reads.aclose()


# Enough to open a connection and write a request on a busy machine; a local answer may
# well arrive within it, a remote one (tens of milliseconds away) does not.
SEND_MOMENT = 0.005


class FirstReads:
    """An API whose first GetLeadTypes and GetClientList are sent at once.

    Every plan makes both and neither depends on state, so they can be on their way while
    state is read (a large state takes longer to parse than they take to answer). The first
    call of each takes the answer (or the error) of the read sent ahead; later calls, and
    everything else, go to `api` itself. As a context manager it gives the reads a moment to
    go out on entering and stops the ones no one took on leaving.
    """

    _AHEAD = ("get_lead_types", "get_client_list")

    def __init__(self, api: Any) -> None:
        self._api = api
        self._ahead: dict[str, asyncio.Future[Any]] = {
            name: asyncio.ensure_future(getattr(api, name)()) for name in self._AHEAD}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._api, name)

    async def __aenter__(self) -> FirstReads:
        await self.sent()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def sent(self) -> None:
        """Give the reads a moment to go out: a large state's JSON decoding, next, holds the
        interpreter for its whole length, and a read not yet written would wait for it."""
        await asyncio.wait(self._ahead.values(), timeout=SEND_MOMENT)

    async def get_lead_types(self) -> list[dict[str, Any]]:
        return await self._take("get_lead_types")

    async def get_client_list(self) -> list[dict[str, Any]]:
        return await self._take("get_client_list")

    async def _take(self, name: str) -> Any:
        ahead = self._ahead.pop(name, None)
        if ahead is None:
            return await getattr(self._api, name)()
        return await ahead

    async def aclose(self) -> None:
        """Stop the reads no one took (a plan that failed before it needed them)."""
        ahead, self._ahead = list(self._ahead.values()), {}
        await settle(*ahead)


class Reads:
    """The reads of one plan, started before all that decides them is known.

    A plan may start reading from state alone while the configuration still loads (which
    clients exist, which had their fields managed, whether groups matter), then `finish`
    with what the configuration says: reads it did not guess are made then, and answers it
    no longer wants are dropped, so the view is exactly the one reading from the final
    sets gives.
    """

    def __init__(self, api: Any, *, on_progress: Any = None,
                 client_read: ClientRead | None = None, clients_at_once: int = 32) -> None:
        self.api = api
        # Clients read at once: enough to keep every connection busy, few enough that a read
        # asked for later (the catalog, late field data) waits behind a handful, not all.
        self._clients_at_once = asyncio.Semaphore(clients_at_once)
        self.view = LiveView()
        self._on_progress = on_progress
        self._client_read = client_read
        self._listed: asyncio.Future[list[int]] | None = None  # the clients that exist
        self._groups: asyncio.Future[Any] | None = None
        self._tasks: list[asyncio.Future[Any]] = []
        self._fields_read: set[int] = set()
        self._picked: set[int] = set()  # clients `also_read` picked: their fields are wanted

    def start(self, *, read_groups: bool, client_uids: set[int], field_uids: set[int],
              also_read: AlsoRead | None = None) -> None:
        if read_groups:
            self._groups = asyncio.ensure_future(self.api.get_client_groups())
        self._listed = asyncio.ensure_future(self._list_and_read(client_uids, field_uids, also_read))

    async def listed(self) -> None:
        """Once the client list is in and every client's reads are queued."""
        assert self._listed is not None, "start() first"
        await asyncio.shield(self._listed)

    async def _list_and_read(self, client_uids: set[int], field_uids: set[int],
                             also_read: AlsoRead | None) -> list[int]:
        view = self.view
        view.clients = {int(r["ClientUID"]): r for r in await self.api.get_client_list()}
        if also_read is not None:
            self._picked = {uid for uid, row in view.clients.items() if also_read(row)}
            client_uids, field_uids = client_uids | self._picked, field_uids | self._picked
        existing = sorted(uid for uid in client_uids if uid in view.clients)
        self._fields_read.update(uid for uid in existing if uid in field_uids)
        self._tasks += [asyncio.ensure_future(self._read_client(uid, uid in field_uids))
                        for uid in existing]
        return existing

    async def _read_client(self, uid: int, with_fields: bool) -> None:
        async with self._clients_at_once:
            accounts, fields = await asyncio.gather(
                self.api.get_client_accounts(uid),
                self.api.get_client_data(uid) if with_fields else _none(),
            )
        view = self.view
        view.accounts[uid] = accounts
        if fields is not None:
            view.client_fields[uid] = fields
        seen: dict[int, dict[str, Any]] = {}
        for account in accounts:
            details = account.get("DeliveryDetails")
            if details and int(details.get("ClientDeliveryUID", 0)) > 0:
                method_uid = int(details["ClientDeliveryUID"])
                prior = seen.get(method_uid)
                if prior is not None and prior is not details and prior == details:
                    # Every account repeats its method whole: keep one copy in memory (the
                    # decoder already shares the copies of one answer that are the same text).
                    account["DeliveryDetails"] = details = prior
                seen[method_uid] = details
                view.methods[method_uid] = details
        if self._client_read is not None:
            await self._client_read(view, uid)
        if self._on_progress:
            self._on_progress()

    async def finish(self, *, read_groups: bool, field_uids: set[int]) -> LiveView:
        """The view once every read is in, for the final wish: groups read if they matter,
        field data for exactly the clients in `field_uids` (and those `also_read` picked)
        that exist."""
        assert self._listed is not None, "start() first"
        if read_groups and self._groups is None:
            self._groups = asyncio.ensure_future(self.api.get_client_groups())
        existing = await self._listed
        field_uids = field_uids | self._picked
        late = [uid for uid in existing if uid in field_uids and uid not in self._fields_read]
        self._fields_read.update(late)
        late_fields = asyncio.gather(*(self.api.get_client_data(uid) for uid in late))
        self._tasks.append(late_fields)
        await asyncio.gather(*self._tasks)
        view = self.view
        for uid, fields in zip(late, late_fields.result(), strict=True):
            view.client_fields[uid] = fields
        for uid in [uid for uid in view.client_fields if uid not in field_uids]:
            del view.client_fields[uid]  # read on a guess the configuration did not confirm
        if read_groups:
            assert self._groups is not None
            view.groups = {int(r["ClientGroupUID"]): r for r in await self._groups}
        return view

    async def aclose(self) -> None:
        """Stop what is still running (after a failure): see `settle`."""
        await settle(*(t for t in (self._listed, self._groups, *self._tasks) if t is not None))


async def settle(*tasks: asyncio.Future[Any]) -> None:
    """Cancel what is still running after a failure and wait for it, so no read outlives the
    plan and no task's error goes unretrieved."""
    for task in tasks:
        if not task.done():
            task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def _none() -> None:
    return None
