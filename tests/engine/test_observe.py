"""Observing live objects while the reads are still arriving changes nothing in the plan."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from lexsync.engine.observe import EarlyObserver
from lexsync.engine.planner import build_plan
from tests.engine.conftest import BASE_CONFIG, Harness

TWO_ACCOUNTS = BASE_CONFIG + """
      nv:
        method: post
        price: 12.5
        criteria:
          - {field: State, op: Equal, value: NV}
"""


def plans_with_and_without_early_observation(harness: Harness) -> tuple[Any, Any, dict[str, Any]]:
    """The same plan twice from one refresh: once with the observer's Live objects, once not."""
    session = harness.session()
    captured: dict[str, Any] = {}
    original = build_plan

    def capture(*args: Any, **kwargs: Any) -> Any:
        captured["args"], captured["kwargs"] = args, kwargs
        return original(*args, **kwargs)

    import lexsync.engine.session as session_module

    session_module.build_plan = capture  # type: ignore[assignment]
    try:
        early, _ = asyncio.run(session.plan())
    finally:
        session_module.build_plan = original  # type: ignore[assignment]
    observed = captured["kwargs"]["observed"]
    desired, state, view, ctx = captured["args"]
    ctx.ids = {address: record.remote_id for address, record in state.resources.items()}
    late = build_plan(desired, state, view, ctx)
    return early.plan, late.plan, observed


@pytest.mark.parametrize("edit", [None, ("price: 25", "price: 27"),
                                  ("California: CA", "California: Calif")])
def test_early_observation_gives_the_same_plan(harness: Harness, edit: tuple[str, str] | None) -> None:
    harness.write(TWO_ACCOUNTS)
    harness.apply()
    if edit:
        harness.write(TWO_ACCOUNTS.replace(*edit))
    [account, *_] = harness.api.accounts.values()
    account["DayMax"] = 7  # drift, seen only through the live read
    early, late, observed = plans_with_and_without_early_observation(harness)
    assert set(observed) == {"client.acme.delivery_method.post", "client.acme.delivery_account.ca",
                             "client.acme.delivery_account.nv"}
    assert early.to_dict() == late.to_dict()
    assert any(c.path == "caps.day" for change in early.actionable for c in change.changes)


def test_a_recorded_account_missing_in_leadexec_is_observed_as_missing(harness: Harness) -> None:
    harness.apply()
    harness.api.accounts.clear()
    early, late, observed = plans_with_and_without_early_observation(harness)
    assert observed["client.acme.delivery_account.ca"] is None
    assert early.to_dict() == late.to_dict()
    [account_change] = [c for c in early.actionable if c.kind == "delivery_account"]
    assert account_change.action.value == "create"


def test_observer_waits_for_the_catalog(harness: Harness) -> None:
    """Names of fields and states come from the catalog: nothing is observed before it loads."""
    harness.apply()
    session = harness.session()
    state = session.backend.load()

    async def scenario() -> tuple[int, int]:
        from lexsync.engine.refresh import refresh
        from lexsync.resources.base import Context
        from lexsync.resources.catalog import Catalog

        ctx = Context(catalog=Catalog(), dialect="rest", hash_secret=state.hash_secret)
        ctx.ids = {a: r.remote_id for a, r in state.resources.items()}
        loaded: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        observer = EarlyObserver(state, ctx, loaded)
        uid = ctx.ids["client.acme"]
        reading = asyncio.ensure_future(refresh(harness.api, read_groups=False, client_uids={uid},
                                                field_uids=set(), client_read=observer.client_read))
        await asyncio.sleep(0.05)
        before = len(observer.observed)
        await ctx.catalog.load(harness.api, {"Auto Insurance"}, True)
        loaded.set_result(None)
        await reading
        return before, len(observer.observed)

    before, after = asyncio.run(scenario())
    assert (before, after) == (0, 2)
