"""state_write.py measures a state write as an apply makes it, in a process of the checkout
measured, and leaves the state it was given as it was."""

from __future__ import annotations

import sys
from pathlib import Path

from benchmarks.state_write import ROOT, one_run
from lexsync.state.document import ResourceState, StateDocument
from lexsync.state.local import LocalBackend


def test_a_run_writes_a_copy_changed_then_unchanged(tmp_path: Path) -> None:
    doc = StateDocument.new()
    doc.resources = {f"client.c{n}": ResourceState(f"client.c{n}", "client", n + 1)
                     for n in range(3)}
    state = tmp_path / "given" / "state.json"
    LocalBackend(state).write(doc)
    before = state.read_bytes()
    work = tmp_path / "work"
    work.mkdir()
    figures = one_run(sys.executable, ROOT, state, work)
    assert set(figures) == {"load", "changed", "unchanged", "peak_mb"}
    assert all(value > 0 for value in figures.values())
    assert state.read_bytes() == before
    written = LocalBackend(work / "state.json").load()
    assert written.serial == doc.serial + 1 and "client.state-write-benchmark" in written.pending
