"""A plan's digests are computed when first read, and are those of what the plan saw."""

from __future__ import annotations

from typing import Any

import pytest

import lexsync.engine.planner as planner
from lexsync.engine import aio
from lexsync.engine.plan import Plan
from lexsync.engine.planfile import check_not_stale
from tests.engine.conftest import BASE_CONFIG, Harness


def planned(harness: Harness) -> Any:
    # aio.run, as the command line: asyncio.run would repr() the plan, digests included.
    bundle, _ = aio.run(harness.session().plan())
    return bundle


def test_digests_cover_every_live_and_desired_value_the_plan_saw(harness: Harness) -> None:
    harness.apply()
    bundle = planned(harness)
    live = {s.change.address: s.live.attrs for s in bundle.steps if s.live is not None}
    desired = {s.change.address: s.desired.attrs for s in bundle.steps if s.desired is not None}
    assert len(live) == len(desired) == 4
    assert bundle.plan.live_digest == planner.digest(live)
    assert bundle.plan.desired_digest == planner.digest(desired)


def test_digests_are_computed_only_when_read_and_only_once(harness: Harness,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    harness.apply()
    calls: list[Any] = []
    real = planner.digest

    def counting(value: Any) -> str:
        calls.append(value)
        return real(value)

    monkeypatch.setattr(planner, "digest", counting)
    plan = planned(harness).plan
    assert calls == []
    first = plan.live_digest
    assert len(calls) == 1
    assert plan.live_digest == first
    assert len(calls) == 1
    saved = plan.to_dict()
    assert len(calls) == 2  # the desired digest
    assert (saved["live_digest"], saved["desired_digest"]) == (first, plan.desired_digest)
    assert len(calls) == 2


def test_an_apply_leaves_the_values_the_digests_cover_alone(harness: Harness) -> None:
    """The digests of the plan apply ran, read afterwards, equal those of the same plan read
    before anything was sent: apply changes nothing a plan's digests are computed from."""
    harness.apply()
    harness.write(BASE_CONFIG.replace("price: 25", "price: 30").replace(
        "California: CA", "California: Calif"))
    before = harness.plan()
    expected = (before.live_digest, before.desired_digest)
    applied, result = harness.apply()
    assert result is not None and not result.failed and len(result.succeeded) == 2
    assert (applied.live_digest, applied.desired_digest) == expected
    assert applied == before


def test_a_saved_plan_keeps_its_digests_and_applies_while_nothing_changed(harness: Harness) -> None:
    harness.apply()
    harness.write(BASE_CONFIG.replace("price: 25", "price: 30"))
    plan = harness.plan()
    saved = Plan.from_dict(plan.to_dict())
    assert (saved.live_digest, saved.desired_digest) == (plan.live_digest, plan.desired_digest)
    assert saved == plan
    check_not_stale(saved, harness.plan())
