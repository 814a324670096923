"""A targeted plan expands only the clients its targets name: another client's configuration
costs it nothing, and a problem there does not stop it (a full plan reports it)."""

from __future__ import annotations

import asyncio
import json

import pytest

from lexsync.errors import ConfigError, LexsyncError
from lexsync.state.document import StateDocument
from lexsync.state.local import LocalBackend
from lexsync.state.records import StoredSlice
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
    # A full plan builds each twice: once to learn what to read (not kept), once to plan it.
    assert state.resources.decoded == 2 * 5


def test_a_targeted_plan_parses_only_its_clients_state_records(harness: Harness) -> None:
    # A record that would be refused when read is not even parsed by a plan targeted elsewhere
    # (state/text_index.py); a full plan, and a plan targeted at it, refuse it.
    harness.write(TWO_CLIENTS)
    harness.apply()
    path = harness.dir / ".lexsync" / "state.json"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"kind": "client",\n      "parent_id": null,\n      '
                                 '"remote_id": ' + str(json.loads(text)["resources"]
                                                       ["client.acme"]["remote_id"]),
                                 '"kind": "client_group",\n      "parent_id": null,\n      '
                                 '"remote_id": ' + str(json.loads(text)["resources"]
                                                       ["client.acme"]["remote_id"]), 1),
                    encoding="utf-8")
    assert harness.plan(targets=("client.zeta",)).has_changes is False
    with pytest.raises(LexsyncError, match="client.acme.kind 'client_group' does not match"):
        harness.plan()
    with pytest.raises(LexsyncError, match="client.acme.kind 'client_group' does not match"):
        harness.plan(targets=("client.acme",))


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


def test_a_lost_create_in_a_targeted_apply_builds_no_other_record(harness: Harness) -> None:
    # Looking for a create whose answer was lost asks which IDs state claims: a record the
    # targeted run never built (here, one it could not build) must not stop it mid-apply.
    from lexsync.errors import ApiError

    harness.write(TWO_CLIENTS)
    harness.apply()
    path = harness.dir / ".lexsync" / "state.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["resources"]["client.zeta"]["depends_on"] = "not a list"
    path.write_text(json.dumps(data), encoding="utf-8")
    original = harness.api.write_client

    async def commit_then_lose(body: dict) -> int:
        await original(body)
        raise ApiError("PATCH /v1/clients", "connection dropped", None, maybe_committed=True)

    harness.api.write_client = commit_then_lose  # type: ignore[method-assign]
    harness.write(TWO_CLIENTS + """
  gamma:
    username: gamma-portal
    password: ${env:PW}
""")
    _, result = harness.apply(targets=("client.gamma",))
    assert not result.failed
    assert len(harness.api.clients) == 3  # found by its name, not created twice
    after = json.loads(path.read_text(encoding="utf-8"))["resources"]
    assert "client.gamma" in after and after["client.zeta"]["depends_on"] == "not a list"


def test_a_plan_or_apply_of_a_target_naming_nothing_is_refused(harness: Harness) -> None:
    # "No changes" for a mistyped address would read as "nothing to do" in a pipeline.
    harness.write(TWO_CLIENTS)
    harness.apply()
    harness.write(TWO_CLIENTS.replace("price: 25", "price: 30"))
    writes = harness.api.writes()
    for target in ("client.acmee", "acme", "client.acme.delivery_account.nope"):
        with pytest.raises(LexsyncError, match=f"--target {target} names nothing"):
            harness.plan(targets=(target,))
        with pytest.raises(LexsyncError, match=f"--target {target} names nothing"):
            harness.apply(targets=(target,))
    assert harness.api.writes() == writes
    # One good target beside a bad one is still refused: the bad one would be silently dropped.
    with pytest.raises(LexsyncError, match="--target client.zetta names nothing"):
        harness.plan(targets=("client.acme", "client.zetta"))
    assert [c.address for c in harness.plan(targets=("client.acme",)).actionable] == [
        "client.acme.delivery_account.ca"]


def test_an_apply_reads_state_where_its_index_places_it_and_writes_it_whole(
        harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    harness.write(TWO_CLIENTS)
    harness.apply()
    path = harness.dir / ".lexsync" / "state.json"
    before = json.loads(path.read_text(encoding="utf-8"))["resources"]
    loads: list[tuple[bool, set[type]]] = []
    real_load = LocalBackend.load

    def load(self: LocalBackend, lazily: bool = False, by_index: bool = False) -> StateDocument:
        doc = real_load(self, lazily=lazily, by_index=by_index)
        loads.append((by_index, {type(value) for value in doc.resources._items.values()}))
        return doc

    monkeypatch.setattr(LocalBackend, "load", load)
    harness.write(TWO_CLIENTS.replace("fields: {Company: Zeta}", "fields: {Company: Zeta Co}"))
    harness.apply()
    assert (True, {StoredSlice}) in loads  # every record read at its place, none up front
    text = path.read_text(encoding="utf-8")
    monkeypatch.undo()
    assert LocalBackend(path).load().to_json() == text  # as a whole encoding writes it
    after = json.loads(text)["resources"]
    assert after["client.zeta"]["attributes"]["fields"]["Company"] == "Zeta Co"
    assert {a: r for a, r in after.items() if a != "client.zeta"} == \
        {a: r for a, r in before.items() if a != "client.zeta"}
