"""A configuration folder is listed as pathlib lists it: `loader.find_files` scans it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lexsync.config.loader import find_files


@pytest.mark.parametrize(("name", "link"), [("loop.yaml", "loop.yaml"), ("b.yaml", "reg/x")],
                         ids=["a loop", "through a file"])
def test_a_broken_link_is_not_a_candidate(tmp_path: Path, name: str, link: str) -> None:
    (tmp_path / "a.yaml").write_text("clients:\n  a:\n    username: a\n")
    (tmp_path / "reg").write_text("")
    os.symlink(link, tmp_path / name)
    _, candidates, _ = find_files(tmp_path)
    assert candidates == [tmp_path / "a.yaml"]


def test_dotdot_yaml_is_still_a_candidate(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("clients:\n  a:\n    username: a\n")
    (tmp_path / "..yaml").write_text("clients:\n  b:\n    username: b\n")
    _, candidates, _ = find_files(tmp_path)
    assert [p.name for p in candidates] == ["..yaml", "a.yaml"]
