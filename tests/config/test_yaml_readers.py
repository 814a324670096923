"""ruamel's C parser and its pure-Python parser give the same values and positions.

Wherever the C parser answers (`read_with_c_parser` does not step aside), the pure reader must
give exactly the same values (types included) and the same file:line:column for every key and
value, or the same problems. Checked on every example configuration, on generated workloads,
and on fuzzed documents.
"""

from __future__ import annotations

import io
import math
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from benchmarks.workload import Shape, render
from lexsync.config import yamlio
from lexsync.config.positions import Positions
from lexsync.errors import ConfigError

pytestmark = pytest.mark.skipif(not yamlio.c_reader_available(), reason="no ruamel.yaml.clib")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FUZZ = int(os.environ.get("LEXSYNC_FUZZ_EXAMPLES", "300"))


def typed(value: object) -> object:
    """Comparable including types (1, 1.0 and True are equal in Python) and NaN."""
    if isinstance(value, dict):
        return [(typed(k), typed(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [typed(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return (float, "nan")
    return (type(value), value)


def with_c(text: str) -> tuple | None:
    """What the C reader gives, or None where it steps aside for the pure one."""
    if not yamlio.c_parser_may_read(text):
        return None
    positions = Positions()
    try:
        value = yamlio.read_with_c_parser(text, "f.yaml", positions)
    except ConfigError as exc:
        return ("problems", [str(d) for d in exc.diagnostics])
    return None if value is None else (typed(value), positions.spots)


def with_pure(text: str) -> tuple:
    positions = Positions()
    try:
        value = yamlio.read_with_pure_parser(text, "f.yaml", positions)
    except ConfigError as exc:
        return ("problems", [str(d) for d in exc.diagnostics])
    return (typed(value), positions.spots)


def assert_read_alike(text: str) -> None:
    fast = with_c(text)
    if fast is not None:
        assert fast == with_pure(text)


@pytest.mark.parametrize("path", sorted(EXAMPLES.rglob("lexsync.yaml")) + sorted(
    (EXAMPLES / "insurance-network").glob("*.yaml")), ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_every_example_is_read_alike_by_the_c_parser(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    fast = with_c(text)
    assert fast is not None and fast[0] != "problems"  # the C parser read it
    assert fast == with_pure(text)


def test_a_generated_network_is_read_alike_by_the_c_parser() -> None:
    text = render(Shape(5), price_bump=1)
    fast = with_c(text)
    assert fast is not None and len(fast[1]) > 1000
    assert fast == with_pure(text)


# Pieces of YAML syntax, run together at random: most results are not YAML, and the rest
# reach the corners where parsers differ.
PIECES = ["a", "b", "1", "0o7", "0x1", "1.5", ".inf", "~", "null", "yes", "é", "𝄞", ": ", ":",
          "-", "- ", "\n", "  ", " ", "\t", "'", '"', "\\", "#", "&x ", "*x", "&y ", "*y",
          "!!str ", "!!int ", "!!bool ", "!!map ", "!!seq ", "!t ", "! ", "[", "]", "{", "}",
          ", ", ",", "? ", "|", ">", "|-", ">+", ">-\n  a\n  b\n", "%YAML 1.2\n---\n",
          "%YAML 1.1\n---\n", "%TAG ! tag:x,2000:\n---\n", "---", "...", "\r\n", "\r", "\x85",
          "\u2028", "\x07", "<<: ", "=", "@", "`", "2001-01-01"]

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
trees = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.text(max_size=6) | st.integers(), inner, max_size=3), max_leaves=12)


@st.composite
def dumped(draw: st.DrawFn) -> str:
    """A mapping written by ruamel's emitter in one of its styles."""
    tree = draw(st.dictionaries(st.text(max_size=6), trees, min_size=1, max_size=3))
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = draw(st.sampled_from([False, True, None]))
    yaml.width = draw(st.sampled_from([4, 20, 80]))
    yaml.allow_unicode = draw(st.booleans())
    yaml.indent(mapping=draw(st.sampled_from([2, 4])), sequence=draw(st.sampled_from([2, 4])),
                offset=draw(st.sampled_from([0, 2])))
    out = io.StringIO()
    yaml.dump(tree, out)
    return out.getvalue()


block_scalars = st.builds(
    lambda indent, header, lines: f"k: {header}\n" + "".join(" " * indent + line + "\n" for line in lines),
    st.integers(0, 4), st.sampled_from(["|", ">", "|-", ">-", "|+", ">+", "|2", ">1-"]),
    st.lists(st.text(max_size=10).filter(lambda s: "\n" not in s and "\r" not in s), max_size=4))
raw_values = st.builds(lambda key, value: f"{key}: {value}\n",
                       st.sampled_from(["a", "b c", "'q'", '"d"']), st.text(max_size=20))
pieces = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


@settings(max_examples=FUZZ, deadline=None, suppress_health_check=list(HealthCheck))
@given(pieces)
@example("a:\tb\n")  # libyaml separates with a tab, ruamel refuses it
@example("a: x\x85y\n")  # libyaml breaks the line at NEL
@example("k: |#\n")  # libyaml reads a comment right after the header
@example("|\n#")  # at the top level, libyaml reads `#` as a comment, ruamel as text
@example("a: !!str &x b\n")  # tag before anchor: libyaml places the node at the tag
@example("%TAG ! tag:x,2000:\n---\n%TAG ! tag:x,2000:\n---\n")  # marks of a document start
@example("{a: , b: !!str }\n")  # an empty value
@example("x: " + "[" * 60 + "\n")  # too deep, then not YAML
def test_fuzzed_syntax_is_read_alike(text: str) -> None:
    assert_read_alike(text)


@settings(max_examples=FUZZ, deadline=None, suppress_health_check=list(HealthCheck))
@given(dumped() | block_scalars | raw_values
       | st.builds(lambda a, b: a + b, dumped(), pieces.map(lambda s: s[:30])))
def test_fuzzed_documents_are_read_alike(text: str) -> None:
    assert_read_alike(text)


@pytest.mark.parametrize("text", ["a:\tb\n", "a: x\x85y\n", "k: |#\n", "a: !!str &x b\n"])
def test_what_the_parsers_read_apart_goes_to_the_pure_parser(text: str) -> None:
    assert not yamlio.c_parser_may_read(text)


def test_a_tab_means_what_it_means_to_ruamel(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        yamlio.parse_values("clients:\n  a:\tb\n", "f.yaml")
    [problem] = caught.value.diagnostics
    assert problem.summary.startswith("YAML syntax error:") and "'\\t'" in problem.summary
    assert yamlio.parse_values("a: 'x\ty'\n", "f.yaml") == {"a": "x\ty"}


def test_a_plain_document_is_read_by_the_c_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(text: str) -> None:
        raise AssertionError("read by the pure parser")

    monkeypatch.setattr(yamlio, "pure_events", refuse)
    assert yamlio.parse_values("a: [1, x]\nb: {c: no}\n", "f.yaml") == {"a": [1, "x"], "b": {"c": "no"}}
