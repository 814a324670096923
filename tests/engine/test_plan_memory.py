"""What a plan keeps of the network: the answers of what it writes, one copy of each value
LeadExec holds as the YAML says it, and nothing a write would need is let go."""

from __future__ import annotations

import asyncio

import pytest

from lexsync.engine.plan import Action
from lexsync.engine.planner import PlanBundle
from lexsync.engine.session import Session
from lexsync.engine.steps import alike, shared
from tests.engine.conftest import BASE_CONFIG, Harness

TWO_CLIENTS = BASE_CONFIG + """
  zeta:
    username: zeta-portal
    password: ${env:PW}
    delivery_methods:
      hook:
        type: http_post
        lead_type: Auto Insurance
        url: https://zeta.example/leads
    delivery_accounts:
      all:
        method: hook
        price: 10
"""


def planned(harness: Harness) -> tuple[Session, PlanBundle]:
    session = harness.session()
    bundle, _state = asyncio.run(session.plan())
    return session, bundle


def test_a_plan_lets_go_of_the_answers_it_will_not_write(harness: Harness) -> None:
    harness.write(TWO_CLIENTS)
    harness.apply()
    harness.write(TWO_CLIENTS.replace("price: 10", "price: 12"))
    session, bundle = planned(harness)
    by_address = {s.change.address: s for s in bundle.steps}
    changed = by_address["client.zeta.delivery_account.all"]
    assert changed.change.action is Action.UPDATE
    assert changed.live is not None and changed.live.wire and not changed.live.released
    unchanged = by_address["client.acme.delivery_account.ca"]
    assert unchanged.live is not None and unchanged.live.released and unchanged.live.wire == {}
    # Still compared and shown: its values stay, only the raw answer goes.
    assert unchanged.change.before is not None and unchanged.change.before["price"] == 25
    view = session.last_view
    assert view is not None
    kept = [row["ClientAccountUID"] for rows in view.accounts.values() for row in rows]
    assert kept == [changed.live.remote_id]
    # Its method is unchanged: let go by the view, its answer stays as the account holds it.
    assert view.methods == {} and changed.live.wire["DeliveryDetails"]["Name"] == "hook"
    assert by_address["client.zeta.delivery_method.hook"].live.released  # type: ignore[union-attr]


def test_what_depends_on_a_change_keeps_its_answer(harness: Harness) -> None:
    # A method that changes may take its accounts along (a new lead type moves their
    # criteria): their answers are kept for the write.
    harness.write(TWO_CLIENTS)
    harness.apply()
    harness.write(TWO_CLIENTS.replace("url: https://acme.example/leads",
                                      "url: https://acme.example/v2"))
    _session, bundle = planned(harness)
    by_address = {s.change.address: s for s in bundle.steps}
    assert by_address["client.acme.delivery_method.post"].change.action is Action.UPDATE
    account = by_address["client.acme.delivery_account.ca"]
    assert account.change.action is Action.NOOP
    assert account.live is not None and not account.live.released and account.live.wire


def test_a_released_answer_is_never_written_from(harness: Harness) -> None:
    harness.write(TWO_CLIENTS)
    harness.apply()
    _session, bundle = planned(harness)
    step = next(s for s in bundle.steps if s.change.address == "client.acme.delivery_account.ca")
    assert step.live is not None and step.live.released and step.desired is not None
    with pytest.raises(ValueError, match="answer was let go"):
        step.kind.build_body(step.desired, step.live, bundle.ctx, step.previous.attributes
                             if step.previous else {})


def test_an_unchanged_resource_holds_the_yaml_values_once(harness: Harness) -> None:
    harness.write(TWO_CLIENTS)
    harness.apply()
    _session, bundle = planned(harness)
    step = next(s for s in bundle.steps if s.change.address == "client.acme.delivery_method.post")
    assert step.live is not None and step.desired is not None
    assert step.live.attrs["field_mappings"] is step.desired.attrs["field_mappings"]
    assert step.live.attrs["schedule"] is step.desired.attrs["schedule"]


def test_values_are_shared_only_when_alike_in_type_too() -> None:
    desired = {"price": 25, "caps": {"day": 100, "hour": 5}, "on": True, "list": [{"a": 1}, 2]}
    live = {"price": 25.0, "caps": {"day": 100, "hour": 6, "month": 9}, "on": 1,
            "list": [{"a": 1}, 3], "date": "x"}
    out = shared(live, desired)
    assert out == live and alike(out, live)  # as read: 25.0 stays a float, 1 stays an int
    assert out["caps"]["day"] == 100 and out["list"][0] is desired["list"][0]
    assert type(out["price"]) is float and type(out["on"]) is int
    assert shared(dict(desired), desired) is desired
    assert not alike(1, True) and not alike(25, 25.0) and not alike({"a": 1}, {"a": 1.0})


def test_a_plan_lets_go_of_each_clients_models_once_expanded(harness: Harness) -> None:
    harness.write(TWO_CLIENTS)
    harness.apply()
    harness.write(TWO_CLIENTS.replace("price: 10", "price: 12"))
    session = harness.session()
    assert set(session.loaded.model.clients) == {"acme", "zeta"}
    bundle, _state = asyncio.run(session.plan())
    assert session.loaded.clients_released and session.loaded.model.clients == {}
    assert [c.address for c in bundle.plan.actionable] == ["client.zeta.delivery_account.all"]
    # Planning again with the same session reads the configuration again: the same plan.
    again, _state = asyncio.run(session.plan())
    assert [c.address for c in again.plan.actionable] == ["client.zeta.delivery_account.all"]
    assert len(again.plan.changes) == len(bundle.plan.changes)


def test_unknown_names_are_reported_in_kind_order_across_clients(harness: Harness) -> None:
    from lexsync.errors import ConfigError

    harness.write(TWO_CLIENTS.replace("lead_type: Auto Insurance", "lead_type: Boat Loans"))
    with pytest.raises(ConfigError) as raised:
        planned(harness)
    summaries = [d.summary for d in raised.value.diagnostics]
    assert summaries and all("Boat Loans" in s for s in summaries)
    # Every client's method is reported, each at its own place in the YAML.
    lines = [d.location.line for d in raised.value.diagnostics if d.location]
    assert len(lines) == len(summaries) == len(set(lines))


def test_a_plan_that_fails_expanding_plans_again_from_the_whole_configuration(
        harness: Harness) -> None:
    # Expanding lets go of each client as it goes: a failure part-way must not leave the
    # session holding a configuration with no clients, which a plan again would retire.
    from lexsync.errors import ConfigError

    harness.write(TWO_CLIENTS)
    harness.apply()
    harness.write(TWO_CLIENTS.replace("fields: {Company: Acme}", "fields: {Hull: Acme}"))
    session = harness.session()
    for _attempt in range(2):
        with pytest.raises(ConfigError) as raised:
            asyncio.run(session.plan())
        assert [d.summary for d in raised.value.diagnostics if "Hull" in d.summary]
