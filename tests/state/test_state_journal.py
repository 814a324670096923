"""The apply journal: each save is one appended line, replayed on load after a kill."""

from __future__ import annotations

from pathlib import Path

from lexsync.state.document import ResourceState, StateDocument
from lexsync.state.journal import JournalWriter, TrackedDict, journal_path
from lexsync.state.local import LocalBackend
from lexsync.state.records import Records


def _resource(address: str, remote_id: int) -> ResourceState:
    return ResourceState(address=address, kind="client", remote_id=remote_id,
                         attributes={"status": "Active"})


def _start(tmp_path: Path) -> tuple[LocalBackend, StateDocument, JournalWriter]:
    backend = LocalBackend(tmp_path / "state.json")
    doc = backend.load()
    doc.resources["client.kept"] = _resource("client.kept", 1)
    backend.write(doc)
    return backend, doc, JournalWriter(journal_path(backend.path), doc, backend.write)


def test_a_killed_run_loses_nothing_it_saved(tmp_path: Path) -> None:
    backend, doc, journal = _start(tmp_path)
    serial = doc.serial
    doc.resources["client.a"] = _resource("client.a", 1001)
    journal.save(doc)
    doc.resources.pop("client.kept")
    journal.save(doc)
    # No close(): the process "died" here. The state file itself was never rewritten.
    assert LocalBackend(backend.path).load().serial == serial
    reloaded = LocalBackend(backend.path).load()
    assert set(reloaded.resources) == {"client.a"}
    assert reloaded.resources["client.a"].remote_id == 1001


def test_each_save_appends_only_what_changed(tmp_path: Path) -> None:
    backend, doc, journal = _start(tmp_path)
    path = journal_path(backend.path)
    for i in range(5):
        doc.resources[f"client.c{i}"] = _resource(f"client.c{i}", 1000 + i)
        journal.save(doc)
    assert len(path.read_text().splitlines()) == 1 + 5  # header + one line per save
    journal.save(doc)
    assert len(path.read_text().splitlines()) == 6


def test_close_folds_into_the_state_and_removes_the_journal(tmp_path: Path) -> None:
    backend, doc, journal = _start(tmp_path)
    serial = doc.serial
    doc.resources["client.a"] = _resource("client.a", 1001)
    journal.save(doc)
    journal.close()
    assert not journal_path(backend.path).exists()
    reloaded = LocalBackend(backend.path).load()
    assert reloaded.serial == serial + 1
    assert set(reloaded.resources) == {"client.kept", "client.a"}
    assert type(doc.resources) is Records and type(doc.pending) is dict  # no TrackedDict left


def test_a_torn_last_line_is_ignored(tmp_path: Path) -> None:
    backend, doc, journal = _start(tmp_path)
    doc.resources["client.a"] = _resource("client.a", 1001)
    journal.save(doc)
    with journal_path(backend.path).open("a", encoding="utf-8") as handle:
        handle.write('{"field": "resources", "key": "client.b", "val')
    reloaded = LocalBackend(backend.path).load()
    assert set(reloaded.resources) == {"client.kept", "client.a"}


def test_a_journal_of_an_older_serial_is_not_replayed(tmp_path: Path) -> None:
    backend, doc, journal = _start(tmp_path)
    doc.resources["client.a"] = _resource("client.a", 1001)
    journal.save(doc)
    # The fold wrote the state (serial +1) but the run died before removing the journal.
    text = journal_path(backend.path).read_text()
    journal.close()
    journal_path(backend.path).write_text(text.replace('"client.a"', '"client.ghost"'))
    reloaded = LocalBackend(backend.path).load()
    assert set(reloaded.resources) == {"client.kept", "client.a"}


def test_a_new_run_folds_a_leftover_journal_first(tmp_path: Path) -> None:
    backend, doc, journal = _start(tmp_path)
    doc.resources["client.a"] = _resource("client.a", 1001)
    journal.save(doc)
    second = LocalBackend(backend.path)
    state = second.load()
    JournalWriter(journal_path(second.path), state, second.write).close()
    assert set(LocalBackend(backend.path).load().resources) == {"client.kept", "client.a"}
    assert not journal_path(backend.path).exists()


def test_tracked_dict_records_every_kind_of_change() -> None:
    tracked = TrackedDict({"a": 1, "b": 2, "c": 3})
    tracked["d"] = 4
    del tracked["a"]
    tracked.pop("b")
    tracked.pop("missing", None)
    tracked.setdefault("c", 9)
    tracked.update(e=5)
    assert tracked.take_dirty() == ["a", "b", "d", "e"]
    assert tracked.take_dirty() == []
