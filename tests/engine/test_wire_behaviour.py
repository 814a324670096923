"""The engine under LeadExec behaviours the seed texts leave open: creates answered without
an ID, lists merged or silently dropped, omitted fields cleared -- found, explained after
the apply, remembered in state, and refused by the next plan where no write can help."""

from __future__ import annotations

import pytest

from lexsync.api.behaviour import WireBehaviour, WireSeen
from lexsync.api.protocol import SavedWithoutId
from lexsync.errors import ConfigError
from tests.engine.conftest import BASE_CONFIG, Harness


def no_ids(harness: Harness, *writes: str) -> None:
    """Make these writes save but answer no ID on a create, as the seed texts allow."""
    api = harness.api
    api.seen = WireSeen()  # type: ignore[attr-defined]
    calls = {"write_group": "AddEditClientGroup", "write_client": "AddEditClient",
             "write_method": "AddEditClientDelivery", "write_account": "AddEditClientAccount"}
    for name in writes:
        original = getattr(api, name)

        async def saved(*args: object, _original=original, _call=calls[name]) -> int:
            body = args[-1]
            key = {"AddEditClientGroup": "ClientGroupUID", "AddEditClient": "ClientUID",
                   "AddEditClientDelivery": "ClientDeliveryUID",
                   "AddEditClientAccount": "ClientAccountUID"}[_call]
            new = (body["Info"] if _call == "AddEditClient" else body)[key] in (0, -1)  # type: ignore[index]
            uid = await _original(*args)
            api.seen.saved_ids[_call] = False  # type: ignore[attr-defined]
            if new:
                raise SavedWithoutId(_call)
            return uid
        setattr(api, name, saved)


def test_creates_answered_without_an_id_are_found_by_natural_key(harness: Harness) -> None:
    no_ids(harness, "write_group", "write_client", "write_account")
    _, result = harness.apply()
    assert not result.failed and not result.verify_problems, result
    api = harness.api
    assert (len(api.groups), len(api.clients), len(api.accounts)) == (1, 1, 1)  # never resent
    assert api.writes() == 4
    state = harness.session().backend.load()
    assert state.resources["client.acme.delivery_account.ca"].remote_id in api.accounts
    assert not state.pending
    wire = state.wire
    assert wire["saved_id.AddEditClientGroup"]["value"] == "no"
    assert wire["saved_id.AddEditClientGroup"]["source"] == "apply"
    assert not harness.plan().has_changes


def test_a_method_saved_without_an_id_stops_with_the_limitation_named(harness: Harness) -> None:
    harness.write(BASE_CONFIG.replace("lead_types:", "lexsync: {dialect: soap}\nlead_types:")
                  .replace("caps: {day: 100, week: 400}", "caps: {day: 100}"))
    no_ids(harness, "write_method")
    _, result = harness.apply()
    [failed] = result.failed
    assert failed.address == "client.acme.delivery_method.post"
    assert "LeadExec shows a delivery method only through an account" in failed.error
    assert "rest dialect" in failed.error and "state resolve" in failed.error
    assert [o.address for o in result.skipped] == ["client.acme.delivery_account.ca"]
    assert len(harness.api.methods) == 1
    state = harness.session().backend.load()
    assert "client.acme.delivery_method.post" in state.pending  # never sent again
    with pytest.raises(ConfigError) as caught:
        harness.plan()
    [problem] = caught.value.diagnostics
    assert "AddEditClientDelivery answers no saved ID (seen after an apply" in problem.summary
    assert problem.detail and "create it with the rest dialect" in problem.detail
    assert problem.location is not None  # the YAML key of the method
    assert len(harness.api.methods) == 1


@pytest.mark.parametrize("hand_price", [1.0, None])
def test_of_several_unclaimed_objects_with_the_key_only_the_one_with_the_values_sent_is_taken(
        harness: Harness, hand_price: float | None) -> None:
    harness.apply()
    api = harness.api
    [old] = list(api.accounts)
    if hand_price is not None:
        api.accounts[old]["Price"] = hand_price  # changed by hand: not what lexsync sends
    session = harness.session()
    state = session.backend.load()
    del state.resources["client.acme.delivery_account.ca"]  # as `lexsync state rm` does
    session.backend.write(state)
    no_ids(harness, "write_account")
    _, result = harness.apply()
    recorded = harness.session().backend.load().resources.get("client.acme.delivery_account.ca")
    if hand_price is not None:
        assert not result.failed, result
        assert recorded is not None and recorded.remote_id not in (old,)
    else:
        [failed] = result.failed
        assert "2 objects named 'ca' that lexsync does not manage" in failed.error
        assert "state resolve client.acme.delivery_account.ca" in failed.error
        assert recorded is None
    assert len(api.accounts) == 2  # sent once either way


class Merging:
    """Criteria lists merged, as a LeadExec without a Delete flag may."""

    @staticmethod
    def install(harness: Harness) -> None:
        api = harness.api
        original = api.write_account

        async def write_account(client_uid: int, body: dict) -> int:
            stored = api.accounts.get(body["ClientAccountUID"], {}).get("Criteria", [])
            uid = await original(client_uid, body)
            sent = {c["ClientCriteriaUID"] for c in api.accounts[uid]["Criteria"]}
            api.accounts[uid]["Criteria"] += [c for c in stored if c["ClientCriteriaUID"] not in sent]
            return uid
        api.write_account = write_account  # type: ignore[method-assign]


def test_a_criterion_leadexec_keeps_is_explained_then_refused_by_the_next_plan(
        harness: Harness) -> None:
    Merging.install(harness)
    harness.apply()
    harness.write(BASE_CONFIG.replace("          - {field: Age, op: Between, value: [25, 65]}\n", ""))
    _, result = harness.apply()
    [problem] = result.verify_problems
    assert "criteria: LeadExec kept Age Between 25,65, which this write left out" in problem
    assert "no write can remove it" in problem
    state = harness.session().backend.load()
    assert state.wire["criteria_lists"]["value"] == "merge"
    with pytest.raises(ConfigError) as caught:
        harness.plan()
    [diagnostic] = caught.value.diagnostics
    assert "no write can remove Age Between 25,65" in diagnostic.summary
    assert diagnostic.address == "client.acme.delivery_account.ca"
    # Keeping it in the YAML plans clean again.
    harness.write(BASE_CONFIG)
    assert not harness.plan().has_changes


def test_a_removed_day_is_sent_so_that_a_merged_list_loses_it_too(harness: Harness) -> None:
    api = harness.api
    original = api.write_method

    async def merging(client_uid: int, body: dict) -> int:
        stored = api.methods.get(body["ClientDeliveryUID"], {}).get("DeliveryDays", [])
        uid = await original(client_uid, body)
        sent = {d["DeliveryDayUID"] for d in api.methods[uid]["DeliveryDays"]}
        api.methods[uid]["DeliveryDays"] += [d for d in stored if d["DeliveryDayUID"] not in sent]
        return uid
    api.write_method = merging  # type: ignore[method-assign]
    harness.apply()
    harness.write(BASE_CONFIG.replace("[mon, tue]", "[mon]"))
    _, result = harness.apply()
    assert not result.verify_problems, result.verify_problems
    [method] = api.methods.values()
    tuesday = [d for d in method["DeliveryDays"] if d["WeekDay"] == 2]
    assert [(d["Allow"], d["StartTime"], d["EndTime"]) for d in tuesday] == [
        (False, "1900-01-01T00:00:00", "1900-01-01T00:00:00")]
    assert not harness.plan().has_changes
    harness.write(BASE_CONFIG)  # back again: the same day row, reused
    harness.apply()
    [method] = api.methods.values()
    assert [d["DeliveryDayUID"] for d in method["DeliveryDays"] if d["WeekDay"] == 2] == [
        tuesday[0]["DeliveryDayUID"]]
    assert not harness.plan().has_changes


def test_a_list_leadexec_drops_without_a_word_is_named_and_not_sent_again(
        harness: Harness) -> None:
    api = harness.api
    original = api.write_method

    async def dropping(client_uid: int, body: dict) -> int:
        return await original(client_uid, {**body, "FieldSettings": []})
    api.write_method = dropping  # type: ignore[method-assign]
    _, result = harness.apply()
    [problem] = result.verify_problems
    assert "field mappings: LeadExec kept none of the 2 sent, and answered no error" in problem
    assert "the list named FieldSettings" in problem and "doctor --write-probe" in problem
    with pytest.raises(ConfigError) as caught:
        harness.plan()
    assert "LeadExec ignored the list lexsync sent as FieldSettings" in str(caught.value)


def test_a_value_cleared_although_not_sent_is_reported_and_remembered(harness: Harness) -> None:
    harness.write(BASE_CONFIG.replace("    group: premium\n", "    group: premium\n"
                                                              "    notes: kept by hand\n"))
    harness.apply()
    harness.write(BASE_CONFIG.replace("price: 25", "price: 30"))  # notes no longer managed
    api = harness.api
    original = api.write_client

    async def clearing(body: dict) -> int:
        return await original({**body, "Info": {**body["Info"], "Notes": ""}})
    api.write_client = clearing  # type: ignore[method-assign]
    harness.write(BASE_CONFIG.replace("fields: {Company: Acme}", "fields: {Company: Acme Inc}"))
    _, result = harness.apply()
    [problem] = result.verify_problems
    assert "client.acme: notes changed from 'kept by hand' to ''" in problem
    assert "LeadExec clears what a write omits" in problem
    assert harness.session().backend.load().wire["omitted_fields"]["value"] == "clear"


def test_the_plan_says_which_measured_behaviour_it_relies_on(harness: Harness) -> None:
    session = harness.session()
    state = session.backend.load()
    state.wire = WireBehaviour.from_state({
        "criteria_lists": {"value": "replace", "source": "doctor", "at": "2024-05-01T10:00:00Z"},
        "saved_id.AddEditClientGroup": {"value": "no", "source": "doctor", "at": "2024-05-01"},
        "unknown.point": {"value": "x"}}).to_state()
    session.backend.write(state)
    harness.api.behaviour = WireBehaviour.from_state(state.wire)  # type: ignore[attr-defined]
    plan = harness.plan()
    assert plan.relies_on == [
        "AddEditClientGroup answers the saved ID: no (measured by lexsync doctor on 2024-05-01)",
        "criteria lists: replaced by the list sent (measured by lexsync doctor on 2024-05-01)"]
