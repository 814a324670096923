"""`state.json.backup` is safe to restore: a copy of the newest state, never one that forgets
objects an apply created (restoring such a copy made the next apply create them again)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from lexsync.cli.main import main
from lexsync.state.document import ResourceState
from lexsync.state.journal import JournalWriter, journal_path
from lexsync.state.local import LocalBackend


def _resource(address: str, remote_id: int) -> ResourceState:
    return ResourceState(address=address, kind="client", remote_id=remote_id)


def test_after_an_apply_the_backup_holds_everything_it_recorded(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / "state.json")
    with backend.lock("apply"):
        doc = backend.load()
        journal = JournalWriter(journal_path(backend.path), doc, backend.write)
        for i in range(3):
            doc.resources[f"client.c{i}"] = _resource(f"client.c{i}", 100 + i)
            journal.save(doc)
        journal.close()
    assert backend.backup_path.read_bytes() == backend.path.read_bytes()
    restored = LocalBackend(backend.backup_path).load()
    assert set(restored.resources) == {"client.c0", "client.c1", "client.c2"}


@pytest.mark.parametrize("indexed", [True, False], ids=["its index", "no index"])
def test_a_backup_older_than_the_state_is_renewed_by_the_next_locked_run(tmp_path: Path,
                                                                          indexed: bool) -> None:
    backend = LocalBackend(tmp_path / "state.json")
    doc = backend.load()
    backend.write(doc)
    old = backend.path.read_text()
    doc.resources["client.a"] = _resource("client.a", 1)
    backend.write(doc)
    if not indexed:  # a state an older lexsync wrote: renewed once it parses
        backend.index_path.unlink()
    backend.backup_path.write_text(old)  # as an earlier lexsync left it: the previous version
    with backend.lock("plan"):
        pass
    assert backend.backup_path.read_bytes() == backend.path.read_bytes()


def applied_quick_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The quick start written by `lexsync init` in `tmp_path` and applied to its sandbox."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ACME_PORTAL_PASSWORD", "portal-secret")
    runner = CliRunner()
    assert runner.invoke(main, ["init"]).exit_code == 0
    first = runner.invoke(main, ["apply", "--api", "sandbox", "--auto-approve"])
    assert first.exit_code == 0, first.output
    return runner


def test_restoring_the_backup_as_the_error_advises_creates_no_duplicate(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = applied_quick_start(tmp_path, monkeypatch)
    state = tmp_path / ".lexsync" / "state.json"
    state.write_text(state.read_text()[:-40])  # damaged, say by a hand edit
    broken = runner.invoke(main, ["plan", "--api", "sandbox"])
    assert broken.exit_code == 1
    assert "restore it from" in broken.output and "state.json.backup" in broken.output
    shutil.copyfile(tmp_path / ".lexsync" / "state.json.backup", state)
    after = runner.invoke(main, ["plan", "--api", "sandbox", "--detailed-exitcode"])
    assert after.exit_code == 0, after.output  # nothing to create again


def test_a_backup_is_compared_by_content_a_block_at_a_time(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    backend = LocalBackend(tmp_path / "state.json")
    doc = backend.load()
    doc.resources["client.a"] = _resource("client.a", 1)
    backend.write(doc)

    def whole(self: Path) -> bytes:
        raise AssertionError(f"{self} read whole")

    with monkeypatch.context() as patch:
        patch.setattr(Path, "read_bytes", whole)  # a 10,000-buyer state is 224 MB
        with backend.lock("plan"):
            pass
    text = backend.backup_path.read_bytes()
    assert text == backend.path.read_bytes()
    # Another content of the same size and time stamp (a copy of another state): renewed,
    # though the same comparison found the two alike before.
    stat = backend.backup_path.stat()
    backend.backup_path.write_bytes(text.replace(b'"remote_id": 1', b'"remote_id": 7'))
    os.utime(backend.backup_path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert backend.backup_path.stat().st_size == stat.st_size
    with backend.lock("plan"):
        pass
    assert backend.backup_path.read_bytes() == backend.path.read_bytes()
    backend.backup_path.unlink()
    with backend.lock("plan"):
        pass
    assert backend.backup_path.read_bytes() == backend.path.read_bytes()


@pytest.mark.parametrize("command", [["apply", "--api", "sandbox", "--auto-approve"],
                                     ["state", "rm", "client.acme"]])
def test_a_damaged_state_never_replaces_the_backup(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]) -> None:
    # A locked run renews a backup that differs from the state: a damaged state file copied
    # over it destroyed the only good copy, which the error then advised restoring from.
    runner = applied_quick_start(tmp_path, monkeypatch)
    state = tmp_path / ".lexsync" / "state.json"
    backup = tmp_path / ".lexsync" / "state.json.backup"
    good = backup.read_bytes()
    state.write_bytes(good[:len(good) // 2])  # cut short, say by a full disk
    broken = runner.invoke(main, command)
    assert broken.exit_code == 1
    assert "restore it from" in broken.output and "state.json.backup" in broken.output
    assert backup.read_bytes() == good
    shutil.copyfile(backup, state)
    after = runner.invoke(main, ["plan", "--api", "sandbox", "--detailed-exitcode"])
    assert after.exit_code == 0, after.output
