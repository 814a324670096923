"""A targeted plan expands only the clients its targets name: another client's configuration
costs it nothing, and a problem there does not stop it (a full plan reports it)."""

from __future__ import annotations

import asyncio
import json

import pytest

from lexsync.errors import ConfigError
from tests.engine.conftest import BASE_CONFIG, Harness

TWO_CLIENTS = BASE_CONFIG + """
  zeta:
    username: zeta-portal
    password: ${env:PW}
    fields: {Company: Zeta}
"""
# A client field LeadExec does not have: found when zeta is expanded, not when it is validated.
ZETA_BROKEN = TWO_CLIENTS.replace("fields: {Company: Zeta}", "fields: {NoSuchField: Zeta}")


def test_a_targeted_plan_does_not_expand_other_clients(harness: Harness) -> None:
    harness.write(TWO_CLIENTS)
    harness.apply()
    harness.write(ZETA_BROKEN.replace("price: 25", "price: 30"))
    plan = harness.plan(targets=("client.acme.delivery_account.ca",))
    assert [(c.address, c.action.value) for c in plan.actionable] == [
        ("client.acme.delivery_account.ca", "update")]
    assert {c.address.split(".")[1] for c in plan.changes if c.address.startswith("client.")} \
        == {"acme"}


def test_the_full_plan_still_expands_every_client(harness: Harness) -> None:
    harness.write(TWO_CLIENTS)
    harness.apply()
    harness.write(ZETA_BROKEN)
    with pytest.raises(ConfigError, match="NoSuchField"):
        harness.plan()
    with pytest.raises(ConfigError, match="NoSuchField"):
        harness.plan(targets=("client.zeta",))


def test_a_group_target_expands_no_client(harness: Harness) -> None:
    harness.write(TWO_CLIENTS)
    harness.apply()
    harness.write(ZETA_BROKEN.replace("Premium buyers", "Premium buyers (all)"))
    plan = harness.plan(targets=("client_group.premium",))
    assert [(c.address, c.action.value) for c in plan.actionable] == [
        ("client_group.premium", "update")]


def test_a_targeted_plan_builds_only_its_clients_state_records(harness: Harness) -> None:
    harness.write(TWO_CLIENTS)
    harness.apply()
    _bundle, state = asyncio.run(harness.session(targets=("client.zeta",)).plan())
    assert len(state.resources) == 5 and state.resources.decoded == 1  # client.zeta only
    _bundle, state = asyncio.run(harness.session().plan())
    assert state.resources.decoded == 5


def test_a_targeted_apply_writes_the_other_records_as_they_were(harness: Harness) -> None:
    harness.write(TWO_CLIENTS)
    harness.apply()
    path = harness.dir / ".lexsync" / "state.json"
    before = json.loads(path.read_text(encoding="utf-8"))["resources"]
    harness.write(TWO_CLIENTS.replace("fields: {Company: Zeta}", "fields: {Company: Zeta Co}"))
    harness.apply(targets=("client.zeta",))
    after = json.loads(path.read_text(encoding="utf-8"))["resources"]
    assert after["client.zeta"]["attributes"]["fields"]["Company"] == "Zeta Co"
    assert {a: r for a, r in after.items() if a != "client.zeta"} == \
        {a: r for a, r in before.items() if a != "client.zeta"}
