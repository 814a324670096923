"""A saved plan applies only to the state it was made from: same lineage, serial and content.
An edit of the state file that kept its serial (by hand, by another tool) makes it stale."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lexsync.engine.planfile import check_not_stale, load_plan, save_plan
from lexsync.errors import PlanStaleError
from tests.engine.conftest import BASE_CONFIG, Harness

ACCOUNT = "client.acme.delivery_account.ca"


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    h = Harness(tmp_path)
    h.write(BASE_CONFIG)
    h.apply()
    h.write(BASE_CONFIG.replace("price: 25", "price: 30"))
    return h


def _edit_state(harness: Harness, edit) -> None:
    path = harness.dir / ".lexsync" / "state.json"
    data = json.loads(path.read_text())
    serial = data["serial"]
    edit(data)
    assert data["serial"] == serial
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def test_a_saved_plan_is_stale_after_the_state_content_changed_with_the_same_serial(
        harness: Harness, tmp_path: Path) -> None:
    save_plan(harness.plan(), tmp_path / "plan.json")
    saved = load_plan(tmp_path / "plan.json")
    check_not_stale(saved, harness.plan())  # unchanged: fresh

    def renumber_criteria(data: dict) -> None:
        sub_ids = data["resources"][ACCOUNT]["sub_ids"]
        for name in sub_ids:
            sub_ids[name] += 1000

    _edit_state(harness, renumber_criteria)
    with pytest.raises(PlanStaleError, match=r"the state's content changed since \(its serial "
                                             r"did not\)"):
        check_not_stale(saved, harness.plan())


def test_a_plan_saved_without_a_state_digest_is_refused(harness: Harness, tmp_path: Path) -> None:
    save_plan(harness.plan(), tmp_path / "plan.json")
    data = json.loads((tmp_path / "plan.json").read_text())
    del data["state_digest"]
    (tmp_path / "plan.json").write_text(json.dumps(data))
    with pytest.raises(PlanStaleError, match="saved by an older lexsync"):
        check_not_stale(load_plan(tmp_path / "plan.json"), harness.plan())
