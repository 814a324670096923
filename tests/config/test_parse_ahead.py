"""Parsing in a child process gives exactly the in-process values, or nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lexsync.config import fastyaml, parse_ahead
from lexsync.config.loader import load_configuration
from lexsync.config.parse_ahead import ParseAhead
from lexsync.config.yamlio import MAX_DEPTH

PLAIN = "lead_types: [Auto]\nclients:\n  acme: {username: acme-portal, fields: {Company: \"Acmé\"}}\n"
ANCHORED = "base: &b {x: 1}\nother: *b\n"  # only the full reader takes aliases


@pytest.fixture
def small_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parse_ahead, "PARSE_AHEAD_CHARS", 10)


def test_small_texts_are_parsed_in_process() -> None:
    assert ParseAhead.start([PLAIN]) is None


def test_the_child_gives_the_in_process_values(small_threshold: None) -> None:
    texts = [PLAIN, ANCHORED, "n: 1\nno: no\non: [1.5, true, null, '2']\n",
             "m: ['${env:X}', {k: '$${x} ${env:Y}'}]\n"]
    ahead = ParseAhead.start(texts)
    assert ahead is not None
    values = ahead.values(texts)
    assert values == [fastyaml.parse_values(text, MAX_DEPTH) for text in texts]
    assert values[1] is None and values[0] is not None  # the anchored one is left to ruamel
    assert values[3] is not None and values[3].marked == [("m", 0), ("m", 1, "k")]
    assert ahead.values(texts) is None  # one answer per child


def test_other_texts_than_the_child_parsed_get_nothing(small_threshold: None) -> None:
    ahead = ParseAhead.start([PLAIN])
    assert ahead is not None
    assert ahead.values([PLAIN + "x: 1\n"]) is None


def test_the_child_sees_none_of_the_callers_variables(
        small_threshold: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADEXEC_API_KEY", "secret-key-value")
    monkeypatch.setattr(parse_ahead, "_CHILD",
                        "import os, pickle, sys; sys.stdin.buffer.read(); "
                        "sys.stdout.buffer.write(pickle.dumps([dict(os.environ)]))")
    ahead = ParseAhead.start([PLAIN])
    assert ahead is not None
    [env] = ahead.values([PLAIN])  # type: ignore[misc]
    assert "LEADEXEC_API_KEY" not in env
    assert "secret-key-value" not in repr(env)
    assert env.get("PATH") == os.environ.get("PATH")


@pytest.mark.parametrize("child", [
    "import sys; sys.exit(3)",
    "import sys; sys.stdout.buffer.write(b'not a pickle')",
    "import pickle, sys; sys.stdin.buffer.read(); sys.stdout.buffer.write(pickle.dumps([1, 2, 3]))",
])
def test_a_failing_child_leaves_parsing_in_process(
        small_threshold: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, child: str) -> None:
    monkeypatch.setattr(parse_ahead, "_CHILD", child)
    ahead = ParseAhead.start([PLAIN])
    assert ahead is not None
    assert ahead.values([PLAIN]) is None
    path = tmp_path / "lexsync.yaml"
    path.write_text(PLAIN, encoding="utf-8")
    loaded = load_configuration(path, {}, parse_ahead=ParseAhead.start([PLAIN]))
    assert loaded.model.clients["acme"].fields == {"Company": "Acmé"}


def test_a_configuration_loads_the_same_parsed_ahead(small_threshold: None, tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(PLAIN, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(
        "client_groups:\n  g: {description: G}\nlexsync: {dialect: soap}\n", encoding="utf-8")
    texts = [p.read_text(encoding="utf-8") for p in sorted(tmp_path.iterdir())]
    used: list[object] = []
    real = ParseAhead.values

    def values(self: ParseAhead, given: list[str]) -> object:
        used.append(result := real(self, given))
        return result

    ahead = ParseAhead.start(texts)
    assert ahead is not None
    ParseAhead.values = values  # type: ignore[method-assign]
    try:
        parsed_ahead = load_configuration(tmp_path, {}, parse_ahead=ahead)
    finally:
        ParseAhead.values = real  # type: ignore[method-assign]
    assert used and used[0] is not None
    assert parsed_ahead.model == load_configuration(tmp_path, {}).model
    # Positions still come from the kept text when something asks.
    assert parsed_ahead.locate(("clients", "acme")).line == 3  # type: ignore[union-attr]


def test_the_child_parses_at_a_lower_priority(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reads the run makes meanwhile come first: the child asks for less of the CPU."""
    import gc
    import io
    import pickle
    import sys

    asked: list[int] = []
    monkeypatch.setattr(os, "nice", lambda increment: asked.append(increment) or increment)
    answer = io.BytesIO()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(pickle.dumps([PLAIN]))))
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(answer))
    try:
        parse_ahead.child_main()
    finally:
        gc.enable()  # the child turns the collector off for its own short life
    assert asked == [10]
    assert pickle.loads(answer.getvalue()) == [fastyaml.parse_values(PLAIN, MAX_DEPTH)]
