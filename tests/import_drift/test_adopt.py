"""`apply --adopt` after state was lost: matched objects land in state, changed or not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lexsync.errors import ConfigError
from tests.engine.conftest import BASE_CONFIG, Harness


def test_apply_adopt_records_unchanged_and_updated_objects(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    harness.write(BASE_CONFIG)
    harness.apply()
    state_file = tmp_path / ".lexsync" / "state.json"
    ids = {a: r["remote_id"] for a, r in json.loads(state_file.read_text())["resources"].items()}
    for path in state_file.parent.iterdir():
        path.unlink()
    harness.write(BASE_CONFIG.replace("price: 25", "price: 27"))
    writes = harness.api.writes()
    # With state lost, nothing knows the account's AlternatePosting or offer: no write.
    with pytest.raises(ConfigError, match="alternate_posting is unknown"):
        harness.apply(adopt=True)
    assert harness.api.writes() == writes
    harness.write(BASE_CONFIG.replace("price: 25", "price: 27\n        alternate_posting: ~\n"
                                                   "        offer: none"))
    plan, result = harness.apply(adopt=True)
    assert [(c.address, c.action.value) for c in plan.actionable] == [
        ("client.acme.delivery_account.ca", "update")]
    assert harness.api.writes() == writes + 1 and not result.failed
    recorded = json.loads(state_file.read_text())["resources"]
    assert {a: r["remote_id"] for a, r in recorded.items()} == ids
    assert recorded["client.acme.delivery_method.post"]["sub_ids"]  # in place from now on
    assert not harness.plan().has_changes  # no --adopt needed any more
