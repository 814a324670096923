"""Planner and applier logic against the in-memory fake."""

from __future__ import annotations

import pytest

from lexsync.engine.plan import Action
from lexsync.errors import ConfigError, PlanStaleError
from tests.engine.conftest import BASE_CONFIG, Harness


def actions(plan) -> list[tuple[str, str]]:
    return [(c.address, c.action.value) for c in plan.actionable]


def test_first_plan_creates_everything_in_dependency_order(harness: Harness) -> None:
    plan = harness.plan()
    assert actions(plan) == [
        ("client_group.premium", "create"), ("client.acme", "create"),
        ("client.acme.delivery_method.post", "create"), ("client.acme.delivery_account.ca", "create"),
    ]
    assert harness.api.writes() == 0  # planning never writes


def test_apply_then_plan_is_empty_and_writes_once_per_resource(harness: Harness) -> None:
    _, result = harness.apply()
    assert not result.failed and not result.verify_problems
    assert harness.api.writes() == 4
    assert not harness.plan().has_changes


def test_one_changed_attribute_is_one_write(harness: Harness) -> None:
    harness.apply()
    harness.write(BASE_CONFIG.replace("price: 25", "price: 30"))
    plan = harness.plan()
    assert actions(plan) == [("client.acme.delivery_account.ca", "update")]
    [change] = plan.actionable[0].changes
    assert (change.path, change.before, change.after) == ("price", 25, 30)
    before = harness.api.writes()
    harness.apply()
    assert harness.api.writes() == before + 1
    assert not harness.plan().has_changes


def test_mapping_and_criterion_edits_keep_their_sub_ids(harness: Harness) -> None:
    harness.apply()
    [method] = harness.api.methods.values()
    setting_ids = {s["FieldName"]: s["DeliverySettingUID"] for s in method["FieldSettings"]}
    [account] = harness.api.accounts.values()
    criteria_ids = [c["ClientCriteriaUID"] for c in account["Criteria"]]
    harness.write(BASE_CONFIG.replace("California: CA", "California: CAL").replace("[25, 65]", "[30, 65]"))
    assert {c.address for c in harness.plan().actionable} == {
        "client.acme.delivery_method.post", "client.acme.delivery_account.ca"}
    harness.apply()
    [method] = harness.api.methods.values()
    assert {s["FieldName"]: s["DeliverySettingUID"] for s in method["FieldSettings"]} == setting_ids
    [account] = harness.api.accounts.values()
    assert [c["ClientCriteriaUID"] for c in account["Criteria"]] == criteria_ids
    assert account["Criteria"][1]["Value"] == "30,65"
    assert not harness.plan().has_changes


def test_state_criteria_are_sent_as_state_ids_in_stable_order(harness: Harness) -> None:
    harness.apply()
    [account] = harness.api.accounts.values()
    assert account["Criteria"][0]["Value"] == "1,2"  # CA=1, NV=2, sorted by name
    assert account["Criteria"][0]["LeadFieldUID"] == 103


def test_removed_account_is_retired_after_other_changes(harness: Harness) -> None:
    harness.apply()
    without_account = BASE_CONFIG.split("    delivery_accounts:")[0].replace(
        "url: https://acme.example/leads", "url: https://acme.example/v2")
    harness.write(without_account)
    plan = harness.plan()
    assert actions(plan) == [("client.acme.delivery_method.post", "update"),
                             ("client.acme.delivery_account.ca", "retire")]
    harness.apply()
    [account] = harness.api.accounts.values()
    assert account["Status"] == 9
    assert not harness.plan().has_changes


def test_unmanaged_live_attribute_survives_apply(harness: Harness) -> None:
    harness.apply()
    [account] = harness.api.accounts.values()
    account["AgentName"] = "Set by hand in LeadExec"
    harness.write(BASE_CONFIG.replace("price: 25", "price: 26"))
    harness.apply()
    [account] = harness.api.accounts.values()
    assert account["AgentName"] == "Set by hand in LeadExec" and account["Price"] == 26


def test_drift_on_a_managed_attribute_is_planned_back(harness: Harness) -> None:
    harness.apply()
    [account] = harness.api.accounts.values()
    account["DayMax"] = 5
    [change] = harness.plan().actionable
    assert [(c.path, c.before, c.after) for c in change.changes] == [("caps.day", 5, 100)]


def test_secrets_are_never_in_the_plan_or_state(harness: Harness) -> None:
    plan = harness.plan()
    assert "s3cret-portal" not in str(plan.to_dict())
    harness.apply()
    assert "s3cret-portal" not in (harness.dir / ".lexsync" / "state.json").read_text()
    assert harness.api.clients[next(iter(harness.api.clients))]["Password"] == "s3cret-portal"


def test_password_change_is_detected_through_the_salted_hash(harness: Harness) -> None:
    harness.apply()
    [client] = harness.api.clients.values()
    client["Password"] = "changed-by-hand"
    [change] = harness.plan().actionable
    assert [(c.path, c.sensitive) for c in change.changes] == [("password", True)]


def test_target_limits_the_plan_but_keeps_needed_creates(harness: Harness) -> None:
    plan = harness.plan(targets=("client.acme.delivery_account.ca",))
    # The group is a dependency of the client, which the account needs: all must be created.
    assert [c.address for c in plan.actionable] == [
        "client_group.premium", "client.acme", "client.acme.delivery_method.post",
        "client.acme.delivery_account.ca"]


# acme's `post` carries its account; `spare` methods no account uses cannot be read back.
SPARE_METHODS = BASE_CONFIG.replace("""    delivery_accounts:
""", """      spare:
        type: http_post
        lead_type: Auto Insurance
        url: https://acme.example/spare
    delivery_accounts:
""") + """  zeta:
    username: zeta-portal
    password: ${env:PW}
    delivery_methods:
      spare:
        type: http_post
        lead_type: Auto Insurance
        url: https://zeta.example/spare
"""
UNREADABLE = ("{}: no delivery account uses this method, so LeadExec cannot show it; compared "
              "with the last applied values")
NO_WEEK_CAP = ("caps.week, alternate_posting, offer: account reads carry no WeekMax, "
               "AlternatePosting or Offer*; compared with the last applied values")


def test_a_targeted_plan_notes_only_what_it_targets(harness: Harness) -> None:
    # A targeted plan reads only its clients: it must not call every other client's
    # methods unreadable.
    harness.write(SPARE_METHODS)
    harness.apply()
    assert harness.plan().unobservable == [
        UNREADABLE.format("client.acme.delivery_method.spare"),
        UNREADABLE.format("client.zeta.delivery_method.spare"), NO_WEEK_CAP]
    assert harness.plan(targets=("client.zeta",)).unobservable == [
        UNREADABLE.format("client.zeta.delivery_method.spare")]
    assert harness.plan(targets=("client.acme.delivery_account.ca",)).unobservable == [
        NO_WEEK_CAP]


def test_adopt_matches_live_objects_by_natural_key(harness: Harness) -> None:
    harness.apply()
    (harness.dir / ".lexsync" / "state.json").unlink()
    # Without state no one knows the account's AlternatePosting or offer, and its weekly cap
    # (in the YAML) must be written: the plan refuses that write, naming what to declare.
    with pytest.raises(ConfigError) as refused:
        harness.plan(adopt=True)
    assert [d.summary.split(" is unknown")[0] for d in refused.value.diagnostics] == [
        "client.acme.delivery_account.ca: alternate_posting", "client.acme.delivery_account.ca: offer"]
    harness.write(BASE_CONFIG.replace("caps: {day: 100, week: 400}",
                                      "caps: {day: 100, week: 400}\n        alternate_posting: ~\n"
                                      "        offer: none"))
    plan = harness.plan(adopt=True)
    assert not [c for c in plan.changes if c.action is Action.CREATE]
    # What no read shows is shown as unknown, never assumed, and written to become known.
    [change] = plan.actionable
    assert change.address == "client.acme.delivery_account.ca"
    paths = {a.path: a.before for a in change.changes}
    assert paths.pop("caps.week") == paths.pop("alternate_posting") == "(unknown)"
    assert set(paths) == {f"offer.{k}" for k in OFFER_KEYS} and set(paths.values()) == {"(unknown)"}


OFFER_KEYS = ("enabled", "dynamic", "name", "require_custom_consent", "company_phone", "company_name",
              "description", "image", "url", "privacy_url", "terms_url", "tcpa", "amount",
              "start_date", "end_date", "time_zone", "duration", "parse_code")


def test_unknown_lead_field_is_a_config_error_with_location(harness: Harness) -> None:
    harness.write(BASE_CONFIG.replace("lead_field: FirstName", "lead_field: FirstNme"))
    with pytest.raises(ConfigError) as caught:
        harness.plan()
    [problem] = caught.value.diagnostics
    assert "unknown lead field 'FirstNme'" in problem.summary and "FirstName" in problem.summary
    assert problem.location is not None and (problem.location.line, problem.location.column) == (17, 36)


def test_a_stale_saved_plan_is_refused(harness: Harness) -> None:
    from lexsync.engine.session import check_not_stale

    saved = harness.plan()
    harness.apply()
    with pytest.raises(PlanStaleError, match="stale"):
        check_not_stale(saved, harness.plan())


def test_a_failed_write_skips_dependants_and_keeps_what_succeeded(harness: Harness) -> None:
    from lexsync.errors import ApiError

    harness.api.fail_next = [ApiError("PUT /v1/delivery/{ClientUID}/methods", "boom", 400)]
    original = harness.api.write_method

    async def failing_method(client_uid: int, body: dict) -> int:
        harness.api._maybe_fail()
        return await original(client_uid, body)

    harness.api.write_method = failing_method  # type: ignore[method-assign]
    _, result = harness.apply()
    assert [o.address for o in result.failed] == ["client.acme.delivery_method.post"]
    assert [o.address for o in result.skipped] == ["client.acme.delivery_account.ca"]
    harness.api.write_method = original  # type: ignore[method-assign]
    assert actions(harness.plan()) == [("client.acme.delivery_method.post", "create"),
                                       ("client.acme.delivery_account.ca", "create")]


def test_lost_create_answer_is_resolved_by_natural_key_without_duplicate(harness: Harness) -> None:
    from lexsync.errors import ApiError

    original = harness.api.write_client

    async def commit_then_lose(body: dict) -> int:
        await original(body)
        raise ApiError("PATCH /v1/clients", "connection dropped", None, maybe_committed=True)

    harness.api.write_client = commit_then_lose  # type: ignore[method-assign]
    _, result = harness.apply()
    assert not result.failed
    assert len(harness.api.clients) == 1
    harness.api.write_client = original  # type: ignore[method-assign]
    assert not harness.plan().has_changes


def test_creating_a_client_without_password_is_refused_at_plan_time(harness: Harness) -> None:
    harness.write(BASE_CONFIG.replace("    password: ${env:PW}\n", ""))
    with pytest.raises(ConfigError) as caught:
        harness.plan()
    [problem] = caught.value.diagnostics
    assert problem.address == "client.acme" and "portal password" in problem.summary
    assert problem.location is not None and problem.location.line == 6
    assert harness.api.writes() == 0


def test_an_adopted_client_needs_no_password(harness: Harness) -> None:
    harness.apply()
    harness.write(BASE_CONFIG.replace("    password: ${env:PW}\n", ""))
    assert not harness.plan().has_changes


def test_adopt_never_takes_an_object_state_records_under_another_address(harness: Harness) -> None:
    # A renamed account matches, by its description, the object state records under its old
    # name, which the same plan retires: adopting it would close the account just adopted.
    described = BASE_CONFIG.replace("        method: post\n", "        method: post\n"
                                    "        description: CA leads\n")
    harness.write(described)
    harness.apply()
    harness.write(described.replace("      ca:\n", "      ca2:\n"))
    with pytest.raises(ConfigError) as refused:
        harness.plan(adopt=True)
    [problem] = refused.value.diagnostics
    assert problem.address == "client.acme.delivery_account.ca2"
    assert "client.acme.delivery_account.ca" in problem.summary
    assert "lexsync state mv client.acme.delivery_account.ca client.acme.delivery_account.ca2" \
        in (problem.detail or "")


@pytest.mark.parametrize("targets", [(), ("client.acme",)])
def test_a_client_deleted_in_leadexec_is_created_again_with_its_methods(
        harness: Harness, targets: tuple[str, ...]) -> None:
    # A method is seen only through the accounts that use it, so one no account showed was
    # taken to be as last applied, even with its client gone: the client and its accounts
    # were created again, the accounts naming the old method, which LeadExec refused.
    harness.apply()
    api = harness.api
    [old_client] = list(api.clients)
    old_methods = {uid for uid, m in api.methods.items() if m["ClientUID"] == old_client}
    del api.clients[old_client]
    api.accounts = {uid: a for uid, a in api.accounts.items() if a["ClientUID"] != old_client}
    api.methods = {uid: m for uid, m in api.methods.items() if uid not in old_methods}
    plan = harness.plan(targets=targets)
    assert {(c.address, c.action) for c in plan.actionable} == {
        ("client.acme", Action.CREATE), ("client.acme.delivery_method.post", Action.CREATE),
        ("client.acme.delivery_account.ca", Action.CREATE)}
    _plan, result = harness.apply(targets=targets)
    assert result is not None and not result.failed and not result.verify_problems
    [client] = list(api.clients)
    [method] = [uid for uid, m in api.methods.items() if m["ClientUID"] == client]
    [account] = api.accounts.values()
    assert account["ClientUID"] == client and account["DeliveryUID"] == method
    assert harness.plan().has_changes is False
