"""Read the live objects that state or the YAML name, concurrently, each once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

from lexsync.api.protocol import LeadExecReads
from lexsync.resources.live import LiveView

AlsoRead = Callable[[dict[str, Any]], bool]
# Clients read at once: more than the API client lets call at once (`parallelism`, at most 64
# in the configuration), so none of its connections waits for a read to start; and no more,
# as each read started holds its task, its request and its place in the API client's queue
# (at 10,000 buyers, all started at once held ~140 MB while they waited).
READERS = 64


async def refresh(api: LeadExecReads, *, read_groups: bool, client_uids: set[int], field_uids: set[int],
                  on_progress: Callable[[], None] | None = None,
                  also_read: AlsoRead | None = None, view: LiveView | None = None,
                  on_read: Callable[[int | None], None] | None = None,
                  order: Sequence[int] = (),
                  admit: Callable[[int, int], Awaitable[None]] | None = None) -> LiveView:
    """GetClientGroups if groups matter and one GetClientList, then per named client that
    exists its accounts (which carry the methods) and, for `field_uids`, its field data.
    `also_read` picks further clients, with their field data, from the client list (adoption
    by username). Fills `view` when given; `on_read` is told None once the groups and the
    client list are in, then each client's ID once its answers are (a plan made as they come).

    The clients are read `READERS` at a time, those of `order` first in its order, the others
    by ID: how many calls are in flight is the API client's connection limit. `admit(place,
    uid)`, when given, returns once the `place`-th client's read may start (a plan made as
    its answers come keeps its reads near its expansion: `ready.ReadsAhead`).

    When nothing needs the client list first (no `also_read`, `on_read` or `admit`) and the
    clients are at most `READERS` (a targeted plan, an apply's read-back), their reads go out
    beside the list's rather than after it, a round trip sooner (`_read_beside_the_list`)."""
    view = LiveView() if view is None else view
    if also_read is None and on_read is None and admit is None and len(client_uids) <= READERS:
        return await _read_beside_the_list(api, view, read_groups, client_uids, field_uids,
                                           on_progress)
    await _read_lists(api, view, read_groups)
    if on_read is not None:
        on_read(None)
    if also_read is not None:
        picked = {uid for uid, row in view.clients.items() if also_read(row)}
        client_uids, field_uids = client_uids | picked, field_uids | picked
    first = [uid for uid in dict.fromkeys(order) if uid in client_uids]
    rest = sorted(client_uids.difference(first))
    to_read = [uid for uid in (*first, *rest) if uid in view.clients]

    async def read(place: int, uid: int) -> None:
        if admit is not None:
            await admit(place, uid)
        await read_client(api, view, uid, uid in field_uids, on_progress, on_read)

    await in_turn(to_read, read)
    return view


async def in_turn(uids: Sequence[int], read: Callable[[int, int], Awaitable[None]]) -> None:
    """`read(place, uid)` of each client, in order, `READERS` at a time; on a failure no
    further read starts (`gather_all`)."""
    pending = enumerate(uids)

    async def reader() -> None:
        for place, uid in pending:  # the next client no other reader took
            await read(place, uid)

    await gather_all(*(reader() for _ in range(min(READERS, len(uids)))))


async def read_client_fields(api: LeadExecReads, view: LiveView, uids: Sequence[int]) -> None:
    """These clients' field data alone (GetClientData), `READERS` at a time."""

    async def read(place: int, uid: int) -> None:
        view.client_fields[uid] = await api.get_client_data(uid)

    await in_turn(uids, read)


async def gather_all(*awaitables: Awaitable[Any]) -> list[Any]:
    """`asyncio.gather`, except that on the first failure the rest are cancelled and waited
    for: no read outlives the plan, and none's error goes unretrieved."""
    tasks = [asyncio.ensure_future(awaitable) for awaitable in awaitables]
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        await _cancel_and_wait(tasks)
        raise


async def read_client(api: LeadExecReads, view: LiveView, uid: int, with_fields: bool,
                      on_progress: Callable[[], None] | None = None,
                      on_read: Callable[[int | None], None] | None = None) -> None:
    """One client's accounts (with their methods) and, `with_fields`, its field data."""
    accounts, fields = await _client_answers(api, uid, with_fields)
    _record_client(view, uid, accounts, fields)
    if on_progress is not None:
        on_progress()
    if on_read is not None:
        on_read(uid)


ClientAnswers = tuple[list[dict[str, Any]], "list[dict[str, Any]] | None"]


async def _client_answers(api: LeadExecReads, uid: int, with_fields: bool) -> ClientAnswers:
    """A client's accounts and, `with_fields`, its field data, as answered."""
    accounts, fields = await gather_all(
        api.get_client_accounts(uid), api.get_client_data(uid) if with_fields else _nothing())
    return accounts, fields


def _record_client(view: LiveView, uid: int, accounts: list[dict[str, Any]],
                   fields: list[dict[str, Any]] | None) -> None:
    """A client's answers into `view`: its accounts, field data and the methods they carry."""
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
                # Every account repeats its method whole: keep one copy in memory.
                account["DeliveryDetails"] = details = prior
            seen[method_uid] = details
            view.methods[method_uid] = details


async def _read_lists(api: LeadExecReads, view: LiveView, read_groups: bool) -> None:
    """GetClientGroups if groups matter, and GetClientList, into `view`."""
    groups, clients = await gather_all(
        api.get_client_groups() if read_groups else _nothing(), api.get_client_list())
    if groups is not None:
        view.groups = {int(row["ClientGroupUID"]): row for row in groups}
    view.clients = {int(row["ClientUID"]): row for row in clients}
    view.clients_listed = True


async def _read_beside_the_list(api: LeadExecReads, view: LiveView, read_groups: bool,
                                client_uids: set[int], field_uids: set[int],
                                on_progress: Callable[[], None] | None) -> LiveView:
    """The lists and each client's reads at once. A client's answers are kept once the list
    shows it; the reads of a client it does not show (deleted in LeadExec) are stopped, and
    what they answered or how they failed is dropped. No read outlives the call, whatever
    ends it (a failure, a cancellation)."""
    # Started first, the lists' calls are first to be let through the API client's connection
    # limit (it admits calls in the order they are made).
    lists = asyncio.ensure_future(_read_lists(api, view, read_groups))
    ahead = {uid: asyncio.ensure_future(_client_answers(api, uid, uid in field_uids))
             for uid in sorted(client_uids)}
    try:
        await lists
        for uid, task in ahead.items():
            if uid not in view.clients:
                task.cancel()
        to_read = [uid for uid in ahead if uid in view.clients]
        answers = await gather_all(*(ahead[uid] for uid in to_read))
    finally:
        await _cancel_and_wait([lists, *ahead.values()])
    for uid, (accounts, fields) in zip(to_read, answers, strict=True):
        _record_client(view, uid, accounts, fields)
        if on_progress is not None:
            on_progress()
    return view


async def _cancel_and_wait(tasks: Iterable[asyncio.Future[Any]]) -> None:
    """Cancel those of these tasks still running and wait for all: every outcome retrieved,
    and dropped."""
    tasks = list(tasks)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def _nothing() -> None:
    return None
