"""Read the live objects that state or the YAML name, concurrently, each once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from lexsync.resources.live import LiveView


async def refresh(api: Any, *, read_groups: bool, client_uids: set[int], field_uids: set[int],
                  on_progress: Any = None,
                  also_read: Callable[[dict[str, Any]], bool] | None = None,
                  client_read: Callable[[LiveView, int], Awaitable[None]] | None = None) -> LiveView:
    """One GetClientList, GetClientGroups if groups matter, then per named client its accounts
    (which carry the methods) and, when fields are managed, its field data. `also_read` picks
    further clients, with their field data, from the client list (adoption by username).
    `client_read` is awaited as soon as one client's reads are in."""
    view = LiveView()
    group_task = api.get_client_groups() if read_groups else None
    client_rows, group_rows = await asyncio.gather(
        api.get_client_list(), group_task if group_task is not None else _none()
    )
    view.clients = {int(r["ClientUID"]): r for r in client_rows}
    view.groups = {int(r["ClientGroupUID"]): r for r in (group_rows or [])}
    if also_read is not None:
        extra = {uid for uid, row in view.clients.items() if also_read(row)}
        client_uids, field_uids = client_uids | extra, field_uids | extra
    existing = sorted(uid for uid in client_uids if uid in view.clients)

    async def read_client(uid: int) -> None:
        accounts, fields = await asyncio.gather(
            api.get_client_accounts(uid),
            api.get_client_data(uid) if uid in field_uids else _none(),
        )
        view.accounts[uid] = accounts
        if fields is not None:
            view.client_fields[uid] = fields
        seen: dict[int, dict[str, Any]] = {}
        for account in accounts:
            details = account.get("DeliveryDetails")
            if details and int(details.get("ClientDeliveryUID", 0)) > 0:
                method_uid = int(details["ClientDeliveryUID"])
                if seen.get(method_uid) == details:
                    # Every account repeats its method whole: keep one copy in memory.
                    account["DeliveryDetails"] = details = seen[method_uid]
                seen[method_uid] = details
                view.methods[method_uid] = details
        if client_read is not None:
            await client_read(view, uid)
        if on_progress:
            on_progress()

    await asyncio.gather(*(read_client(uid) for uid in existing))
    return view


async def _none() -> None:
    return None
