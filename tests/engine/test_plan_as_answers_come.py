"""A full plan plans each client as soon as it is expanded and its answers are read: the
same plan as planning everything at the end, in the configuration's order, whatever order
the answers come in."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import pytest

from lexsync.engine import planner as planner_module
from lexsync.engine import session as session_module
from lexsync.engine.ready import Ahead, PartsWaiting, ReadsAhead, Stopped, note_need
from lexsync.engine.session import Session
from lexsync.resources.base import Desired
from lexsync.resources.live import LiveView
from lexsync.state.document import ResourceState
from tests.engine.conftest import BASE_CONFIG, Harness


def client(key: str, price: int = 10, url: str = "https://{key}.example/leads") -> str:
    return f"""
  {key}:
    username: {key}-portal
    password: ${{env:PW}}
    delivery_methods:
      hook:
        type: http_post
        lead_type: Auto Insurance
        url: {url.format(key=key)}
    delivery_accounts:
      all:
        method: hook
        price: {price}
"""


THREE = BASE_CONFIG + client("bolt") + client("cora") + client("dune")


def plan_of(harness: Harness, whole: bool, monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as patch:
        if whole:  # as a targeted plan and --adopt plan: everything read, then planned
            async def planned_whole(self: Session, api: Any, state: Any, ctx: Any, model: Any,
                                    reads: Any, _order: list[str]) -> Any:
                return await self._plan_whole(api, state, ctx, model, reads)

            patch.setattr(Session, "_plan_as_answers_come", planned_whole)
        bundle, _state = asyncio.run(harness.session().plan())
    return bundle


def test_the_plan_is_the_plan_of_everything_read_first(harness: Harness,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    harness.write(THREE)
    harness.apply()
    # An update, a create, a retire, a method change that moves nothing, and no-ops.
    harness.write(BASE_CONFIG + client("bolt", price=12) + client("cora", url="https://c.example/v2")
                  + client("erin"))
    streamed = plan_of(harness, False, monkeypatch)
    whole = plan_of(harness, True, monkeypatch)
    assert streamed.plan.to_dict() == whole.plan.to_dict()
    assert [s.change.address for s in streamed.steps] == [s.change.address for s in whole.steps]
    actions = {c.address: c.action.value for c in streamed.plan.changes}
    assert actions["client.bolt.delivery_account.all"] == "update"
    assert actions["client.cora.delivery_method.hook"] == "update"
    assert actions["client.erin"] == "create"
    assert actions["client.dune"] == "retire"
    assert actions["client.acme.delivery_account.ca"] == "no-op"


def test_what_state_recorded_as_live_shows_it_is_held_once(harness: Harness,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # A plan of thousands holds every record beside every observed value: where alike, one
    # object serves both, and the state written is the same.
    harness.write(THREE)
    harness.apply()
    path = harness.dir / ".lexsync" / "state.json"
    before = path.read_text(encoding="utf-8")
    harness.write(BASE_CONFIG + client("bolt", price=12) + client("cora") + client("dune"))
    bundle = plan_of(harness, False, monkeypatch)
    steps = {s.change.address: s for s in bundle.steps}
    same = steps["client.cora.delivery_account.all"]
    assert same.previous is not None and same.live is not None
    assert same.previous.attributes is same.live.attrs
    method = steps["client.acme.delivery_method.post"]
    assert method.previous is not None and method.live is not None
    assert method.previous.sub_ids is method.live.sub_ids and method.live.sub_ids  # as recorded
    changed = steps["client.bolt.delivery_account.all"]
    assert changed.previous is not None and changed.live is not None
    assert changed.previous.attributes["price"] == 10 and changed.change.after["price"] == 12
    harness.apply()
    assert path.read_text(encoding="utf-8") != before
    harness.write(THREE)
    harness.apply()
    after = json.loads(path.read_text(encoding="utf-8"))
    assert after["resources"] == json.loads(before)["resources"]


def test_clients_are_planned_as_their_answers_come_in_configuration_order(
        harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    harness.write(THREE)
    harness.apply()
    harness.write(THREE.replace("price: 10", "price: 11"))
    uids = {row["Username"]: uid for uid, row in harness.api.clients.items()}
    slow = uids["acme-portal"]  # the first client's answers come last
    log: list[str] = []
    reads = harness.api.get_client_accounts

    async def accounts(client_uid: int) -> list[dict]:
        if client_uid == slow:
            while not any(entry.startswith("planned client.dune") for entry in log):
                await asyncio.sleep(0.001)
        rows = await reads(client_uid)
        log.append(f"read {client_uid}")
        return rows

    add = planner_module.PlanBuilder.add

    def logged_add(self: Any, desired: list[Desired]) -> None:
        log.extend(f"planned {d.address}" for d in desired if d.kind == "client")
        add(self, desired)

    monkeypatch.setattr(harness.api, "get_client_accounts", accounts)
    monkeypatch.setattr(planner_module.PlanBuilder, "add", logged_add)
    bundle, _state = asyncio.run(harness.session().plan())
    # The other clients were planned before the first one's answers were read...
    assert log.index("planned client.dune") < log.index(f"read {slow}")
    assert log[-1] == "planned client.acme"
    # ...and the plan keeps the configuration's order.
    addresses = [c.address for c in bundle.plan.changes if c.kind == "client"]
    assert addresses == ["client.acme", "client.bolt", "client.cora", "client.dune"]
    assert [c.address for c in bundle.plan.actionable] == [
        f"client.{key}.delivery_account.all" for key in ("bolt", "cora", "dune")]


def test_a_failing_read_fails_the_plan_and_stops_the_others(harness: Harness) -> None:
    harness.write(THREE)
    harness.apply()

    async def broken(client_uid: int) -> list[dict]:
        raise RuntimeError("LeadExec is down")

    harness.api.get_client_accounts = broken  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="LeadExec is down"):
        asyncio.run(harness.session().plan())


def desired(address: str) -> Desired:
    parts = address.split(".")
    kind = "client_group" if parts[0] == "client_group" else \
        "client" if len(parts) == 2 else parts[2]
    return Desired(address=address, kind=kind, name=parts[-1], attrs={},
                   client=parts[1] if parts[0] == "client" else None)


def record(address: str, remote_id: int, parent_id: int | None = None) -> tuple[str, ResourceState]:
    kind = "client" if address.count(".") == 1 else address.split(".")[2]
    return address, ResourceState(address, kind, remote_id, parent_id)


def needs_of(records: list[tuple[str, ResourceState]]) -> dict[str, set[int]]:
    needs: dict[str, set[int]] = {}
    for address, record in records:
        note_need(needs, address, record)
    return needs


def listed(*uids: int) -> LiveView:
    view = LiveView()
    view.clients = {uid: {} for uid in uids}
    return view


def ready(waiting: PartsWaiting) -> list[list[str]]:
    return [[d.address for d in part] for part in waiting.ready()]


def test_a_part_waits_for_the_client_list_and_the_groups() -> None:
    waiting = PartsWaiting(needs_of([record("client.a", 1)]))
    waiting.add("a", [desired("client.a")])
    assert ready(waiting) == []
    waiting.read(None, listed(1))
    assert ready(waiting) == []  # the groups' part has not come
    waiting.add(None, [desired("client_group.g")])
    waiting.read(1, listed(1))
    assert ready(waiting) == [["client_group.g"], ["client.a"]]
    assert ready(waiting) == []


def test_a_part_waits_for_every_client_its_records_are_under() -> None:
    waiting = PartsWaiting(needs_of([record("client.a", 1),
                                     record("client.a.delivery_method.m", 10, parent_id=2),
                                     record("client.b", 3)]))
    waiting.add(None, [])
    waiting.read(None, listed(1, 2, 3))
    waiting.add("a", [desired("client.a")])
    waiting.add("new", [desired("client.new")])  # not in state: nothing to wait for
    assert ready(waiting) == [[], ["client.new"]]
    waiting.read(1, listed(1, 2, 3))
    assert ready(waiting) == []
    waiting.read(2, listed(1, 2, 3))
    assert ready(waiting) == [["client.a"]]
    waiting.read(3, listed(1, 2, 3))  # read before its part comes
    waiting.add("b", [desired("client.b")])
    assert ready(waiting) == [["client.b"]]


def test_a_client_missing_from_the_client_list_is_not_waited_for() -> None:
    waiting = PartsWaiting(needs_of([record("client.gone", 7)]))
    waiting.add(None, [])
    waiting.add("gone", [desired("client.gone")])
    waiting.read(None, listed())
    assert ready(waiting) == [[], ["client.gone"]]


def test_what_waits_for_a_client_never_read_is_planned_once_every_read_is_done() -> None:
    # A method recorded under another client than its own, whose answers no read asked for.
    waiting = PartsWaiting(needs_of([record("client.a", 1),
                                     record("client.a.delivery_method.m", 10, parent_id=9)]))
    waiting.add(None, [])
    waiting.read(None, listed(1, 9))
    waiting.add("a", [desired("client.a")])
    waiting.read(1, listed(1, 9))
    assert ready(waiting) == [[]]
    assert [[d.address for d in part] for part in waiting.rest()] == [["client.a"]]
    assert list(waiting.rest()) == []


def test_the_expansion_waits_with_a_window_of_parts_ahead(harness: Harness,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """With room for one part ahead, each client is expanded only once the one before it is
    planned; the plan is the same, and reads alone make room (nothing waits on itself)."""
    harness.write(THREE)
    harness.apply()
    harness.write(BASE_CONFIG + client("bolt", price=12) + client("cora") + client("erin"))
    wide = plan_of(harness, False, monkeypatch)
    log: list[str] = []
    add = planner_module.PlanBuilder.add

    def logged_add(self: Any, desired: list[Desired]) -> None:
        log.append("planned")
        add(self, desired)

    expand = Session._expand_models

    def logged_expand(self: Any, ctx: Any, model: Any, on_part: Any = None) -> Any:
        def part(key: str | None, desired: list[Desired]) -> None:
            on_part(key, desired)  # returns once there is room for it
            log.append("expanded")
        return expand(self, ctx, model, part if on_part else None)

    monkeypatch.setattr(session_module, "PARTS_AHEAD", 1)
    monkeypatch.setattr(planner_module.PlanBuilder, "add", logged_add)
    monkeypatch.setattr(Session, "_expand_models", logged_expand)
    narrow, _state = asyncio.run(harness.session().plan())
    assert narrow.plan.to_dict() == wide.plan.to_dict()
    assert log.count("expanded") == 5  # the groups' part, then four clients'
    # Never more than one part made and not planned (its room given back once planned).
    ahead = [log[:i].count("expanded") - log[:i].count("planned") for i in range(len(log) + 1)]
    assert max(ahead) <= 1


def test_a_failing_read_stops_an_expansion_waiting_for_room(harness: Harness,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    harness.write(THREE)
    harness.apply()

    async def broken(client_uid: int) -> list[dict]:
        raise RuntimeError("LeadExec is down")

    monkeypatch.setattr(session_module, "PARTS_AHEAD", 1)
    harness.api.get_client_accounts = broken  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="LeadExec is down"):
        asyncio.run(harness.session().plan())  # returns: the waiting expansion was let go


def test_clients_are_read_in_the_configuration_s_order(harness: Harness) -> None:
    harness.write(THREE)
    harness.apply()
    uids = {row["Username"].split("-")[0]: uid for uid, row in harness.api.clients.items()}
    # The configuration lists them against the order LeadExec numbered them (the apply
    # created them in parallel, so that order is read back rather than assumed).
    against = sorted(("bolt", "cora", "dune"), key=uids.__getitem__, reverse=True)
    harness.write(BASE_CONFIG.replace(
        "clients:\n", "clients:" + "".join(client(key) for key in against), 1))
    read: list[int] = []
    accounts = harness.api.get_client_accounts

    async def logged(client_uid: int) -> list[dict]:
        read.append(client_uid)
        return await accounts(client_uid)

    harness.api.get_client_accounts = logged  # type: ignore[method-assign]
    asyncio.run(harness.session().plan())
    assert read == [uids[key] for key in (*against, "acme")]
    assert sorted(read[:3]) != read[:3]


def test_ahead_waits_for_room_and_stops_when_closed() -> None:
    ahead = Ahead(1)
    ahead.enter()
    entered = threading.Event()
    stopped: list[BaseException] = []

    def second() -> None:
        try:
            ahead.enter()
            entered.set()
            ahead.enter()  # no room, until closed
        except Stopped as exc:
            stopped.append(exc)

    thread = threading.Thread(target=second)
    thread.start()
    assert not entered.wait(0.05)  # no room yet
    ahead.leave()
    assert entered.wait(2)
    ahead.close()
    thread.join(2)
    assert not thread.is_alive() and len(stopped) == 1
    with pytest.raises(Stopped):
        ahead.enter()


def test_a_read_waits_for_the_expansion_to_come_near_it() -> None:
    waiting = PartsWaiting(needs_of([record("client.a.delivery_method.m", 10, parent_id=5)]))

    async def run() -> list[str]:
        window = ReadsAhead(2, waiting)
        log: list[str] = []

        async def read(place: int, uid: int) -> None:
            await window.admit(place, uid)
            log.append(f"read {place}")

        first, second = asyncio.ensure_future(read(1, 7)), asyncio.ensure_future(read(2, 8))
        await asyncio.sleep(0)
        assert log == ["read 1"]  # within 2 of the expansion (nothing expanded yet)
        await window.changed(expanded=1)
        await asyncio.sleep(0)
        assert log == ["read 1", "read 2"]
        far = asyncio.ensure_future(read(9, 5))
        await asyncio.sleep(0)
        assert log == ["read 1", "read 2"]
        # An expanded part waits for client 5's answers: its read starts, however far.
        waiting.read(None, listed(5))
        waiting.add("a", [desired("client.a")])
        await window.changed()
        await asyncio.sleep(0)
        assert log[-1] == "read 9"
        last = asyncio.ensure_future(read(50, 9))
        await window.changed(all_expanded=True)
        await asyncio.gather(first, second, far, last)
        return log

    assert asyncio.run(run())[-1] == "read 50"


def test_reads_stay_near_the_expansion_and_the_plan_is_the_same(
        harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """With one read ahead of the expansion and one part ahead of the planning, the reads
    follow the expansion, nothing waits on itself, and the plan is the plan of everything."""
    harness.write(THREE)
    harness.apply()
    harness.write(BASE_CONFIG + client("bolt", price=12) + client("cora") + client("dune"))
    wide = plan_of(harness, False, monkeypatch)
    windows: list[ReadsAhead] = []

    class Logged(ReadsAhead):
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            windows.append(self)

    seen: list[tuple[int, int]] = []  # (parts expanded, reads started) as each read starts
    accounts = harness.api.get_client_accounts

    async def logged(client_uid: int) -> list[dict]:
        seen.append((windows[0]._expanded, len(seen)))
        return await accounts(client_uid)

    expand = Session._expand_models

    def slow_expand(self: Any, *args: Any) -> Any:
        time.sleep(0.3)  # as a large configuration's lint holds the expansion back
        return expand(self, *args)

    monkeypatch.setattr(Session, "_expand_models", slow_expand)
    monkeypatch.setattr(session_module, "ReadsAhead", Logged)
    monkeypatch.setattr(session_module, "READS_AHEAD", 1)
    monkeypatch.setattr(session_module, "PARTS_AHEAD", 1)
    harness.api.get_client_accounts = logged  # type: ignore[method-assign]

    async def plan() -> Any:
        async with asyncio.timeout(20):  # a read and a part waiting on each other would hang
            return await harness.session().plan()

    narrow, _state = asyncio.run(plan())
    assert narrow.plan.to_dict() == wide.plan.to_dict()
    assert len(seen) == 4
    # The read at place p started once p parts were expanded (the groups' first).
    assert all(expanded >= place for expanded, place in seen)
