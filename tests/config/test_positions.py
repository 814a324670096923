"""Positions are computed only when asked for, and answer what reading them eagerly answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.workload import Shape, render
from lexsync.config import load_configuration, loader, yamlio
from lexsync.config.positions import LazyPositions, Positions
from lexsync.errors import ConfigError, SourceLocation

from .conftest import BASE, write

ENV = {"BUYER_PASSWORD": "pw"}


def _eager(text: str, display: str) -> Positions:
    """Every key and value of one file, read the way the loader read them before it was lazy."""
    return yamlio.parse_yaml(text, display)[1]


def _assert_same_answers(loaded: loader.LoadedConfig, expected: dict[tuple, tuple]) -> None:
    """expected: path -> (value location, key location) for every path of the files."""
    assert expected
    for path, (value, key) in expected.items():
        assert loaded.locate(path) == value, path
        assert loaded.locate_key(path) == key, path
        # A path that does not exist answers with its nearest ancestor.
        assert loaded.locate((*path, "no-such-key")) == value, path
        assert loaded.locate_key((*path, "no-such-key")) == key, path


def _spots(positions: Positions, shift: dict[tuple, tuple] | None = None) -> dict[tuple, tuple]:
    shift = shift or {}
    found = {}
    for path, spot in positions.spots.items():
        moved = next((new + path[len(old):] for old, new in shift.items()
                      if path[:len(old)] == old), path)
        found[moved] = (spot.value, spot.key or spot.value)
    return found


def test_every_value_of_a_generated_file_is_located_as_the_eager_reader_does(tmp_path: Path) -> None:
    text = render(Shape(4))
    path = write(tmp_path, "lexsync.yaml", text)
    loaded = load_configuration(path, ENV)
    assert isinstance(loaded.positions, LazyPositions)
    expected = _spots(_eager(text, str(path)))
    assert len(expected) > 800
    _assert_same_answers(loaded, expected)


def _split(text: str) -> dict[str, str]:
    """The generated configuration as a directory: settings, then clients over two files, with
    a second lead_types list (concatenated) in the last file."""
    head, _, clients = text.partition("clients:\n")
    blocks = ("\n" + clients).split("\n  buyer")[1:]
    blocks = ["  buyer" + b.rstrip("\n") + "\n" for b in blocks]
    half = len(blocks) // 2
    return {
        "00-settings.yaml": head,
        "10-clients.yaml": "clients:\n" + "".join(blocks[:half]),
        "20-clients.yml": "lead_types:\n  - Health Insurance\n  - Life Insurance\n"
                          "clients:\n" + "".join(blocks[half:]),
    }


def test_every_value_of_a_directory_is_located_in_the_file_it_came_from(tmp_path: Path) -> None:
    files = _split(render(Shape(4)))
    for name, text in files.items():
        write(tmp_path, name, text)
    loaded = load_configuration(tmp_path, ENV)
    assert loaded.model.lead_types == ["Auto Insurance", "Health Insurance", "Life Insurance"]
    assert len(loaded.model.clients) == 4

    expected: dict[tuple, tuple] = {}
    lead_types = 0
    for name, text in files.items():
        positions = _eager(text, str(tmp_path / name))
        count = sum(1 for p in positions.spots if len(p) == 2 and p[0] == "lead_types")
        shift = {("lead_types", i): ("lead_types", lead_types + i) for i in range(count)}
        lead_types += count
        for path, answer in _spots(positions, shift).items():
            expected.setdefault(path, answer)  # a section in several files: its first file
    assert {loc.file for loc, _ in expected.values()} == {str(tmp_path / n) for n in files}
    _assert_same_answers(loaded, expected)
    # Spot checks that do not rely on the reader above.
    second = str(tmp_path / "20-clients.yml")
    assert loaded.locate(("lead_types", 2)) == SourceLocation(second, 3, 5)
    assert loaded.locate_key(("clients", "buyer00002")) == SourceLocation(second, 5, 3)
    assert loaded.locate_key(("clients",)) == SourceLocation(str(tmp_path / "10-clients.yaml"), 1, 1)


def test_a_load_without_problems_does_not_read_positions(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "lexsync.yaml", BASE)
    calls: list[str] = []
    eager = loader.parse_yaml

    def counting(text: str, display: str) -> tuple[object, Positions]:
        calls.append(display)
        return eager(text, display)

    monkeypatch.setattr(loader, "parse_yaml", counting)
    loaded = load_configuration(path, {})
    assert calls == []
    assert loaded.locate(("clients", "acme", "username")) == SourceLocation(str(path), 7, 15)
    assert loaded.locate_key(("clients", "acme")) == SourceLocation(str(path), 5, 3)
    assert calls == [str(path)]  # once, then kept


def test_positions_answer_for_the_text_that_was_loaded(tmp_path: Path) -> None:
    path = write(tmp_path, "lexsync.yaml", BASE)
    loaded = load_configuration(path, {})
    path.write_text("# edited while the run went on\n\n\n" + BASE, encoding="utf-8")
    assert loaded.locate(("clients", "acme", "username")) == SourceLocation(str(path), 7, 15)


def _diagnostics(directory: Path, environ: dict | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_configuration(directory, environ or {})
    return [f"{Path(d.location.file).name}:{d.location.line}:{d.location.column}: {d.summary}"
            for d in caught.value.diagnostics if d.location]


def _directory(tmp_path: Path, second: str) -> Path:
    write(tmp_path, "a.yaml", "lead_types: [Auto Insurance]\n"
                              "client_groups:\n  premium: {description: Premium}\n")
    write(tmp_path, "b.yaml", BASE.split("clients:\n")[1].join(["clients:\n", ""]))
    write(tmp_path, "c.yaml", second)
    return tmp_path


SECOND = """\
clients:
  beta:
    username: beta-portal
    group: gold
    delivery_methods:
      beta-post: {type: http_post, lead_type: Auto Insurance}
    delivery_accounts:
      beta-ca: {method: beta-post, prise: 3}
"""


def test_a_validation_error_in_a_directory_names_its_file(tmp_path: Path) -> None:
    assert _diagnostics(_directory(tmp_path, SECOND)) == [
        "c.yaml:8:36: unknown key 'prise' (did you mean 'price'?)"]


def test_an_unknown_reference_in_a_directory_names_its_file(tmp_path: Path) -> None:
    text = SECOND.replace("prise", "price")
    assert _diagnostics(_directory(tmp_path, text)) == [
        "c.yaml:4:12: client group 'gold' is not defined in client_groups (known: premium)"]


def test_an_interpolation_error_in_a_directory_names_its_file(tmp_path: Path) -> None:
    text = SECOND.replace("prise: 3", "price: 3").replace("group: gold", "group: premium")
    text = text.replace("username: beta-portal", "username: ${env:BETA_USER}")
    assert _diagnostics(_directory(tmp_path, text)) == [
        "c.yaml:3:15: environment variable BETA_USER is not set (referenced as ${env:BETA_USER})"]


def test_bad_yaml_in_a_directory_names_its_file(tmp_path: Path) -> None:
    text = SECOND.replace("{method: beta-post, prise: 3}", "{method: beta-post, price: [3}")
    [problem] = _diagnostics(_directory(tmp_path, text))
    assert problem.startswith("c.yaml:8:")
    assert "YAML syntax error" in problem


def test_the_same_client_in_two_files_names_both(tmp_path: Path) -> None:
    text = SECOND.replace("beta:", "acme:").replace("prise", "price").replace("gold", "premium")
    [problem] = _diagnostics(_directory(tmp_path, text))
    assert problem == (f"c.yaml:2:3: clients.acme is defined twice: at {tmp_path / 'b.yaml'}:2:3 "
                       "and here")
