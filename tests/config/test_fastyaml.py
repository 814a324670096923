"""The libyaml fast path reads exactly what the full ruamel reader reads, or steps aside."""

from __future__ import annotations

import pytest

from lexsync.config import fastyaml, yamlio
from lexsync.config.positions import Positions

pytestmark = pytest.mark.skipif(not fastyaml.available(), reason="PyYAML without libyaml")

SAMPLES = [
    "a: 1\nb: 1.5\nc: yes\nd: no\ne: on\nf: ~\ng: null\nh: true\ni: 0o17\nj: 017\nk: 1_000\n",
    "when: 2024-01-02\nat: 2024-01-02T10:00:00Z\nversion: 1.10\nzip: '02134'\nneg: -3\ninf: .inf\n",
    "empty:\nquoted: ''\nkey: \"text\"\nlist:\n- one\n-\n- [a, b, {c: d}]\nnested: {x: {y: [1, 2]}}\n",
    "clients:\n  acme:\n    fields: {Company: Acme, Email: a@b.c}\n    tags: [x, 'y', \"z\"]\n"
    "    note: |\n      two\n      lines\n",
    "2: int key\ntrue: bool key\n? complex\n: value\n",
    "",
    "# only a comment\n",
    "- a\n- b: 1\n  c: 2\n",
]


def _full(text: str) -> tuple[object, Positions]:
    original = fastyaml.parse_plain
    fastyaml.parse_plain = lambda *args: None  # type: ignore[assignment]
    try:
        return yamlio.parse_yaml(text, "f.yaml")
    finally:
        fastyaml.parse_plain = original  # type: ignore[assignment]


@pytest.mark.parametrize("text", SAMPLES)
def test_same_values_and_positions_as_the_full_reader(text: str) -> None:
    fast = fastyaml.parse_plain(text, "f.yaml", yamlio.MAX_DEPTH)
    assert fast is not None
    value, positions = _full(text)
    assert fast[0] == value
    assert fast[1].spots == positions.spots


@pytest.mark.parametrize("text", [
    "a: &x 1\nb: *x\n",                   # anchors and aliases
    "a: !!python/object:os.system x\n",   # tags
    "base: {a: 1}\nc:\n  <<: {a: 2}\n",   # merge keys
    "a: 1\na: 2\n",                       # duplicate keys
    "%YAML 1.1\n---\na: yes\n",           # another YAML version
    "a: 1\n---\nb: 2\n",                  # two documents
    "a: [1, 2\n",                         # syntax error
    "[" * 60 + "]" * 60 + "\n",           # too deep
    "a: >\n  folded\n  text\n",         # folded scalars (ruamel keeps a fold marker)
])
def test_anything_unusual_goes_to_the_full_reader(text: str) -> None:
    assert fastyaml.parse_plain(text, "f.yaml", yamlio.MAX_DEPTH) is None


def test_a_large_network_without_aliases_is_not_capped() -> None:
    text = "values:\n" + "".join(f"- {i}\n" for i in range(yamlio.MAX_VALUES + 10))
    value, _positions = yamlio.parse_yaml(text, "f.yaml")
    assert isinstance(value, dict) and len(value["values"]) == yamlio.MAX_VALUES + 10
