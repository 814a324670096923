"""A plan's steps: configuration, state, refresh, expand, build. What each reads, and the order
in which their errors are reported."""

from __future__ import annotations

import asyncio
import gc
import threading
from typing import Any

import pytest

from lexsync.config.models import Settings
from lexsync.engine.refresh import READERS, refresh
from lexsync.engine.session import RunOptions, Session
from lexsync.errors import ApiError, ConfigError, LexsyncError
from lexsync.state.local import LocalBackend
from tests.engine.conftest import BASE_CONFIG, Harness
from tests.engine.fake_api import FakeApi

TWO_CLIENTS = BASE_CONFIG + """
  zeta:
    username: zeta-portal
    password: ${env:PW}
    fields: {Company: Zeta}
"""
CATALOG = {"GetLeadTypes": 1, "GetLeadFields": 1, "GetStateList": 1}


def reads(harness: Harness, **options: Any) -> dict[str, int]:
    harness.api.calls.clear()
    harness.plan(**options)
    return dict(harness.api.calls)


def test_a_plan_reads_each_object_once(harness: Harness) -> None:
    harness.write(TWO_CLIENTS)
    harness.apply()
    assert reads(harness) == {**CATALOG, "GetClientList": 1, "GetClientGroups": 1,
                              "GetClientAccounts": 2, "GetClientData": 2}


def test_field_data_is_read_where_the_configuration_manages_fields(harness: Harness) -> None:
    harness.write(TWO_CLIENTS)
    harness.apply()
    harness.write(TWO_CLIENTS.replace("    fields: {Company: Zeta}\n", ""))
    assert reads(harness)["GetClientData"] == 1


def test_a_targeted_plan_reads_only_its_clients(harness: Harness) -> None:
    harness.write(TWO_CLIENTS)
    harness.apply()
    # State records the group: the targeted client's group needs no read. Zeta has no
    # delivery methods or criteria: no lead fields or states are read for it (acme has both).
    assert reads(harness, targets=("client.zeta",)) == {
        "GetLeadTypes": 1, "GetClientList": 1, "GetClientAccounts": 1, "GetClientData": 1}
    assert reads(harness, targets=("client.acme",)) == {
        **CATALOG, "GetClientList": 1, "GetClientAccounts": 1, "GetClientData": 1}
    assert reads(harness, targets=("client_group.premium",)) == {
        "GetLeadTypes": 1, "GetClientList": 1, "GetClientGroups": 1}


def test_a_targeted_plan_trusts_state_for_what_its_targets_depend_on(harness: Harness) -> None:
    harness.write(TWO_CLIENTS)
    harness.apply()
    harness.api.groups.clear()  # not read: state records the group, so it is not created
    harness.write(TWO_CLIENTS.replace("price: 25", "price: 30"))
    plan = harness.plan(targets=("client.acme.delivery_account.ca",))
    assert [(c.address, c.action.value) for c in plan.actionable] == [
        ("client.acme.delivery_account.ca", "update")]


def test_a_targeted_plan_creates_the_group_its_client_needs(harness: Harness) -> None:
    harness.write(TWO_CLIENTS)
    harness.apply()
    harness.write(TWO_CLIENTS.replace("  premium: {description: Premium buyers, display_order: 1}",
                                      "  premium: {description: Premium buyers, display_order: 1}\n"
                                      "  gold: {description: Gold buyers}")
                  .replace("    username: zeta-portal", "    group: gold\n    username: zeta-portal"))
    plan = harness.plan(targets=("client.zeta",))
    assert [(c.address, c.action.value) for c in plan.actionable] == [
        ("client_group.gold", "create"), ("client.zeta", "update")]


def test_adopting_reads_the_clients_whose_username_the_configuration_names(harness: Harness) -> None:
    # What LeadExec cannot show is declared: adopting the account needs no unknown value.
    harness.write(TWO_CLIENTS.replace("caps: {day: 100, week: 400}\n", "caps: {day: 100, week: 400}\n"
                                      "        alternate_posting: ~\n        offer: none\n"))
    harness.apply()
    (harness.dir / ".lexsync" / "state.json").unlink()
    harness.api.clients[99] = {"ClientUID": 99, "Status": "Active", "Username": "someone-else"}
    assert reads(harness, adopt=True) == {**CATALOG, "GetClientList": 1, "GetClientGroups": 1,
                                          "GetClientAccounts": 2, "GetClientData": 2}


def test_configuration_errors_come_before_api_errors(harness: Harness) -> None:
    harness.apply()

    async def refused(*args: Any) -> list[dict]:
        raise ApiError("GetClientList", "LeadExec refused the API key", 500)

    harness.api.get_client_list = refused  # type: ignore[method-assign]
    harness.api.get_client_accounts = refused  # type: ignore[method-assign]
    harness.write(BASE_CONFIG.replace("price: 25", "price: lots"))
    with pytest.raises(ConfigError, match="expected a number"):
        harness.plan()
    with pytest.raises(ConfigError, match="expected a number"):
        harness.apply()
    harness.write(BASE_CONFIG)
    with pytest.raises(ApiError, match="refused"):
        harness.plan()


def test_configuration_errors_come_before_a_broken_state(harness: Harness) -> None:
    harness.apply()
    (harness.dir / ".lexsync" / "state.json").write_text("{not json", encoding="utf-8")
    harness.write(BASE_CONFIG.replace("price: 25", "price: lots"))
    with pytest.raises(ConfigError, match="expected a number"):
        harness.plan()
    harness.write(BASE_CONFIG)
    with pytest.raises(LexsyncError, match="state") as failure:
        harness.plan()
    assert not isinstance(failure.value, ApiError)  # state is read before LeadExec


@pytest.mark.parametrize("run", ["plan", "apply"])
def test_the_lists_are_prefetched_while_state_loads_and_decoded_after(
        harness: Harness, monkeypatch: pytest.MonkeyPatch, run: str) -> None:
    harness.apply()
    events: list[tuple[str, bool]] = []
    loop_thread = threading.get_ident()

    def noted(what: str, call: Any) -> Any:
        def note(*args: Any, **kwargs: Any) -> Any:
            events.append((what, threading.get_ident() == loop_thread))
            return call(*args, **kwargs)
        return note

    api = harness.api
    monkeypatch.setattr(api, "prefetch", noted("prefetch", api.prefetch))
    monkeypatch.setattr(api, "use_behaviour", noted("behaviour", api.use_behaviour))
    monkeypatch.setattr(api, "get_client_list", noted("list", api.get_client_list))
    monkeypatch.setattr(LocalBackend, "load", noted("state", LocalBackend.load))
    getattr(harness, run)()
    assert events[:4] == [("prefetch", True), ("state", False), ("behaviour", True),
                          ("list", True)]


@pytest.mark.parametrize("run", ["plan", "apply"])
def test_a_broken_state_is_told_before_missing_credentials(harness: Harness, run: str) -> None:
    harness.apply()
    state = harness.dir / ".lexsync" / "state.json"
    state.write_text("{not json", encoding="utf-8")
    session = Session(RunOptions(config_path=harness.config, environ={"PW": "s3cret-portal"},
                                 api_url="https://api.example.test"))
    go = session.plan() if run == "plan" else session.apply(lambda plan: True)
    with pytest.raises(LexsyncError, match="state") as failure:
        asyncio.run(go)
    assert "credentials" not in str(failure.value)
    state.write_bytes(state.with_name("state.json.backup").read_bytes())  # restored
    with pytest.raises(LexsyncError, match="credentials"):
        asyncio.run(Session(RunOptions(config_path=harness.config, environ={"PW": "s3cret-portal"},
                                       api_url="https://api.example.test")).plan())


def many_clients(api: FakeApi, count: int) -> set[int]:
    for uid in range(100, 100 + count):
        api.clients[uid] = {"ClientUID": uid, "Status": "Active", "Username": f"c{uid}"}
    return set(api.clients)


def test_the_refresh_starts_more_reads_than_any_connection_limit_not_all() -> None:
    """How many reads are in flight is left to the API client's connection limit (at most
    64): the refresh has `READERS` clients read at once, never every client of a large
    network (each read started waits with its task and request)."""
    api = FakeApi()
    uids = many_clients(api, READERS + 20)
    in_flight, most = 0, 0
    real_accounts, real_data = api.get_client_accounts, api.get_client_data

    async def counted(read: Any, uid: int) -> list[dict]:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return await read(uid)

    api.get_client_accounts = lambda uid: counted(real_accounts, uid)  # type: ignore[method-assign]
    api.get_client_data = lambda uid: counted(real_data, uid)  # type: ignore[method-assign]
    view = asyncio.run(refresh(api, read_groups=False, client_uids=uids | {7}, field_uids=uids))
    assert set(view.accounts) == set(view.client_fields) == uids  # 7 does not exist
    # No connection of the most parallel API client the configuration allows waits for a read.
    most_parallel = next(m.le for m in Settings.model_fields["parallelism"].metadata
                         if hasattr(m, "le"))
    assert most_parallel <= READERS
    assert most == 2 * READERS  # each client's accounts and field data


def test_a_failed_read_leaves_nothing_running(caplog: pytest.LogCaptureFixture) -> None:
    api = FakeApi()
    uids = many_clients(api, READERS + 10)  # more than are read at once: none starts after
    started: list[int] = []

    async def accounts(uid: int) -> list[dict]:
        started.append(uid)
        if uid == 101:
            raise ApiError("GetClientAccounts", "boom", 500)
        await asyncio.sleep(5)
        return []

    api.get_client_accounts = accounts  # type: ignore[method-assign]

    async def run() -> None:
        async with asyncio.timeout(3):  # a read left running would hold this for 5 s
            with pytest.raises(ApiError, match="boom"):
                await refresh(api, read_groups=True, client_uids=uids, field_uids=uids)
        assert len(started) == READERS
        assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []

    asyncio.run(run())
    gc.collect()  # asyncio logs an unretrieved task error when the task is collected
    assert "never retrieved" not in caplog.text


def test_adoption_picks_clients_from_the_list() -> None:
    api = FakeApi()
    many_clients(api, 3)
    view = asyncio.run(refresh(api, read_groups=False, client_uids={100}, field_uids=set(),
                               also_read=lambda row: row["Username"] == "c102"))
    assert set(view.accounts) == {100, 102} and set(view.client_fields) == {102}


def test_a_few_clients_are_read_beside_the_client_list_not_after_it() -> None:
    """A targeted plan or an apply's read-back reads a client or two: their reads go out
    with the client list's, a round trip sooner (the list of a large network is also the
    longest answer to wait for)."""
    api = FakeApi()
    many_clients(api, 3)
    accounts_asked = asyncio.Event()
    real_list, real_accounts = api.get_client_list, api.get_client_accounts

    async def client_list() -> list[dict]:
        await accounts_asked.wait()  # answered only once a client's read went out
        return await real_list()

    async def accounts(uid: int) -> list[dict]:
        accounts_asked.set()
        return await real_accounts(uid)

    api.get_client_list = client_list  # type: ignore[method-assign]
    api.get_client_accounts = accounts  # type: ignore[method-assign]

    async def run() -> Any:
        async with asyncio.timeout(3):
            return await refresh(api, read_groups=True, client_uids={100, 101},
                                 field_uids={101})

    view = asyncio.run(run())
    assert set(view.accounts) == {100, 101} and set(view.client_fields) == {101}
    assert api.calls["GetClientAccounts"] == 2 and api.calls["GetClientData"] == 1


@pytest.mark.parametrize("outcome", ["answers", "fails", "hangs"])
def test_a_client_read_ahead_that_the_list_does_not_show_is_dropped(
        outcome: str, caplog: pytest.LogCaptureFixture) -> None:
    """A client state names but LeadExec no longer has (deleted by hand): whatever its reads
    answered, or are still waiting for, is dropped, as if they had never been sent."""
    api = FakeApi()
    many_clients(api, 2)
    api.accounts[1] = {"ClientUID": 7, "DeliveryUID": 2}
    api.methods[2] = {"ClientDeliveryUID": 2}
    real_accounts = api.get_client_accounts

    async def accounts(uid: int) -> list[dict]:
        if uid == 7 and outcome == "fails":
            raise ApiError("GetClientAccounts", "no such client", 500)
        if uid == 7 and outcome == "hangs":
            await asyncio.sleep(5)
        return await real_accounts(uid)

    api.get_client_accounts = accounts  # type: ignore[method-assign]

    async def run() -> Any:
        async with asyncio.timeout(3):  # a read left waiting would hold this for 5 s
            view = await refresh(api, read_groups=False, client_uids={100, 7},
                                 field_uids={100, 7})
        assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []
        return view

    view = asyncio.run(run())
    assert set(view.accounts) == set(view.client_fields) == {100}
    assert view.methods == {}  # not even the missing client's method
    gc.collect()  # asyncio logs an unretrieved task error when the task is collected
    assert "never retrieved" not in caplog.text


def test_a_failed_read_ahead_of_a_listed_client_fails_the_refresh() -> None:
    api = FakeApi()
    many_clients(api, 2)

    async def accounts(uid: int) -> list[dict]:
        raise ApiError("GetClientAccounts", "boom", 500)

    api.get_client_accounts = accounts  # type: ignore[method-assign]
    with pytest.raises(ApiError, match="boom"):
        asyncio.run(refresh(api, read_groups=False, client_uids={101}, field_uids=set()))


def test_reads_ahead_do_not_outlive_a_refresh_that_is_cancelled(
        caplog: pytest.LogCaptureFixture) -> None:
    """Cancelled while a listed client's read waits (a timeout, Ctrl-C, a failure beside it
    in the plan), the refresh leaves no read running: not the listed client's, nor that of a
    client the list does not show, slow to stop."""
    api = FakeApi()
    many_clients(api, 2)

    async def accounts(uid: int) -> list[dict]:
        try:
            await asyncio.sleep(5)
        finally:
            if uid == 7:
                await asyncio.sleep(0.05)  # closing its connection takes a while
        return []

    api.get_client_accounts = accounts  # type: ignore[method-assign]

    async def run() -> None:
        refreshing = asyncio.ensure_future(
            refresh(api, read_groups=False, client_uids={100, 7}, field_uids=set()))
        await asyncio.sleep(0.02)  # the list is in; 7's read is being stopped
        refreshing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await refreshing
        assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []

    asyncio.run(run())
    gc.collect()
    assert "never retrieved" not in caplog.text


@pytest.mark.parametrize("how", ["fails", "cannot be read"])
def test_reads_ahead_do_not_outlive_a_client_list_that_fails(
        how: str, caplog: pytest.LogCaptureFixture) -> None:
    api = FakeApi()
    many_clients(api, 2)
    real_list = api.get_client_list

    async def client_list() -> list[dict]:
        await asyncio.sleep(0.05)
        if how == "fails":
            raise ApiError("GetClientList", "boom", 500)
        rows = await real_list()
        rows[0]["ClientUID"] = "not a number"
        return rows

    async def accounts(uid: int) -> list[dict]:
        if uid == 101:
            raise ApiError("GetClientAccounts", "a read ahead failed", 500)
        await asyncio.sleep(5)
        return []

    api.get_client_list = client_list  # type: ignore[method-assign]
    api.get_client_accounts = accounts  # type: ignore[method-assign]

    async def run() -> None:
        async with asyncio.timeout(3):  # a read left running would hold this for 5 s
            with pytest.raises(ApiError if how == "fails" else ValueError,
                               match="boom" if how == "fails" else "not a number"):
                await refresh(api, read_groups=False, client_uids={100, 101}, field_uids=set())
        assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []

    asyncio.run(run())
    gc.collect()  # asyncio logs an unretrieved task error when the task is collected
    assert "never retrieved" not in caplog.text
