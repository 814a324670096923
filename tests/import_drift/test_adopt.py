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


def test_adoption_observes_each_clients_candidates_once_a_plan(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Each desired client looked at every live client (observing each): quadratic, hours at
    # 10,000 buyers. Candidates are observed once per kind and client a plan.
    from lexsync.resources import registry

    clients = ["acme", "bolt", "crane"]
    text = BASE_CONFIG.split("clients:\n")[0] + "clients:\n" + "".join(
        BASE_CONFIG.split("clients:\n")[1].replace("acme", key) for key in clients).replace(
        "price: 25", "price: 25\n        alternate_posting: ~\n        offer: none")
    harness = Harness(tmp_path)
    harness.write(text)
    harness.apply()
    for path in (tmp_path / ".lexsync").iterdir():
        path.unlink()
    asked: list[tuple[str, str | None]] = []
    for kind in registry.KINDS:
        real = kind.live_candidates

        def counted(view, ctx, client_key, kind=kind, real=real):  # type: ignore[no-untyped-def]
            asked.append((kind.kind, client_key))
            return real(view, ctx, client_key)

        monkeypatch.setattr(kind, "live_candidates", counted)
    plan = harness.plan(adopt=True)
    assert sorted(asked) == sorted(
        [("client_group", None), ("client", None)]
        + [(kind, key) for key in clients for kind in ("delivery_method", "delivery_account")])
    # Every object was adopted, not created.
    assert not [c.address for c in plan.changes if c.action.value == "create"]
