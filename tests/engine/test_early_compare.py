"""Methods and accounts are compared with the configuration while the reads go on; the
planner takes those comparisons, and its plan is the one it would have made itself."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

import lexsync.engine.planner as planner_module
import lexsync.engine.session as session_module
from lexsync.engine.observe import EarlyObserver
from lexsync.engine.plan import AttributeChange
from lexsync.engine.planner import _step_for
from lexsync.resources.base import Context, Desired, Live
from lexsync.resources.catalog import Catalog
from lexsync.resources.registry import KINDS
from lexsync.state.document import StateDocument
from tests.engine.conftest import BASE_CONFIG, Harness


def _changed_both_ways(harness: Harness) -> None:
    """A price the YAML changes and a URL changed by hand in LeadExec."""
    harness.apply()
    harness.write(BASE_CONFIG.replace("price: 25", "price: 30"))
    for method in harness.api.methods.values():
        method["DeliveryAddress"] = "https://acme.example/elsewhere"


def _planner_diffs(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The desired attrs of each diff the planner works out itself."""
    seen: list[dict[str, Any]] = []
    real = planner_module.diff

    def counted(desired: dict[str, Any], live: dict[str, Any], sensitive: frozenset[str]) -> Any:
        seen.append(desired)
        return real(desired, live, sensitive)

    monkeypatch.setattr(planner_module, "diff", counted)
    return seen


@pytest.mark.parametrize("accounts_read", ["before expansion", "after expansion"])
def test_the_planner_takes_the_comparisons_made_while_reading(
        harness: Harness, monkeypatch: pytest.MonkeyPatch, accounts_read: str) -> None:
    _changed_both_ways(harness)
    monkeypatch.setattr(EarlyObserver, "compare_with", lambda self, desired: None)
    alone = harness.plan().to_dict()
    monkeypatch.undo()

    if accounts_read == "after expansion":
        # The accounts answer arrives only once the configuration is expanded, so its
        # objects are compared as they are observed rather than all at once.
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
    diffs = _planner_diffs(monkeypatch)
    early = harness.plan()
    assert early.to_dict() == alone
    changed = {c.address: [a.path for a in c.changes] for c in early.changes if c.changes}
    assert changed == {"client.acme.delivery_method.post": ["url"],
                       "client.acme.delivery_account.ca": ["price"]}
    # Only the group and the client were left for the planner to compare.
    assert len(diffs) == 2 and all("price" not in d and "url" not in d for d in diffs)


def test_a_comparison_of_other_objects_is_not_taken() -> None:
    kind = next(k for k in KINDS if k.kind == "delivery_account")
    ctx = Context(catalog=Catalog(), dialect="rest", hash_secret="salt")
    desired = Desired("client.a.delivery_account.x", kind.kind, "x", {"price": 30.0})
    live = Live(7, {}, {"price": 25.0})
    marker = [AttributeChange("marker", 1, 2)]

    def changes(compared: dict[str, Any]) -> list[str]:
        step = _step_for(kind, desired, live, None, None, ctx, compared)
        return [change.path for change in step.change.changes]

    assert changes({}) == ["price"]
    assert changes({desired.address: (desired, live, marker)}) == ["marker"]
    # The same values in other objects: made from another configuration or another read.
    other_desired = Desired(desired.address, kind.kind, "x", {"price": 30.0})
    other_live = Live(7, {}, {"price": 25.0})
    assert changes({desired.address: (other_desired, live, marker)}) == ["price"]
    assert changes({desired.address: (desired, other_live, marker)}) == ["price"]


def test_a_growing_catalog_drops_the_comparisons_with_the_observations() -> None:
    ctx = Context(catalog=Catalog(), dialect="rest", hash_secret="salt")
    loop = asyncio.new_event_loop()
    observer = EarlyObserver(StateDocument(lineage="l"), ctx, loop.create_future())
    loop.close()
    kind = next(k for k in KINDS if k.kind == "delivery_account")
    desired = Desired("client.a.delivery_account.x", kind.kind, "x", {"price": 30.0})
    observer.observed[desired.address] = Live(7, {}, {"price": 25.0})
    observer.compare_with([desired])
    assert [c.path for c in observer.compared[desired.address][2]] == ["price"]
    observer.forget()
    assert observer.compared == {} and observer.observed == {}
