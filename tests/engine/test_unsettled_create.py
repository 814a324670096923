"""A create whose answer was lost: the plan looks for it as apply will, and lists what only a
person can settle, with the `lexsync state resolve` command to run."""

from __future__ import annotations

import copy

from lexsync.engine.plan import Action, Plan
from lexsync.errors import ApiError
from lexsync.render.lines import summary
from lexsync.state.ops import resolve_pending
from tests.engine.conftest import BASE_CONFIG, Harness

METHOD = "client.acme.delivery_method.post"
ACCOUNT = "client.acme.delivery_account.ca"


def lose_method_create(harness: Harness, method: str = METHOD) -> None:
    """Apply with the method's create saved by LeadExec and its answer lost."""
    api = harness.api
    original = api.write_method

    async def commit_then_lose(client_uid: int, body: dict) -> int:
        await original(client_uid, body)
        raise ApiError("PUT /v1/delivery/{ClientUID}/methods", "connection dropped", None,
                       maybe_committed=True)

    api.write_method = commit_then_lose  # type: ignore[method-assign]
    _, result = harness.apply()
    api.write_method = original  # type: ignore[method-assign]
    assert [o.address for o in result.failed] == [method]
    assert method in harness.session().backend.load().pending


def change(plan: Plan, address: str):
    [found] = [c for c in plan.changes if c.address == address]
    return found


def test_a_lost_method_create_is_listed_with_the_commands_that_settle_it(harness: Harness) -> None:
    lose_method_create(harness)
    plan = harness.plan()
    [item] = plan.unsettled
    assert (item.address, item.kind) == (METHOD, "delivery_method")
    assert "answer was lost" in item.reason and "'post'" in item.reason
    assert [r.command for r in item.resolve] == [
        f"lexsync state resolve {METHOD} --id ID", f"lexsync state resolve {METHOD} --absent"]
    assert "LeadExec has 'post'" in item.resolve[0].when
    method = change(plan, METHOD)
    assert method.action is Action.CREATE and method.reason and "unsettled" in method.reason
    assert plan.needs_attention
    assert "1 lost create is unsettled" in summary(plan)
    # Apply stops where the plan said it would, naming the same command, and sends nothing.
    writes = harness.api.writes()
    _, result = harness.apply()
    [failed] = result.failed
    assert failed.address == METHOD and item.resolve[0].command in failed.error
    assert [o.address for o in result.skipped] == [ACCOUNT]
    assert harness.api.writes() == writes


def resolve_in_state(harness: Harness, remote_id: int | None) -> None:
    """What `lexsync state resolve` does to the lost method create (None: --absent)."""
    backend = harness.session().backend
    state = backend.load()
    resolve_pending(state, METHOD, remote_id)
    backend.write(state)


def test_a_settled_lost_create_is_no_longer_listed(harness: Harness) -> None:
    lose_method_create(harness)
    [saved] = harness.api.methods
    resolve_in_state(harness, saved)
    plan = harness.plan()
    assert plan.unsettled == []
    assert [(c.address, c.action) for c in plan.actionable] == [(ACCOUNT, Action.CREATE)]


def test_a_lost_create_resolved_absent_is_planned_as_a_create(harness: Harness) -> None:
    lose_method_create(harness)
    harness.api.methods.clear()  # LeadExec did not keep it after all
    resolve_in_state(harness, None)
    plan = harness.plan()
    assert plan.unsettled == []
    assert change(plan, METHOD).reason is None
    harness.apply()
    assert len(harness.api.methods) == 1 and not harness.plan().needs_attention


def test_a_lost_method_create_an_account_shows_is_settled_as_apply_settles_it(
        harness: Harness) -> None:
    lose_method_create(harness)
    api = harness.api
    [saved] = api.methods
    # Someone made an account using it by hand: LeadExec now shows the method.
    client_uid = api.methods[saved]["ClientUID"]
    api.accounts[999] = {"ClientAccountUID": 999, "ClientUID": client_uid, "DeliveryUID": saved,
                         "Description": "by hand", "Criteria": []}
    plan = harness.plan()
    assert plan.unsettled == []
    assert f"in LeadExec as ID {saved}: apply records that ID" in (change(plan, METHOD).reason or "")
    method_writes = api.calls["PUT /v1/delivery/{ClientUID}/methods"]
    _, result = harness.apply()
    assert not result.failed, result
    state = harness.session().backend.load()
    assert state.resources[METHOD].remote_id == saved and not state.pending
    assert api.calls["PUT /v1/delivery/{ClientUID}/methods"] == method_writes  # not sent again


def test_a_lost_client_create_is_found_by_the_plan_as_by_apply(harness: Harness) -> None:
    harness.write(BASE_CONFIG.split("    delivery_methods:")[0])
    harness.apply()
    backend = harness.session().backend
    state = backend.load()
    record = state.resources.pop("client.acme")  # as if the run was killed before recording it
    state.pending["client.acme"] = {"kind": "client", "parent_id": None,
                                    "attributes": dict(record.attributes), "depends_on": []}
    backend.write(state)
    plan = harness.plan()
    assert plan.unsettled == []
    assert f"in LeadExec as ID {record.remote_id}" in (change(plan, "client.acme").reason or "")
    writes = harness.api.writes()
    harness.apply()
    assert harness.api.writes() == writes  # recorded, not sent again
    assert harness.session().backend.load().resources["client.acme"].remote_id == record.remote_id


def test_two_unclaimed_objects_with_the_key_are_unsettled_naming_both(harness: Harness) -> None:
    harness.apply()
    api = harness.api
    [old] = api.accounts
    api.accounts[old + 1000] = {**copy.deepcopy(api.accounts[old]), "ClientAccountUID": old + 1000}
    backend = harness.session().backend
    state = backend.load()
    record = state.resources.pop(ACCOUNT)
    state.pending[ACCOUNT] = {"kind": "delivery_account", "parent_id": record.parent_id,
                              "attributes": dict(record.attributes), "depends_on": []}
    backend.write(state)
    plan = harness.plan()
    [item] = plan.unsettled
    assert f"(IDs {old}, {old + 1000})" in item.reason
    assert [r.command for r in item.resolve] == [f"lexsync state resolve {ACCOUNT} --id ID"]
    _, result = harness.apply()
    [failed] = result.failed
    assert f"(IDs {old}, {old + 1000})" in failed.error and item.resolve[0].command in failed.error


def test_a_lost_create_no_longer_configured_is_listed_though_nothing_changes(
        harness: Harness) -> None:
    lose_method_create(harness)
    harness.write(BASE_CONFIG.split("    delivery_methods:")[0])
    plan = harness.plan()
    assert not plan.has_changes
    [item] = plan.unsettled
    assert item.address == METHOD and "no longer in the configuration" in item.reason
    assert plan.needs_attention
    assert not summary(plan).startswith("No changes")


def test_a_plan_targeting_elsewhere_does_not_list_it(harness: Harness) -> None:
    lose_method_create(harness)
    assert harness.plan(targets=("client_group.premium",)).unsettled == []
    assert [u.address for u in harness.plan(targets=("client.acme",)).unsettled] == [METHOD]


def test_a_saved_plan_keeps_its_unsettled_list(harness: Harness) -> None:
    lose_method_create(harness)
    plan = harness.plan()
    assert plan.unsettled and Plan.from_dict(plan.to_dict()).unsettled == plan.unsettled


def test_the_commands_that_settle_a_lost_create_run_as_printed_whatever_its_key(
        harness: Harness) -> None:
    # A YAML key may hold a space (or a `;`): the printed command quotes the address.
    import shlex

    harness.write(BASE_CONFIG.replace("      post:", "      acme post:")
                  .replace("method: post", "method: acme post"))
    lose_method_create(harness, "client.acme.delivery_method.acme post")
    [item] = harness.plan().unsettled
    assert item.address == "client.acme.delivery_method.acme post"
    for way in item.resolve:
        assert shlex.split(way.command)[3] == item.address
