"""An apply reads each client back as soon as its last step is answered, beside the writes
still going: the same reads, the same state and the same check as reading everything back
after the last write."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from lexsync.engine import applier as applier_module
from lexsync.engine.plan import Action
from lexsync.engine.readback import ReadBack
from lexsync.errors import ApiError
from lexsync.state.document import StateDocument
from lexsync.state.local import LocalBackend
from tests.engine.conftest import BASE_CONFIG, Harness
from tests.engine.fake_api import FakeApi


def client(key: str, price: int = 10) -> str:
    return f"""
  {key}:
    username: {key}-portal
    password: ${{env:PW}}
    delivery_methods:
      hook:
        type: http_post
        lead_type: Auto Insurance
        url: https://{key}.example/leads
    delivery_accounts:
      all:
        method: hook
        price: {price}
"""


THREE = BASE_CONFIG + client("bolt") + client("cora") + client("dune")


class LoggingApi(FakeApi):
    """Logs each account write and each accounts read, as they are answered; the write of
    the account whose price is `held_price` waits until `release` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[str, Any]] = []
        self.release: asyncio.Event | None = None
        self.held_price: float | None = None
        self.fail_a_read_but_of: int | None = None  # fails the first read of another client
        self.refuse_client: str | None = None  # a username whose client write is refused

    async def write_client(self, body: dict) -> int:
        if self.refuse_client is not None and self.refuse_client in str(body):
            raise ApiError("PATCH /v1/clients", "HTTP 400: Bad Request")
        return await super().write_client(body)

    async def write_account(self, client_uid: int, body: dict) -> int:
        if self.release is not None and body.get("Price") == self.held_price:
            await asyncio.wait_for(self.release.wait(), timeout=5)
        uid = await super().write_account(client_uid, body)
        self.log.append(("write", client_uid))
        return uid

    async def get_client_accounts(self, client_uid: int) -> list[dict]:
        if self.fail_a_read_but_of not in (None, client_uid):
            self.fail_a_read_but_of = None
            raise ApiError("GetClientAccounts", "HTTP 503: Service Unavailable")
        rows = await super().get_client_accounts(client_uid)
        self.log.append(("read", client_uid))
        return rows


def fresh(tmp_path: Path, name: str) -> Harness:
    harness = Harness(tmp_path / name)
    harness.dir.mkdir()
    harness.api = LoggingApi()
    harness.write(BASE_CONFIG)
    harness.apply()
    return harness


def late_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every client read back after the last write, as with the SOAP dialect."""
    monkeypatch.setattr(applier_module, "ReadBack",
                        lambda api, steps, ctx, early: ReadBack(api, steps, ctx, early=False))


def stored(harness: Harness) -> dict[str, Any]:
    path = harness.dir / ".lexsync" / "state.json"
    state = StateDocument.from_json(path.read_text(encoding="utf-8"), str(path))
    return {address: (record.remote_id, record.parent_id, record.sub_ids)
            for address, record in state.resources.items()}


def test_a_client_is_read_back_while_another_is_still_written(tmp_path: Path) -> None:
    harness = fresh(tmp_path, "early")
    api = harness.api
    assert isinstance(api, LoggingApi)
    api.log.clear()
    # dune's account write is answered only once bolt and cora have been read back.
    harness.write(BASE_CONFIG + client("bolt") + client("cora") + client("dune", price=13))
    api.held_price = 13

    async def apply_with_release() -> Any:
        api.release = asyncio.Event()

        async def release_when_read() -> None:
            while len([e for e in api.log if e[0] == "read"]) < 2:
                await asyncio.sleep(0.001)
            api.release.set()

        releasing = asyncio.ensure_future(release_when_read())
        try:
            return await harness.session().apply(lambda plan: True)
        finally:
            releasing.cancel()

    _plan, result = asyncio.run(apply_with_release())
    assert result is not None and not result.failed and not result.verify_problems
    uids = {key: stored(harness)[f"client.{key}"][0] for key in ("bolt", "cora", "dune")}
    assert api.log[-2:] == [("write", uids["dune"]), ("read", uids["dune"])]
    before_dune_written = api.log[:api.log.index(("write", uids["dune"]))]
    assert ("read", uids["bolt"]) in before_dune_written
    assert ("read", uids["cora"]) in before_dune_written


def test_reading_back_as_writes_end_is_reading_back_at_the_end(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    early, late = fresh(tmp_path, "early"), fresh(tmp_path, "late")
    changed = BASE_CONFIG.replace("price: 25", "price: 26") + client("bolt") + client("cora")
    early.write(changed)
    _plan, early_result = early.apply()
    with monkeypatch.context() as patch:
        late_only(patch)
        late.write(changed)
        _plan, late_result = late.apply()
    assert early.api.calls == late.api.calls
    assert stored(early) == stored(late)
    assert [(o.address, o.ok) for o in early_result.outcomes] == [
        (o.address, o.ok) for o in late_result.outcomes]
    assert early_result.verify_problems == late_result.verify_problems == []
    assert early.plan().has_changes is False


def test_a_client_none_of_whose_writes_succeeded_is_not_read_back(tmp_path: Path) -> None:
    harness = fresh(tmp_path, "failing")
    api = harness.api
    assert isinstance(api, LoggingApi)
    harness.write(THREE)
    reads_before = api.calls["GetClientAccounts"]
    # bolt's create fails: its method and account are not attempted, and nothing of it is read.
    api.refuse_client = "bolt-portal"
    _plan, result = harness.apply()
    assert result is not None
    assert {o.address for o in result.failed} == {"client.bolt"}
    assert {o.address for o in result.skipped} == {"client.bolt.delivery_method.hook",
                                                    "client.bolt.delivery_account.all"}
    # acme by the plan, then cora and dune once each
    assert api.calls["GetClientAccounts"] - reads_before == 3
    assert "client.bolt" not in stored(harness)


def test_a_read_back_that_fails_fails_the_apply_after_every_write(tmp_path: Path) -> None:
    harness = fresh(tmp_path, "read-fails")
    api = harness.api
    assert isinstance(api, LoggingApi)
    harness.write(THREE)
    api.fail_a_read_but_of = stored(harness)["client.acme"][0]  # acme is read by the plan
    with pytest.raises(ApiError, match="GetClientAccounts"):
        harness.apply()
    # The writes were all answered and recorded; only the check is missing.
    recorded = stored(harness)
    assert {f"client.{key}.delivery_account.all" for key in ("bolt", "cora", "dune")} <= set(recorded)
    assert harness.plan().has_changes is False


def test_a_step_that_raises_stops_the_apply_once_its_wave_is_answered_and_recorded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Recording bolt's account fails with something that is not an API error (a full disk);
    # dune's account write is answered after that: LeadExec took it, so state records it.
    harness = fresh(tmp_path, "raised")
    api = harness.api
    assert isinstance(api, LoggingApi)
    harness.write(BASE_CONFIG + client("bolt") + client("dune", price=13))
    harness.apply()
    harness.write(BASE_CONFIG + client("bolt", price=11) + client("dune", price=14))
    api.held_price = 14
    record = applier_module.Applier._record

    async def failing_record(self: Any, step: Any, remote_id: int, parent_id: int | None) -> None:
        if step.change.address == "client.bolt.delivery_account.all":
            assert api.release is not None
            asyncio.get_running_loop().call_later(0.05, api.release.set)
            raise OSError(28, "No space left on device")
        await record(self, step, remote_id, parent_id)

    monkeypatch.setattr(applier_module.Applier, "_record", failing_record)

    async def apply() -> None:
        api.release = asyncio.Event()
        with pytest.raises(OSError, match="No space left"):
            await harness.session().apply(lambda plan: True)

    asyncio.run(apply())
    path = harness.dir / ".lexsync" / "state.json"
    state = LocalBackend(path).load()  # with what the journal kept
    assert state.resources["client.dune.delivery_account.all"].attributes["price"] == 14
    assert state.resources["client.bolt.delivery_account.all"].attributes["price"] == 10


def test_no_read_back_starts_once_the_apply_has_stopped() -> None:
    class Reads:
        async def get_client_accounts(self, uid: int) -> list[dict]:
            return []

    step = SimpleNamespace(change=SimpleNamespace(address="client.a", action=Action.UPDATE),
                           kind=SimpleNamespace(kind="client"), desired=None)

    async def stop_then_answer() -> set[int]:
        read_back = ReadBack(Reads(), [step], SimpleNamespace(ids={"client.a": 5}),  # type: ignore[arg-type]
                             early=True)
        await read_back.cancel()  # the apply stopped (a step raised)...
        read_back.answered(step, True)  # ...while this step was still going
        return read_back.read_early

    assert asyncio.run(stop_then_answer()) == set()


class PriceKeepingApi(LoggingApi):
    """Answers an account write as taken, but keeps the account's price as it was."""

    async def write_account(self, client_uid: int, body: dict) -> int:
        kept = {uid: a["Price"] for uid, a in self.accounts.items()}
        uid = await super().write_account(client_uid, body)
        self.accounts[uid]["Price"] = kept.get(uid, body["Price"])
        return uid


@pytest.mark.parametrize("sticks", [True, False])
def test_an_apply_writing_only_accounts_reads_no_client_list_back(
        tmp_path: Path, sticks: bool) -> None:
    """Its client's accounts, read back as its last write ended, are all the check needs:
    the client list (7.6 MB at 10,000 buyers) is read only when a client or a group was
    written, or a client is left to read."""
    harness = fresh(tmp_path, "accounts")
    if not sticks:
        api = PriceKeepingApi()
        api.__dict__.update({k: v for k, v in harness.api.__dict__.items() if k != "log"})
        harness.api = api
    before = dict(harness.api.calls)
    harness.write(BASE_CONFIG.replace("price: 25", "price: 26"))
    _plan, result = harness.apply()
    calls = {call: n - before.get(call, 0) for call, n in harness.api.calls.items()}
    assert calls["GetClientList"] == 1  # the plan's own
    assert calls["GetClientAccounts"] == 2  # the plan's, and the read-back
    assert result is not None and not result.failed
    if sticks:
        assert result.verify_problems == []
        assert harness.plan().has_changes is False
    else:
        assert len(result.verify_problems) == 1 and "26" in result.verify_problems[0]
