"""A step that writes nothing, and depends on nothing that changes, keeps its values packed
(engine/settled.py): everything that reads them later reads what an unpacked step holds."""

from __future__ import annotations

import asyncio
import dataclasses
import marshal
import zlib
from typing import Any

import pytest

from lexsync.engine.plan import SENSITIVE, Action, ResourceChange
from lexsync.engine.settled import SettledValues, Values
from lexsync.engine.steps import Step
from lexsync.state.records import StoredSlice
from lexsync.state.secret_hash import SecretHash
from tests.engine.conftest import BASE_CONFIG, Harness
from tests.engine.test_plan_as_answers_come import client

NETWORK = BASE_CONFIG + client("bolt") + client("cora")
# bolt's account changes: it writes, and nothing else does.
CHANGED = BASE_CONFIG + client("bolt", price=12) + client("cora")


def planned(harness: Harness, monkeypatch: pytest.MonkeyPatch, settle: bool) -> Any:
    with monkeypatch.context() as patch:
        if not settle:
            patch.setattr(Step, "settle", lambda self: None)
        return asyncio.run(harness.session().plan())


def fields(value: Any) -> Any:
    return None if value is None else dataclasses.asdict(value)


def test_settled_steps_read_as_the_steps_they_were(harness: Harness,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    harness.write(NETWORK)
    harness.apply()
    harness.write(CHANGED)
    settled, _ = planned(harness, monkeypatch, settle=True)
    unsettled, _ = planned(harness, monkeypatch, settle=False)
    assert settled.plan.to_dict() == unsettled.plan.to_dict()
    packed = {s.change.address for s in settled.steps if s._settled is not None}
    # Every no-op (each holds a secret's hash or two: the clients' passwords, the methods'
    # SMTP and FTP passwords LeadExec shows).
    assert packed == {s.change.address for s in unsettled.steps
                      if s.change.action is Action.NOOP}
    assert len(packed) == 9
    for ours, theirs in zip(settled.steps, unsettled.steps, strict=True):
        assert ours.change.address == theirs.change.address
        assert ours.change == theirs.change
        assert fields(ours.desired) == fields(theirs.desired)
        assert fields(ours.live) == fields(theirs.live)
        assert fields(ours.previous) == fields(theirs.previous)
    changing = next(s for s in settled.steps
                    if s.change.address == "client.bolt.delivery_account.all")
    assert changing.change.action is Action.UPDATE and changing._settled is None


def test_what_was_shared_is_shared_again(harness: Harness,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    harness.write(NETWORK)
    harness.apply()
    bundle, _ = planned(harness, monkeypatch, settle=True)
    step = next(s for s in bundle.steps if s.change.address == "client.cora.delivery_account.all")
    assert step._settled is not None and step.change.action is Action.NOOP
    assert step.previous is not None and step.live is not None and step.desired is not None
    # Read one after another, as every reader does: one unpacking, its objects shared as
    # they were when the step settled.
    assert step.previous.attributes is step.live.attrs
    assert step.change.before is step.change.after or step.change.before == step.live.attrs
    assert step.desired is step.desired


def test_state_keeps_a_settled_step_s_record_as_stored(harness: Harness,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    harness.write(NETWORK)
    harness.apply()
    bundle, state = planned(harness, monkeypatch, settle=True)
    stored = state.resources._items
    # Only what the plan built and kept is held built: nothing, for a no-change plan. Each
    # record stays as the state was read: its place in the file (the record index's).
    assert {s.change.address for s in bundle.steps} <= set(stored)
    assert {type(record) for record in stored.values()} == {StoredSlice}
    assert all(s.previous is not None for s in bundle.steps)


def test_a_settled_change_set_anew_keeps_its_other_side() -> None:
    step_values = Values(None, None, None, {"price": 10, "x": 1}, {"price": 10})
    settled = SettledValues.pack(step_values, frozenset(), "client")
    assert settled is not None
    change = ResourceChange("client.a", "client", Action.NOOP, "none",
                            before={"price": 10, "x": 1}, after={"price": 10})
    change.settle(settled)
    assert change.before == {"price": 10, "x": 1}
    change.before = {"price": 11}
    assert (change.before, change.after) == ({"price": 11}, {"price": 10})


def test_a_value_marshal_cannot_keep_exactly_leaves_the_step_as_it_is() -> None:
    class Text(str):
        pass

    assert SettledValues.pack(Values(None, None, None, {"name": Text("x")}, None),
                              frozenset(), "client") is None
    assert SettledValues.pack(Values(None, None, None, {"name": "x"}, None),
                              frozenset(), "client") is not None


def test_values_of_one_kind_are_packed_against_that_kind_s_first() -> None:
    def account(n: int) -> Values:
        attrs = {"price": n, "criteria": [{"field": "State", "op": "In", "value": ["CA", "NV"]}],
                 "caps": {"day": 100, "week": 400}, "url": f"https://buyer{n}.example/leads"}
        return Values(None, None, None, attrs, dict(attrs, price=n + 1))

    kind = "test_kind_never_packed_before"
    first, second = (SettledValues.pack(account(n), frozenset(), kind) for n in (1, 2))
    other = SettledValues.pack(account(3), frozenset(), "test_another_kind")
    assert first is not None and second is not None and other is not None
    alone = zlib.compress(marshal.dumps((None, None, None, *account(2)[3:])), 1)
    # What the second shares with the first is not packed again.
    assert len(second._data) < len(alone) / 2
    assert second._dictionary is first._dictionary is not other._dictionary
    for n, packed in ((1, first), (2, second), (3, other)):
        assert packed.unpacked() == account(n)


def test_a_settled_step_s_secrets_come_back_as_they_were(harness: Harness,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    harness.write(NETWORK)
    harness.apply()
    bundle, _ = planned(harness, monkeypatch, settle=True)
    steps = {s.change.address: s for s in bundle.steps}
    client, method = steps["client.cora"], steps["client.cora.delivery_method.hook"]
    assert client._settled is not None and method._settled is not None
    assert client.desired is not None and client.live is not None
    password = client.desired.attrs["password"]
    assert type(password) is SecretHash and password == client.live.attrs["password"]
    assert method.live is not None
    assert type(method.live.attrs["smtp"]["password"]) is SecretHash
    # What is shown never holds one.
    assert client.change.after is not None and client.change.after["password"] == SENSITIVE
