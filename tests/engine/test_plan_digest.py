"""A plan's digests are those of what the plan saw, and a saved plan keeps them."""

from __future__ import annotations

from typing import Any

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


def test_a_saved_plan_keeps_its_digests_and_applies_while_nothing_changed(harness: Harness) -> None:
    harness.apply()
    harness.write(BASE_CONFIG.replace("price: 25", "price: 30"))
    plan = harness.plan()
    saved = Plan.from_dict(plan.to_dict())
    assert (saved.live_digest, saved.desired_digest) == (plan.live_digest, plan.desired_digest)
    assert saved == plan
    check_not_stale(saved, harness.plan())


def test_a_digest_tells_apart_values_that_would_run_together() -> None:
    assert planner.digest({"a": "bc"}) != planner.digest({"ab": "c"})
    assert planner.digest({"a": ["b", "c"]}) != planner.digest({"a": ["b"], "c": []})
    assert planner.digest({"a": 1, "b": 2}) == planner.digest({"b": 2, "a": 1})


def test_a_plan_saved_with_digests_made_otherwise_is_refused_as_older(harness: Harness) -> None:
    import pytest

    from lexsync.errors import PlanStaleError

    harness.apply()
    plan = harness.plan()
    saved = plan.to_dict()
    assert saved["format_version"] == 2
    saved["format_version"] = 1  # an older lexsync's plan, its digests of another form
    with pytest.raises(PlanStaleError, match="saved by an older lexsync, whose digests") as caught:
        check_not_stale(Plan.from_dict(saved), harness.plan())
    assert "changed since" not in str(caught.value)
    check_not_stale(Plan.from_dict(plan.to_dict()), harness.plan())
