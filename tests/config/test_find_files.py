"""A configuration folder is listed as pathlib lists it: `loader.find_files` scans it."""

from __future__ import annotations

import os
from pathlib import Path

from lexsync.config.loader import find_files


def test_symlink_loop_is_not_a_candidate(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("clients:\n  a:\n    username: a\n")
    os.symlink("loop.yaml", tmp_path / "loop.yaml")
    _, candidates, _ = find_files(tmp_path)
    assert candidates == [tmp_path / "a.yaml"]


def test_symlink_through_a_file_is_not_a_candidate(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("clients:\n  a:\n    username: a\n")
    (tmp_path / "reg").write_text("")
    os.symlink("reg/x", tmp_path / "b.yaml")
    _, candidates, _ = find_files(tmp_path)
    assert candidates == [tmp_path / "a.yaml"]


def test_dotdot_yaml_is_still_a_candidate(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("clients:\n  a:\n    username: a\n")
    (tmp_path / "..yaml").write_text("clients:\n  b:\n    username: b\n")
    _, candidates, _ = find_files(tmp_path)
    assert [p.name for p in candidates] == ["..yaml", "a.yaml"]
