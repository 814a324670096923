"""A plan's reads start from state while the configuration is still loading, and nothing
about the plan, its reads or its errors differs from loading first."""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import lexsync.engine.session as session_module
from lexsync.config.models import Settings, StateSettings
from lexsync.config.preview import Preview
from lexsync.engine.refresh import FirstReads, Reads
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


def test_reads_are_sent_while_the_configuration_loads(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    harness.apply()
    first_read = threading.Event()
    seen: dict[str, bool] = {}
    real_accounts = harness.api.get_client_accounts

    async def accounts(uid: int) -> list[dict]:
        first_read.set()
        return await real_accounts(uid)

    real_load = session_module.load_configuration

    def slow_load(*args: Any, **kwargs: Any) -> Any:
        # Finishes only once a client's accounts were asked for (or after 10 s, failing).
        seen["read during load"] = first_read.wait(10)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(harness.api, "get_client_accounts", accounts)
    monkeypatch.setattr(session_module, "load_configuration", slow_load)
    plan = harness.plan()
    assert seen == {"read during load": True}
    assert not plan.has_changes


def test_the_same_calls_as_loading_first(harness: Harness) -> None:
    harness.write(TWO_CLIENTS)
    harness.apply()
    harness.api.calls.clear()
    harness.plan()
    ahead = dict(harness.api.calls)
    harness.api.calls.clear()
    session = harness.session()
    session.loaded  # noqa: B018 - load first, the way a plan did before reading ahead
    asyncio.run(session.plan())
    assert ahead == dict(harness.api.calls)
    assert ahead["GetClientAccounts"] == 2 and ahead["GetClientData"] == 2


def test_field_data_follows_the_configuration_not_the_guess(harness: Harness) -> None:
    harness.write(TWO_CLIENTS)
    harness.apply()
    # zeta's fields leave the configuration: state still says they were managed, so they are
    # read on that guess, then dropped; the plan is the one a fresh load would make.
    harness.write(TWO_CLIENTS.replace("    fields: {Company: Zeta}\n", ""))
    ahead = harness.plan()
    session = harness.session()
    session.loaded  # noqa: B018
    first = asyncio.run(session.plan())[0].plan
    assert ahead.to_dict() == first.to_dict()


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
    with pytest.raises(LexsyncError, match="state"):
        harness.plan()


def test_a_preview_that_differs_is_replaced_by_the_loaded_block(
        harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    harness.apply()
    elsewhere = Settings(state=StateSettings(path="elsewhere/state.json"))
    monkeypatch.setattr(session_module, "preview_settings",
                        lambda path, environ: Preview(harness.dir, elsewhere, [harness.config.read_text()]))
    session = harness.session()
    assert session.backend.path == harness.dir / "elsewhere" / "state.json"
    bundle, _ = asyncio.run(session.plan())
    # The plan was made again with the state the configuration names: nothing to create.
    assert session.backend.path == harness.dir / ".lexsync" / "state.json"
    assert not bundle.plan.has_changes
    assert not (harness.dir / "elsewhere").exists()


# --- Reads: started on a guess, finished with the final wish ------------------------------

def two_clients(api: FakeApi) -> list[int]:
    for uid in (11, 12, 13):
        api.clients[uid] = {"ClientUID": uid, "Status": "Active", "Username": f"c{uid}"}
    api.groups[5] = {"ClientGroupUID": 5, "Description": "g"}
    return [11, 12, 13]


def test_reads_settle_the_difference_between_guess_and_wish() -> None:
    api = FakeApi()
    two_clients(api)

    async def run() -> Any:
        reads = Reads(api)
        reads.start(read_groups=False, client_uids={11, 12, 13, 99}, field_uids={11, 12})
        try:
            return await reads.finish(read_groups=True, field_uids={12, 13, 99})
        finally:
            await reads.aclose()

    view = asyncio.run(run())
    assert set(view.client_fields) == {12, 13}  # 11 dropped, 13 read late, 99 does not exist
    assert api.calls["GetClientData"] == 3 and api.calls["GetClientAccounts"] == 3
    assert set(view.groups) == {5} and api.calls["GetClientGroups"] == 1


def test_groups_read_on_a_guess_the_wish_drops_are_not_in_the_view() -> None:
    api = FakeApi()
    two_clients(api)

    async def run() -> Any:
        reads = Reads(api)
        reads.start(read_groups=True, client_uids={11}, field_uids=set())
        try:
            return await reads.finish(read_groups=False, field_uids=set())
        finally:
            await reads.aclose()

    view = asyncio.run(run())
    assert view.groups == {} and set(view.accounts) == {11}


def test_a_failed_read_leaves_nothing_running() -> None:
    api = FakeApi()
    two_clients(api)
    started: list[asyncio.Task[Any]] = []
    real = api.get_client_accounts

    async def accounts(uid: int) -> list[dict]:
        started.append(asyncio.current_task())  # type: ignore[arg-type]
        if uid == 12:
            raise ApiError("GetClientAccounts", "boom", 500)
        await asyncio.sleep(5)
        return await real(uid)

    api.get_client_accounts = accounts  # type: ignore[method-assign]

    async def run() -> None:
        reads = Reads(api)
        reads.start(read_groups=True, client_uids={11, 12, 13}, field_uids={11, 13})
        async with asyncio.timeout(3):  # a read left running would hold this for 5 s
            try:
                with pytest.raises(ApiError, match="boom"):
                    await reads.finish(read_groups=True, field_uids={11})
            finally:
                await reads.aclose()
        assert len(started) == 3
        assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []

    asyncio.run(run())


def test_refresh_matches_reads(tmp_path: Path) -> None:
    from lexsync.engine.refresh import refresh

    api = FakeApi()
    two_clients(api)
    view = asyncio.run(refresh(api, read_groups=True, client_uids={11, 12}, field_uids={12},
                               also_read=lambda row: row["Username"] == "c13"))
    assert set(view.accounts) == {11, 12, 13} and set(view.client_fields) == {12, 13}


HOME_CLIENT = """
  homer:
    username: homer-portal
    password: ${env:PW}
    delivery_methods:
      post:
        type: http_post
        lead_type: Home Insurance
        url: https://homer.example/leads
        field_mappings:
          - {name: v, lead_field: HomeValue}
    delivery_accounts:
      all:
        method: post
        price: 9
"""
WITH_HOME = (BASE_CONFIG + HOME_CLIENT).replace("lead_types: [Auto Insurance]",
                                               "lead_types: [Auto Insurance, Home Insurance]")


def test_observations_made_before_the_catalog_grew_are_dropped(
        harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    harness.apply()
    [account] = harness.api.accounts.values()
    account["DayMax"] = 7  # drift on the recorded account
    # The configuration adds a lead type state never named: the catalog grows once it has
    # loaded, after the recorded account may already have been observed.
    harness.write(WITH_HOME)
    from lexsync.engine.observe import EarlyObserver

    forgotten: list[int] = []
    real_forget = EarlyObserver.forget

    def forget(self: EarlyObserver) -> None:
        forgotten.append(len(self.observed))
        real_forget(self)

    monkeypatch.setattr(EarlyObserver, "forget", forget)
    ahead = harness.plan()
    assert len(forgotten) == 1
    session = harness.session()
    session.loaded  # noqa: B018
    first = asyncio.run(session.plan())[0].plan
    assert ahead.to_dict() == first.to_dict()
    assert any(c.path == "caps.day" for change in ahead.actionable for c in change.changes)
    # Loading first, the catalog is whole from the start: nothing to forget.
    assert len(forgotten) == 1


def test_the_catalog_reads_each_of_its_calls_once(harness: Harness) -> None:
    harness.apply()
    harness.write(WITH_HOME)
    harness.api.calls.clear()
    harness.plan()
    calls = harness.api.calls
    assert (calls["GetLeadTypes"], calls["GetLeadFields"], calls["GetStateList"]) == (1, 2, 1)


def test_a_large_configuration_is_parsed_by_a_child(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    from lexsync.config import parse_ahead
    from lexsync.config.parse_ahead import ParseAhead

    harness.apply()
    harness.api.calls.clear()
    monkeypatch.setattr(parse_ahead, "PARSE_AHEAD_CHARS", 10)  # "large"
    answers: list[object] = []
    real = ParseAhead.values

    def values(self: ParseAhead, texts: list[str]) -> object:
        answers.append(result := real(self, texts))
        return result

    monkeypatch.setattr(ParseAhead, "values", values)
    plan = harness.plan()
    assert len(answers) == 1 and answers[0] is not None
    assert not plan.has_changes


# --- FirstReads: the client list and lead types go out while state is read --------------

@pytest.mark.parametrize("command", ["plan", "apply"])
def test_the_first_reads_are_sent_while_state_is_read(
        harness: Harness, monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    harness.apply()
    harness.api.calls.clear()
    seen: dict[str, bool] = {}
    real_load = LocalBackend.load

    def slow_load(self: LocalBackend) -> Any:
        # Returns once both reads were sent (or after 10 s, failing).
        deadline = time.monotonic() + 10
        while not (harness.api.calls["GetClientList"] and harness.api.calls["GetLeadTypes"]):
            if time.monotonic() > deadline:
                break
            time.sleep(0.005)
        seen["sent during the state read"] = bool(harness.api.calls["GetClientList"])
        return real_load(self)

    monkeypatch.setattr(LocalBackend, "load", slow_load)
    plan = harness.plan() if command == "plan" else harness.apply()[0]
    assert seen == {"sent during the state read": True}
    assert not plan.has_changes
    # Taken by the plan, not read again.
    assert harness.api.calls["GetClientList"] == 1 and harness.api.calls["GetLeadTypes"] == 1


def test_first_reads_no_one_takes_are_stopped_and_their_errors_kept_quiet(
        harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    harness.apply()

    async def refused() -> list[dict]:
        raise ApiError("GetClientList", "LeadExec refused the API key", 500)

    harness.api.get_client_list = refused  # type: ignore[method-assign]
    (harness.dir / ".lexsync" / "state.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(LexsyncError, match="state") as failure:
        harness.plan()
    assert not isinstance(failure.value, ApiError)  # state is read before anything is used
    gc.collect()  # asyncio logs an unretrieved task error when the task is collected
    assert "never retrieved" not in caplog.text


def test_later_calls_go_to_the_api_itself() -> None:
    api = FakeApi()
    two_clients(api)

    async def run() -> tuple[list[dict], list[dict], list[dict]]:
        first = FirstReads(api)
        try:
            return (await first.get_client_list(), await first.get_client_list(),
                    await first.get_lead_types())
        finally:
            await first.aclose()

    taken, again, types = asyncio.run(run())
    assert taken == again and [row["ClientUID"] for row in taken] == [11, 12, 13]
    assert types and api.calls["GetClientList"] == 2 and api.calls["GetLeadTypes"] == 1
