"""The local state's files: safe modes under any umask, no planted links followed, a journal
left by a kill during the final fold folded by the next locked run, stray temporary files
cleaned, implausible documents refused."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lexsync.errors import StateError
from lexsync.state.document import ResourceState, StateDocument
from lexsync.state.journal import JournalWriter, journal_path
from lexsync.state.local import LocalBackend


@pytest.fixture
def open_umask() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def _resource(address: str, remote_id: int) -> ResourceState:
    return ResourceState(address=address, kind="client", remote_id=remote_id)


def test_state_directory_and_files_are_owner_only_under_umask_000(tmp_path: Path,
                                                                  open_umask: None) -> None:
    backend = LocalBackend(tmp_path / ".lexsync" / "state.json")
    with backend.lock("apply"):
        assert _mode(backend.lock_path) == 0o600
        doc = backend.load()
        doc.resources["client.a"] = _resource("client.a", 1)
        journal = JournalWriter(journal_path(backend.path), doc, backend.write)
        assert _mode(journal_path(backend.path)) == 0o600
        doc.resources["client.b"] = _resource("client.b", 2)
        journal.save(doc)
        journal.close()
    assert _mode(tmp_path / ".lexsync") == 0o700
    assert _mode(backend.path) == 0o600
    assert _mode(backend.backup_path) == 0o600


def test_a_journal_left_with_loose_permissions_is_made_owner_only(tmp_path: Path,
                                                                 open_umask: None) -> None:
    backend = LocalBackend(tmp_path / "state.json")
    path = journal_path(backend.path)
    path.write_text("")
    path.chmod(0o666)
    journal = JournalWriter(path, backend.load(), backend.write)
    assert _mode(path) == 0o600
    journal.close()


def test_a_planted_journal_link_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / "state.json")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    journal_path(backend.path).symlink_to(victim)
    doc = backend.load()
    with pytest.raises(StateError, match=r"state\.json\.journal is a symbolic link"):
        JournalWriter(journal_path(backend.path), doc, backend.write)
    assert victim.read_text() == "precious\n"


def test_a_planted_journal_link_is_not_read_on_load(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / "state.json")
    doc = backend.load()
    backend.write(doc)
    elsewhere = tmp_path / "elsewhere.journal"
    elsewhere.write_text(json.dumps({"lineage": doc.lineage, "base_serial": doc.serial}) + "\n")
    journal_path(backend.path).symlink_to(elsewhere)
    with pytest.raises(StateError, match="is a symbolic link"):
        LocalBackend(backend.path).load()


def test_a_planted_lock_file_link_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / "state.json")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    backend.lock_path.symlink_to(victim)
    with pytest.raises(StateError, match=r"state\.json\.lock is a symbolic link"), \
            backend.lock("apply"):
        pass
    assert victim.read_text() == "precious\n"
    with pytest.raises(StateError, match="is a symbolic link"):
        backend.force_unlock("anything")
    assert victim.read_text() == "precious\n"


def test_a_dangling_lock_file_link_is_refused(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / "state.json")
    target = tmp_path / "created-by-lexsync"
    backend.lock_path.symlink_to(target)
    with pytest.raises(StateError, match="is a symbolic link"), backend.lock("apply"):
        pass
    assert not target.exists()


# A run killed while its final fold writes the state file: the journal holds what the apply
# did, the state file does not.
_KILLED_DURING_FOLD = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from lexsync.state import local
    from lexsync.state.document import ResourceState
    from lexsync.state.journal import JournalWriter, journal_path

    backend = local.LocalBackend(Path(sys.argv[1]))
    with backend.lock("apply"):
        doc = backend.load()
        journal = JournalWriter(journal_path(backend.path), doc, backend.write)
        doc.resources["client.new"] = ResourceState(address="client.new", kind="client",
                                                    remote_id=4242)
        journal.save(doc)
        real_write = local._atomic_write

        def killed(path, content):
            if path == backend.path:
                os.kill(os.getpid(), signal.SIGKILL)
            real_write(path, content)

        local._atomic_write = killed
        journal.close()
""")


def test_a_journal_left_by_a_kill_during_the_final_fold_is_folded_by_the_next_run(
        tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / "state.json")
    doc = backend.load()
    doc.resources["client.old"] = _resource("client.old", 1)
    backend.write(doc)
    killed = subprocess.run([sys.executable, "-c", _KILLED_DURING_FOLD, str(backend.path)],
                            capture_output=True, text=True, timeout=60)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    raw = StateDocument.from_json(backend.path.read_text(), "raw")
    assert "client.new" not in raw.resources  # only the journal has it
    assert "client.new" in LocalBackend(backend.path).load().resources

    # A later run that changes nothing (it takes the lock, reads, writes nothing).
    later = LocalBackend(backend.path)
    with later.lock("apply"):
        later.load()
    assert not journal_path(backend.path).exists()
    folded = StateDocument.from_json(backend.path.read_text(), "raw")
    assert folded.resources["client.new"].remote_id == 4242
    assert set(folded.resources) == {"client.old", "client.new"}


def test_a_journal_already_folded_is_removed_by_the_next_locked_run(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / "state.json")
    doc = backend.load()
    journal = JournalWriter(journal_path(backend.path), doc, backend.write)
    doc.resources["client.a"] = _resource("client.a", 1)
    journal.save(doc)
    text = journal_path(backend.path).read_text()
    journal.close()
    journal_path(backend.path).write_text(text)  # the fold wrote; the removal never happened
    serial = LocalBackend(backend.path).load().serial
    with backend.lock("apply"):
        pass
    assert not journal_path(backend.path).exists()
    assert LocalBackend(backend.path).load().serial == serial


def _stray(directory: Path, name: str, age: float = 3600) -> Path:
    path = directory / name
    path.write_text("half a state")
    past = time.time() - age
    os.utime(path, (past, past))
    return path


def test_stray_temporary_files_of_this_state_are_removed_by_the_next_locked_run(
        tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / "state.json")
    ours = [_stray(tmp_path, ".state.json.k3x9_a1b.tmp"),
            _stray(tmp_path, ".state.json.backup.zz0q8w2e.tmp")]
    others = [_stray(tmp_path, ".other.json.k3x9_a1b.tmp"),  # another state's
              _stray(tmp_path, ".state.json.notours.tmp"),  # not a name lexsync makes
              _stray(tmp_path, "state.json.k3x9_a1b.tmp"),
              _stray(tmp_path, ".state.json.abcdefgh.tmp", age=0)]  # just made: may be in use
    target = _stray(tmp_path, "target")
    link = tmp_path / ".state.json.linklink.tmp"
    link.symlink_to(target)
    with backend.lock("apply"):
        pass
    assert not any(p.exists() for p in ours)
    assert all(p.exists() for p in others)
    assert link.is_symlink() and target.exists()


def test_a_temporary_file_being_written_is_not_removed(tmp_path: Path) -> None:
    import fcntl

    backend = LocalBackend(tmp_path / "state.json")
    busy = _stray(tmp_path, ".state.json.busy0001.tmp")
    with busy.open("rb") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # as a writer holds it
        with backend.lock("apply"):
            pass
        assert busy.exists()
    with backend.lock("apply"):
        pass
    assert not busy.exists()


def _document(**changes: object) -> str:
    data: dict[str, object] = {"version": 1, "lineage": "l", "serial": 3, "secret_salt": "x",
                               "resources": {}}
    data.update(changes)
    return json.dumps(data)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_document(serial=-5), "serial must be between 0 and 9223372036854775807, not -5"),
        (_document(serial=10**22), "serial must be between 0 and 9223372036854775807"),
        (_document(serial=1e22), "serial must be an integer, not a number"),
        (_document(serial=2.5), "serial must be an integer, not a number"),
        (_document(resources={"client.a": {"address": "client.a", "kind": "nope",
                                           "remote_id": 1}}),
         "resources.client.a.kind 'nope' is not a resource kind"),
        (_document(resources={"client.a": {"address": "client.a", "kind": "delivery_account",
                                           "remote_id": 1}}),
         "resources.client.a.kind 'delivery_account' does not match its address"),
        (_document(pending={"client.b": {"kind": "nope"}}),
         "pending.client.b.kind 'nope' is not a resource kind"),
    ],
)
def test_implausible_documents_are_refused_naming_the_file(text: str, message: str) -> None:
    with pytest.raises(StateError, match="state file prod.json is corrupt: " + message):
        StateDocument.from_json(text, "prod.json")


def test_the_cli_makes_the_state_directory_owner_only(tmp_path: Path, open_umask: None,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from lexsync.cli.main import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ACME_PORTAL_PASSWORD", "portal-secret")
    runner = CliRunner()
    assert runner.invoke(main, ["init"]).exit_code == 0
    result = runner.invoke(main, ["apply", "--api", "sandbox", "--auto-approve"])
    assert result.exit_code == 0, result.output
    assert _mode(tmp_path / ".lexsync") == 0o700
    assert _mode(tmp_path / ".lexsync" / "state.json") == 0o600
