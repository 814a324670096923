"""The steps of methods and accounts are made while the reads go on; the planner takes
them, and its plan is the one it would have made itself."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import replace
from typing import Any

import pytest

import lexsync.engine.session as session_module
import lexsync.engine.steps as steps_module
from lexsync.engine.observe import EarlyObserver
from lexsync.engine.plan import AttributeChange
from lexsync.engine.planner import build_plan
from lexsync.resources.base import Context, Desired, Live
from lexsync.resources.catalog import Catalog
from lexsync.resources.live import LiveView
from lexsync.resources.registry import KINDS
from lexsync.state.document import ResourceState, StateDocument
from tests.engine.conftest import BASE_CONFIG, Harness


def _changed_both_ways(harness: Harness) -> None:
    """A price the YAML changes and a URL changed by hand in LeadExec."""
    harness.apply()
    harness.write(BASE_CONFIG.replace("price: 25", "price: 30"))
    for method in harness.api.methods.values():
        method["DeliveryAddress"] = "https://acme.example/elsewhere"


def _planner_steps(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The addresses whose steps the planner makes itself (inside build_plan)."""
    made: list[str] = []
    planning = [False]
    real_step_for, real_build_plan = steps_module.step_for, session_module.build_plan

    def step_for(kind: Any, desired: Desired, *args: Any) -> Any:
        if planning[0]:
            made.append(desired.address)
        return real_step_for(kind, desired, *args)

    def build_plan(*args: Any, **kwargs: Any) -> Any:
        planning[0] = True
        try:
            return real_build_plan(*args, **kwargs)
        finally:
            planning[0] = False

    monkeypatch.setattr(steps_module, "step_for", step_for)
    monkeypatch.setattr("lexsync.engine.planner.step_for", step_for)
    monkeypatch.setattr("lexsync.engine.observe.step_for", step_for)
    monkeypatch.setattr(session_module, "build_plan", build_plan)
    return made


@pytest.mark.parametrize("accounts_read", ["before expansion", "after expansion"])
def test_the_planner_takes_the_steps_made_while_reading(
        harness: Harness, monkeypatch: pytest.MonkeyPatch, accounts_read: str) -> None:
    _changed_both_ways(harness)
    monkeypatch.setattr(EarlyObserver, "prepare_steps", lambda self, desired: None)
    alone = harness.plan().to_dict()
    monkeypatch.undo()

    if accounts_read == "after expansion":
        # The accounts answer arrives only once the configuration is expanded, so its
        # objects' steps are made as they are observed rather than all at once.
        expanded = threading.Event()
        real_expand = session_module.Session._expand
        real_accounts = harness.api.get_client_accounts

        def expand(self: Any, ctx: Context) -> Any:
            try:
                return real_expand(self, ctx)
            finally:
                expanded.set()

        async def late_accounts(uid: int) -> list[dict]:
            while not expanded.is_set():
                await asyncio.sleep(0.005)
            return await real_accounts(uid)

        monkeypatch.setattr(session_module.Session, "_expand", expand)
        monkeypatch.setattr(harness.api, "get_client_accounts", late_accounts)
    made = _planner_steps(monkeypatch)
    early = harness.plan()
    assert early.to_dict() == alone
    changed = {c.address: [a.path for a in c.changes] for c in early.changes if c.changes}
    assert changed == {"client.acme.delivery_method.post": ["url"],
                       "client.acme.delivery_account.ca": ["price"]}
    # Only the group and the client were left for the planner.
    assert sorted(made) == ["client.acme", "client_group.premium"]


def test_a_step_made_from_other_objects_is_not_taken() -> None:
    kind = next(k for k in KINDS if k.kind == "delivery_account")
    ctx = Context(catalog=Catalog(), dialect="rest", hash_secret="salt")
    desired = Desired("client.a.delivery_account.x", kind.kind, "x", {"price": 30.0},
                      client="a")
    live = Live(7, {}, {"price": 25.0})
    record = ResourceState(desired.address, kind.kind, 7, parent_id=1)
    state = StateDocument(lineage="l", resources={desired.address: record})
    view = LiveView()

    def planned(prepared: dict[str, Any]) -> list[str]:
        bundle = build_plan({kind.kind: [desired]}, state, view, ctx,
                            observed={desired.address: live}, prepared=prepared)
        return [c.path for c in bundle.steps[0].change.changes]

    marker = steps_module.step_for(kind, desired, live, record, None, ctx)
    marker.change.changes = [AttributeChange("marker", 1, 2)]
    assert planned({}) == ["price"]
    assert planned({desired.address: marker}) == ["marker"]
    # The same values in other objects: made from another configuration, read or state.
    for other in (replace(marker, desired=replace(desired)), replace(marker, live=replace(live)),
                  replace(marker, previous=replace(record))):
        assert planned({desired.address: other}) == ["price"]


def test_a_growing_catalog_drops_the_steps_with_the_observations() -> None:
    ctx = Context(catalog=Catalog(), dialect="rest", hash_secret="salt")
    kind = next(k for k in KINDS if k.kind == "delivery_account")
    desired = Desired("client.a.delivery_account.x", kind.kind, "x", {"price": 30.0})
    record = ResourceState(desired.address, kind.kind, 7, parent_id=1)
    loop = asyncio.new_event_loop()
    observer = EarlyObserver(StateDocument(lineage="l", resources={desired.address: record}),
                             ctx, loop.create_future())
    loop.close()
    observer.observed[desired.address] = Live(7, {}, {"price": 25.0})
    observer.prepare_steps([desired])
    assert [c.path for c in observer.prepared[desired.address].change.changes] == ["price"]
    observer.forget()
    assert observer.prepared == {} and observer.observed == {}
