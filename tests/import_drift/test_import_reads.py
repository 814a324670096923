"""What `import --client` reads, and when: the catalog travels beside the clients' reads."""

from __future__ import annotations

import asyncio
from typing import Any

from lexsync.engine.importer import read_for_import
from lexsync.resources.catalog import Catalog
from tests.engine.fake_api import FakeApi


def test_the_catalog_is_read_beside_the_chosen_clients_not_after_them() -> None:
    api = FakeApi()
    api.clients[100] = {"ClientUID": 100, "Status": "Active", "Username": "acme-portal"}
    api.clients[101] = {"ClientUID": 101, "Status": "Active", "Username": "zeta-portal"}
    events: list[str] = []
    accounts, fields = api.get_client_accounts, api.get_lead_fields

    async def slow_accounts(uid: int) -> list[dict[str, Any]]:
        await asyncio.sleep(0.05)
        events.append(f"accounts {uid}")
        return await accounts(uid)

    async def noted_fields(uid: int) -> list[dict[str, Any]]:
        events.append("lead fields")
        return await fields(uid)

    api.get_client_accounts = slow_accounts  # type: ignore[method-assign]
    api.get_lead_fields = noted_fields  # type: ignore[method-assign]
    catalog = Catalog()
    view, chosen = asyncio.run(read_for_import(api, catalog, ("acme-portal",), False, {}))
    assert chosen == [100] and set(view.accounts) == {100}
    assert events.index("lead fields") < events.index("accounts 100")
    assert set(catalog.lead_fields) == {1, 2} and catalog.states  # the whole catalog, still
    assert api.calls["GetLeadTypes"] == 1 and api.calls["GetClientAccounts"] == 1
