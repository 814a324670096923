"""Behaviour every state backend must show; a new backend joins by adding a factory below."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from lexsync.errors import StateError, StateLockedError
from lexsync.state.backend import StateBackend
from lexsync.state.document import ResourceState, StateDocument
from lexsync.state.local import LocalBackend
from tests.state.postgres_server import Workspaces, postgres_url

# Each factory returns a function making independent backend objects on one shared store,
# as two separate lexsync runs would.
Factory = Callable[[], StateBackend]


def _local(tmp_path: Path) -> Factory:
    return lambda: LocalBackend(tmp_path / "state.json")


def _postgres(request: pytest.FixtureRequest) -> Factory:
    made = Workspaces(postgres_url())
    request.addfinalizer(made.close)
    return made


@pytest.fixture(params=["local", "postgres"])
def make(request: pytest.FixtureRequest, tmp_path: Path) -> Factory:
    if request.param == "postgres":
        return _postgres(request)
    return _local(tmp_path)


def _add(doc: StateDocument, address: str, remote_id: int) -> None:
    doc.resources[address] = ResourceState(address=address, kind="client", remote_id=remote_id)


def test_empty_store_loads_a_new_document(make: Factory) -> None:
    doc = make().load()
    assert (doc.serial, doc.resources) == (0, {})


def test_written_document_loads_back_equal(make: Factory) -> None:
    backend = make()
    doc = backend.load()
    _add(doc, "client.acme", 101)
    backend.write(doc)
    assert make().load() == doc
    assert doc.serial == 1


def test_serial_rises_only_on_content_change(make: Factory) -> None:
    backend = make()
    doc = backend.load()
    _add(doc, "client.acme", 101)
    backend.write(doc)
    backend.write(doc)
    assert make().load().serial == 1
    doc.resources["client.acme"].attributes["status"] = "Active"
    backend.write(doc)
    assert make().load().serial == 2


def test_write_after_someone_else_wrote_is_refused(make: Factory) -> None:
    seed_backend = make()
    seed = seed_backend.load()
    _add(seed, "client.acme", 101)
    seed_backend.write(seed)  # serial 1
    mine_backend, theirs_backend = make(), make()
    mine, theirs = mine_backend.load(), theirs_backend.load()
    _add(theirs, "client.beta", 102)
    theirs_backend.write(theirs)  # serial 2
    _add(mine, "client.gamma", 103)
    with pytest.raises(StateError) as info:
        mine_backend.write(mine)
    assert info.value.message.startswith(
        "state changed since it was read: serial 2 on disk, 1 expected")
    assert set(make().load().resources) == {"client.acme", "client.beta"}


def test_second_lock_is_refused_with_holder_info(make: Factory) -> None:
    with make().lock("apply") as held:
        started = time.monotonic()
        with pytest.raises(StateLockedError) as info, make().lock("plan"):
            pass
        assert time.monotonic() - started < 1  # timeout 0: no waiting
    message = info.value.message
    assert f"Lock ID: {held.id}" in message
    assert f"Who:     {held.who} (pid {held.pid})" in message
    assert "Command: apply" in message
    assert f"Since:   {held.since}" in message
    # The holder is known to be alive: breaking its lock is not what to do.
    assert "still running" in message and "force-unlock" not in message
    with make().lock("plan") as again:  # released on exit
        assert again.command == "plan"


def test_lock_waits_until_released_within_timeout(make: Factory) -> None:
    acquired, release = threading.Event(), threading.Event()

    def hold() -> None:
        with make().lock("apply"):
            acquired.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    assert acquired.wait(5)
    threading.Timer(0.3, release.set).start()
    started = time.monotonic()
    with make().lock("plan", timeout=5) as info:
        waited = time.monotonic() - started
        assert info.command == "plan"
    holder.join(5)
    assert 0.2 <= waited < 5


def test_lock_gives_up_after_timeout(make: Factory) -> None:
    with make().lock("apply"):
        started = time.monotonic()
        with pytest.raises(StateLockedError, match=r"locked \(waited 0.3s\)"), \
                make().lock("plan", timeout=0.3):
            pass
        assert time.monotonic() - started >= 0.3


def test_force_unlock_removes_only_the_named_lock(make: Factory) -> None:
    with make().lock("apply") as held:
        with pytest.raises(StateError, match=f"does not match the current lock {held.id}"):
            make().force_unlock("not-the-id", force=True)
        with pytest.raises(StateLockedError):
            make().lock("plan").__enter__()
        make().force_unlock(held.id, force=True)
        with make().lock("plan") as taken:
            assert taken.id != held.id


def test_force_unlock_refuses_while_the_holder_runs_and_explains_the_risk(make: Factory) -> None:
    with make().lock("apply") as held:
        with pytest.raises(StateLockedError) as info:
            make().force_unlock(held.id)
        message = info.value.message
        assert f"lock {held.id} is held by a run that is still running" in message
        assert f"{held.who} (pid {held.pid})" in message and "apply" in message
        assert "duplicate" in message and "orphan" in message and "--force" in message
        with pytest.raises(StateLockedError):  # still locked
            make().lock("plan").__enter__()
        done = make().force_unlock(held.id, force=True)
        assert "still running" in done
        with make().lock("plan") as taken:
            assert taken.id != held.id


def test_the_source_digest_is_that_of_the_stored_text(make: Factory) -> None:
    """What a saved plan records of the state it was made from (engine/planfile.py)."""
    backend = make()
    doc = backend.load()
    _add(doc, "client.acme", 101)
    backend.write(doc)
    stored = doc.source_digest
    assert stored is not None and make().load().source_digest == stored
    backend.write(doc)  # unchanged: not written again
    assert doc.source_digest == stored
    _add(doc, "client.beta", 102)
    backend.write(doc)
    assert doc.source_digest != stored
    assert make().load().source_digest == doc.source_digest
