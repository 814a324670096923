from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from lexsync.errors import StateError, StateLockedError
from lexsync.state.local import LocalBackend


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "s.json"


def test_lock_file_holds_who_what_when_and_is_removed_after(path: Path) -> None:
    backend = LocalBackend(path)
    with backend.lock("apply") as info:
        data = json.loads(backend.lock_path.read_text())
        assert data == {"id": info.id, "who": info.who, "pid": os.getpid(),
                        "command": "apply", "since": info.since}
        assert "@" in info.who
        assert info.since.endswith("+00:00")
        assert backend.lock_info() == info
    assert not backend.lock_path.exists()
    assert backend.lock_info() is None


def test_stale_lock_without_flock_holder_is_taken_over(path: Path) -> None:
    backend = LocalBackend(path)
    stale = {"id": "dead-beef", "who": "ci@runner-7", "pid": 999999, "command": "apply",
             "since": "2026-01-01T00:00:00+00:00"}
    backend.lock_path.write_text(json.dumps(stale))
    with backend.lock("plan") as info:
        assert info.id != "dead-beef"
        assert json.loads(backend.lock_path.read_text())["id"] == info.id
    assert not backend.lock_path.exists()


def test_lock_of_killed_process_is_taken_over(path: Path) -> None:
    script = (
        "import sys, time; from pathlib import Path; from lexsync.state.local import LocalBackend\n"
        "with LocalBackend(Path(sys.argv[1])).lock('apply'):\n"
        "    print('locked', flush=True); time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE,
                             text=True)
    try:
        assert child.stdout.readline().strip() == "locked"
        backend = LocalBackend(path)
        with pytest.raises(StateLockedError, match=f"pid {child.pid}"), backend.lock("plan"):
            pass
        os.kill(child.pid, signal.SIGKILL)
        child.wait(5)
        assert backend.lock_path.exists()  # the dead process left its lock file behind
        with backend.lock("plan") as info:
            assert info.pid == os.getpid()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(5)
        child.stdout.close()


def test_force_unlock_needs_the_matching_id(path: Path) -> None:
    backend = LocalBackend(path)
    backend.lock_path.write_text(json.dumps(
        {"id": "abc-123", "who": "ops@laptop", "pid": 1, "command": "apply",
         "since": "2026-01-01T00:00:00+00:00"}))
    with pytest.raises(StateError, match="lock ID wrong does not match the current lock abc-123"):
        backend.force_unlock("wrong")
    assert backend.lock_path.exists()
    # No process holds its flock: the holder is gone, so no --force is needed.
    assert "no longer running" in backend.force_unlock("abc-123")
    assert not backend.lock_path.exists()
    with pytest.raises(StateError, match="is not locked"):
        backend.force_unlock("abc-123")


def test_force_unlocked_holder_does_not_remove_the_next_lock(path: Path) -> None:
    first, second = LocalBackend(path), LocalBackend(path)
    with first.lock("apply") as info:
        first.force_unlock(info.id, force=True)
        with second.lock("plan"):
            pass
        third = LocalBackend(path)
        ctx = third.lock("drift")
        newest = ctx.__enter__()
    # `first` released after someone else locked: their lock file must survive.
    assert json.loads(path.with_name("s.json.lock").read_text())["id"] == newest.id
    ctx.__exit__(None, None, None)
    assert not path.with_name("s.json.lock").exists()


def test_lock_creates_the_state_directory(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / ".lexsync" / "state.json")
    with backend.lock("apply"):
        doc = backend.load()
        backend.write(doc)
    assert backend.path.exists()
    assert not backend.lock_path.exists()


def test_force_unlock_of_a_live_apply_is_refused_by_the_cli_unless_forced(
        tmp_path: Path) -> None:
    from click.testing import CliRunner

    from lexsync.cli.main import main

    state = tmp_path / "s.json"
    script = (
        "import sys, time; from pathlib import Path; from lexsync.state.local import LocalBackend\n"
        "with LocalBackend(Path(sys.argv[1])).lock('apply') as info:\n"
        "    print(info.id, flush=True); time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script, str(state)], stdout=subprocess.PIPE,
                             text=True)
    try:
        lock_id = child.stdout.readline().strip()
        runner = CliRunner()
        refused = runner.invoke(main, ["force-unlock", "--state", str(state), lock_id])
        assert refused.exit_code == 1
        assert f"pid {child.pid}" in refused.output and "still running" in refused.output
        assert LocalBackend(state).lock_path.exists()
        forced = runner.invoke(main, ["force-unlock", "--state", str(state), "--force", lock_id])
        assert forced.exit_code == 0, forced.output
        assert not LocalBackend(state).lock_path.exists()
        helped = runner.invoke(main, ["force-unlock", "--help"])
        assert "duplicate" in helped.output and "orphan" in helped.output
    finally:
        child.kill()
        child.wait(5)
        child.stdout.close()


def test_the_lock_message_of_a_live_local_holder_does_not_suggest_force_unlock(
        path: Path) -> None:
    with LocalBackend(path).lock("apply"), \
            pytest.raises(StateLockedError) as info, LocalBackend(path).lock("plan"):
        pass
    assert "still running" in info.value.message
    assert "force-unlock" not in info.value.message
