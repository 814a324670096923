"""The postgres backend against a real server: races between processes, killed holders,
serial conflicts, history and rollback. Backend behaviour shared with local is in the
conformance suite."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lexsync.errors import StateError, StateLockedError
from lexsync.state.document import ResourceState, StateDocument
from lexsync.state.factory import open_backend
from lexsync.state.local import LocalBackend
from lexsync.state.postgres import PostgresBackend, redact_url
from tests.state.postgres_server import Workspaces, workspaces

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def made() -> Iterator[Workspaces]:
    yield from workspaces()


def _add(doc: StateDocument, address: str, remote_id: int) -> None:
    doc.resources[address] = ResourceState(address=address, kind="client", remote_id=remote_id)


# A run as a separate process: lock, read, pretend to work, write one resource.
_RUN = textwrap.dedent("""
    import os, sys, time
    from lexsync.errors import StateLockedError
    from lexsync.state.document import ResourceState
    from lexsync.state.postgres import PostgresBackend
    url, workspace, name, timeout, hold, go = sys.argv[1:7]
    backend = PostgresBackend(url, workspace)
    backend.load()  # connected and ready: what follows is only the race for the lock
    print("ready", flush=True)
    while go and not os.path.exists(go):
        time.sleep(0.005)
    try:
        with backend.lock("apply " + name, timeout=float(timeout)):
            print("locked", flush=True)
            doc = backend.load()
            time.sleep(float(hold))
            doc.resources["client." + name] = ResourceState(
                address="client." + name, kind="client", remote_id=len(doc.resources) + 1)
            backend.write(doc)
            print("wrote", doc.serial, flush=True)
    except StateLockedError as exc:
        print("refused", exc.message.replace(chr(10), " | "), flush=True)
""")


def _run(made: Workspaces, name: str, timeout: float = 0, hold: float = 1.0,
         go: Path | None = None) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", _RUN, made.url, made.workspace, name, str(timeout), str(hold),
         str(go or "")], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    return process


def _race(made: Workspaces, tmp_path: Path, timeout: float) -> list[str]:
    """Two runs that go for the lock at the same moment; their outputs."""
    go = tmp_path / "go"
    runs = [_run(made, name, timeout=timeout, go=go) for name in ("a", "b")]
    go.touch()
    return [p.communicate(timeout=60)[0] for p in runs]


def test_two_runs_started_together_one_is_refused_never_both_write(made: Workspaces,
                                                                   tmp_path: Path) -> None:
    outputs = _race(made, tmp_path, timeout=0)
    wrote = [o for o in outputs if "wrote" in o]
    refused = [o for o in outputs if o.startswith("refused")]
    assert len(wrote) == 1 and len(refused) == 1, outputs
    # The refusal names the holder, which runs on this machine and is alive: no force-unlock.
    assert "Lock ID:" in refused[0] and "Command: apply " in refused[0]
    assert "still running" in refused[0] and "force-unlock" not in refused[0]
    doc = made().load()
    assert doc.serial == 1 and len(doc.resources) == 1


def test_two_runs_with_lock_timeout_take_turns_and_keep_both_writes(made: Workspaces,
                                                                    tmp_path: Path) -> None:
    outputs = _race(made, tmp_path, timeout=30)
    assert all("wrote" in o for o in outputs), outputs
    serials = sorted(int(o.split("wrote")[1].split()[0]) for o in outputs)
    assert serials == [1, 2]  # the second read what the first wrote
    assert set(made().load().resources) == {"client.a", "client.b"}


def test_killed_holder_releases_the_lock_and_leaves_a_valid_state(made: Workspaces) -> None:
    seed = made()
    doc = seed.load()
    _add(doc, "client.acme", 101)
    seed.write(doc)
    holder = _run(made, "killed", hold=120)
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    with pytest.raises(StateLockedError, match="Command: apply killed"):
        made().lock("plan").__enter__()
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(10)
    started = time.monotonic()
    with made().lock("apply", timeout=10) as info:
        assert info.command == "apply"
        assert made().lock_info() == info
    assert time.monotonic() - started < 10
    after = made().load()
    assert after.serial == 1 and set(after.resources) == {"client.acme"}
    assert made().lock_info() is None


def test_a_holder_on_another_machine_cannot_be_checked_so_force_unlock_is_suggested(
        made: Workspaces) -> None:
    holder = made()
    with holder.lock("apply") as held:
        with holder._data() as conn:  # as if the run were on a machine that has since vanished
            conn.execute("UPDATE lexsync.locks SET who = 'ci@runner-gone' WHERE workspace = %s",
                         (made.workspace,))
        with pytest.raises(StateLockedError) as info, made().lock("plan"):
            pass
        message = info.value.message
        assert "cannot tell" in message
        assert f"lexsync force-unlock --force {held.id}" in message
        # Its session is connected, so force-unlock still needs --force, and says why.
        with pytest.raises(StateLockedError, match=r"its database session \(server pid \d+"):
            made().force_unlock(held.id)


def test_stale_lock_row_of_a_dead_session_is_not_reported_as_a_lock(made: Workspaces) -> None:
    holder = _run(made, "gone", hold=120)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    assert made().lock_info() is not None
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(10)
    deadline = time.monotonic() + 10
    while made().lock_info() is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert made().lock_info() is None
    with pytest.raises(StateError, match="is not locked"):
        made().force_unlock("anything")


def test_serial_conflict_is_refused_and_the_other_write_survives(made: Workspaces) -> None:
    mine_backend, theirs_backend = made(), made()
    mine, theirs = mine_backend.load(), theirs_backend.load()
    _add(theirs, "client.theirs", 1)
    theirs_backend.write(theirs)
    _add(mine, "client.mine", 2)
    with pytest.raises(StateError, match="serial 1 on disk, 0 expected"):
        mine_backend.write(mine)  # both started from an empty workspace
    _add(theirs, "client.more", 3)
    theirs_backend.write(theirs)
    stale_backend = made()
    stale = stale_backend.load()
    _add(theirs, "client.again", 4)
    theirs_backend.write(theirs)
    _add(stale, "client.stale", 5)
    with pytest.raises(StateError, match="serial 3 on disk, 2 expected"):
        stale_backend.write(stale)
    assert set(made().load().resources) == {"client.theirs", "client.more", "client.again"}


def test_a_different_lineage_is_never_overwritten(made: Workspaces) -> None:
    backend = made()
    doc = backend.load()
    _add(doc, "client.acme", 1)
    backend.write(doc)
    other = StateDocument.new()
    other.serial = doc.serial
    with pytest.raises(StateError, match="refusing to overwrite a different state"):
        made().write(other)


def test_rollback_restores_the_previous_version_as_a_new_serial(made: Workspaces) -> None:
    backend = made()
    doc = backend.load()
    for n in range(1, 4):  # serials 1, 2, 3 with 1, 2, 3 resources
        _add(doc, f"client.c{n}", n)
        backend.write(doc)
    history = backend.history()
    assert [e.serial for e in history] == [3, 2, 1]
    assert [e.resources for e in history] == [3, 2, 1]
    assert history[0].current and not any(e.current for e in history[1:])
    with backend.lock("state rollback"):
        restored, new = made().rollback()
    assert (restored, new.serial) == (2, 4)
    assert set(made().load().resources) == {"client.c1", "client.c2"}
    # The rollback is a version too, so it can be undone, and any kept serial can be named.
    restored, new = made().rollback(1)
    assert (restored, new.serial) == (1, 5)
    assert set(made().load().resources) == {"client.c1"}
    with pytest.raises(StateError, match="keeps no version with serial 99"):
        made().rollback(99)


def test_rollback_of_an_empty_or_single_version_state_is_refused(made: Workspaces) -> None:
    with pytest.raises(StateError, match="is empty: nothing to roll back to"):
        made().rollback()
    backend = made()
    doc = backend.load()
    _add(doc, "client.acme", 1)
    backend.write(doc)
    with pytest.raises(StateError, match="no version before serial 1"):
        made().rollback()


def test_history_keeps_the_configured_number_of_previous_versions(made: Workspaces) -> None:
    backend = made(history=3)
    doc = backend.load()
    for n in range(1, 8):
        _add(doc, f"client.c{n}", n)
        backend.write(doc)
    assert [e.serial for e in made().history()] == [7, 6, 5, 4]  # current + 3 previous


def test_writes_record_who_and_which_command(made: Workspaces) -> None:
    backend = made()
    with backend.lock("apply"):
        doc = backend.load()
        _add(doc, "client.acme", 1)
        backend.write(doc)
    entry = made().history()[0]
    assert entry.command == "apply" and "@" in entry.written_by


def test_unreachable_database_is_a_clear_error_without_the_password() -> None:
    backend = PostgresBackend("postgresql://lexsync:s3cret@127.0.0.1:1/none")
    with pytest.raises(StateError) as info:
        backend.load()
    assert info.value.message.startswith(
        "cannot connect to the state database postgresql://lexsync@127.0.0.1:1/none")
    assert "s3cret" not in info.value.message
    assert redact_url("postgresql://u:p@h/db") == "postgresql://u@h/db"


class _Settings:
    backend = "local"
    path = "state.json"
    url = None
    workspace = "default"
    history = 20


def test_backend_selection(tmp_path: Path, made: Workspaces) -> None:
    settings = _Settings()
    assert isinstance(open_backend(settings, tmp_path, {}), LocalBackend)
    chosen = open_backend(settings, tmp_path, {"LEXSYNC_STATE_URL": made.url,
                                               "LEXSYNC_STATE_WORKSPACE": "w1"})
    assert isinstance(chosen, PostgresBackend) and chosen.workspace == "w1"
    override = open_backend(settings, tmp_path, {"LEXSYNC_STATE_URL": made.url}, tmp_path / "x.json")
    assert isinstance(override, LocalBackend)
    settings.backend = "postgres"
    with pytest.raises(StateError, match="needs a database URL: set LEXSYNC_STATE_URL"):
        open_backend(settings, tmp_path, {})
    settings.url = made.url
    assert isinstance(open_backend(settings, tmp_path, {}), PostgresBackend)
