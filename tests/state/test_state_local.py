from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from lexsync.errors import StateError
from lexsync.state.document import ResourceState, StateDocument
from lexsync.state.local import LocalBackend


@pytest.fixture
def backend(tmp_path: Path) -> LocalBackend:
    return LocalBackend(tmp_path / "lexsync.state.json")


def _add(doc: StateDocument, address: str, remote_id: int) -> None:
    doc.resources[address] = ResourceState(address=address, kind="client", remote_id=remote_id)


def test_missing_file_loads_a_new_document(backend: LocalBackend) -> None:
    doc = backend.load()
    assert doc.serial == 0
    assert doc.resources == {}
    assert not backend.path.exists()


def test_first_write_creates_file_with_serial_1(backend: LocalBackend) -> None:
    doc = backend.load()
    _add(doc, "client.acme", 101)
    returned = backend.write(doc)
    assert returned is doc
    assert doc.serial == 1
    on_disk = StateDocument.from_json(backend.path.read_text(), "x")
    assert on_disk == doc
    assert backend.backup_path.read_bytes() == backend.path.read_bytes()


def test_serial_rises_only_when_content_changes(backend: LocalBackend) -> None:
    doc = backend.load()
    _add(doc, "client.acme", 101)
    backend.write(doc)
    mtime_before = backend.path.stat().st_mtime_ns
    backend.write(doc)
    assert doc.serial == 1
    assert json.loads(backend.path.read_text())["serial"] == 1
    assert backend.path.stat().st_mtime_ns == mtime_before  # unchanged content: no rewrite
    _add(doc, "client.beta", 102)
    backend.write(doc)
    assert doc.serial == 2
    assert json.loads(backend.path.read_text())["serial"] == 2


def test_the_backup_is_a_copy_of_the_newest_state(backend: LocalBackend) -> None:
    doc = backend.load()
    _add(doc, "client.acme", 101)
    backend.write(doc)
    assert backend.backup_path.read_bytes() == backend.path.read_bytes()
    _add(doc, "client.beta", 102)
    backend.write(doc)
    assert set(json.loads(backend.path.read_text())["resources"]) == {"client.acme", "client.beta"}
    assert backend.backup_path.read_bytes() == backend.path.read_bytes()


def test_files_are_owner_only(backend: LocalBackend) -> None:
    doc = backend.load()
    _add(doc, "client.acme", 101)
    backend.write(doc)
    _add(doc, "client.beta", 102)
    backend.write(doc)
    assert stat.S_IMODE(backend.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(backend.backup_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(backend.index_path.stat().st_mode) == 0o600
    # No temp files left behind in the directory.
    assert sorted(p.name for p in backend.path.parent.iterdir()) == [
        "lexsync.state.json", "lexsync.state.json.backup", "lexsync.state.json.index"]


def test_corrupt_file_is_a_state_error(backend: LocalBackend) -> None:
    backend.path.write_text('{"version": 1, "lineage": ')
    with pytest.raises(StateError, match=r"is not valid JSON .*; restore it from .*"
                       r"lexsync\.state\.json\.backup \(a copy of the state as lexsync last "
                       r"wrote it\) or fix it by hand"):
        backend.load()


def test_binary_garbage_is_a_state_error(backend: LocalBackend) -> None:
    backend.path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(StateError, match="not UTF-8"):
        backend.load()


def test_newer_version_file_is_refused(backend: LocalBackend) -> None:
    doc = StateDocument.new()
    data = json.loads(doc.to_json())
    data["version"] = 3
    backend.path.write_text(json.dumps(data))
    with pytest.raises(StateError, match=r"newer lexsync \(version 3\); upgrade lexsync"):
        backend.load()


def test_write_refuses_a_different_lineage(backend: LocalBackend) -> None:
    backend.write(backend.load())
    stranger = StateDocument.new()
    stranger.serial = 1
    with pytest.raises(StateError, match="refusing to overwrite a different state"):
        LocalBackend(backend.path).write(stranger)


def test_failed_write_leaves_previous_state(backend: LocalBackend, monkeypatch) -> None:
    doc = backend.load()
    _add(doc, "client.acme", 101)
    backend.write(doc)
    before = backend.path.read_text()

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    _add(doc, "client.beta", 102)
    with pytest.raises(OSError, match="disk full"):
        backend.write(doc)
    assert backend.path.read_text() == before
    assert doc.serial == 1
    assert not [p for p in backend.path.parent.iterdir() if p.name.endswith(".tmp")]
