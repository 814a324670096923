"""The libyaml fast path reads exactly what the full ruamel reader reads, or steps aside."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lexsync.config import fastyaml, yamlio
from lexsync.config.positions import Positions
from lexsync.errors import ConfigError

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


@pytest.mark.parametrize("text", SAMPLES)
def test_values_alone_are_what_the_full_reader_reads(text: str) -> None:
    parsed = fastyaml.parse_values(text, yamlio.MAX_DEPTH)
    assert parsed is not None
    assert _typed(parsed.data) == _typed(_full(text)[0])


def test_values_path_gives_no_positions_and_the_positioned_path_the_same_values() -> None:
    text = SAMPLES[3]
    values, positions = yamlio.parse_values(text, "f.yaml")
    assert positions is None  # computed only when asked for (the loader's LazyPositions)
    assert _typed(values.data) == _typed(yamlio.parse_yaml(text, "f.yaml")[0])


UNUSUAL = [
    "a: &x 1\nb: *x\n",                   # anchors and aliases
    "a: !!python/object:os.system x\n",   # tags
    "base: {a: 1}\nc:\n  <<: {a: 2}\n",   # merge keys
    "a: 1\na: 2\n",                       # duplicate keys
    "%YAML 1.1\n---\na: yes\n",           # another YAML version
    "a: 1\n---\nb: 2\n",                  # two documents
    "a: [1, 2\n",                         # syntax error
    "[" * 60 + "]" * 60 + "\n",           # too deep
    "a: >\n  folded\n  text\n",         # folded scalars (ruamel keeps a fold marker)
    "a: [1, 2]\n? [x]\n: y\n",          # a key that is not a plain value
    "1: a\ntrue: b\n",                   # keys equal in Python (1 == True): the full reader decides
    "a:\n  <<: {b: 1}\n",                # merge key below the top
    "a: ! 12\n",                         # the non-specific tag
]


@pytest.mark.parametrize("text", UNUSUAL)
def test_anything_unusual_goes_to_the_full_reader(text: str) -> None:
    assert fastyaml.parse_plain(text, "f.yaml", yamlio.MAX_DEPTH) is None
    assert fastyaml.parse_values(text, yamlio.MAX_DEPTH) is None


def test_nesting_limit_is_the_same_on_both_fast_paths() -> None:
    at_limit = "[" * yamlio.MAX_DEPTH + "]" * yamlio.MAX_DEPTH + "\n"
    over = "[" * (yamlio.MAX_DEPTH + 1) + "]" * (yamlio.MAX_DEPTH + 1) + "\n"
    assert fastyaml.parse_values(at_limit, yamlio.MAX_DEPTH) == (_full(at_limit)[0], [])
    assert fastyaml.parse_plain(at_limit, "f.yaml", yamlio.MAX_DEPTH) is not None
    assert fastyaml.parse_values(over, yamlio.MAX_DEPTH) is None
    assert fastyaml.parse_plain(over, "f.yaml", yamlio.MAX_DEPTH) is None


def _typed(value: object) -> object:
    """Comparable including types (1, 1.0 and True are equal in Python) and NaN."""
    if isinstance(value, dict):
        return [(_typed(k), _typed(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_typed(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return (float, "nan")
    return (type(value), value)


# Plain scalars where YAML 1.1 and 1.2 differ, or that look like numbers, times or dates.
_WORDS = ["yes", "no", "on", "off", "y", "n", "Yes", "NO", "true", "True", "TRUE", "tRue",
          "false", "null", "Null", "NULL", "~", ".inf", "-.Inf", "+.INF", ".nan", ".NaN", "0o17",
          "0O17", "017", "0777", "08", "09.5", "0x1F", "0X1f", "0b101", "1_000", "1_0.5", "12:30",
          "1:20:30", "190:20:30.15", "1e3", "1E-3", "1.e3", "6.8523015e+5", "-0", "+12", ".5",
          "5.", "2024-01-01", "2024-1-1", "2001-12-14t21:59:43.10-05:00", "=", "<<", "0.1.2"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.sampled_from(_WORDS),
    st.text(alphabet="0123456789._-+:eExXoObB~", min_size=1, max_size=10),
    st.builds(lambda a, b: a + b, st.sampled_from(_WORDS),
              st.text(alphabet="0123456789._-+:eEoxb ", max_size=4)),
    # No tabs: libyaml reads `a: b<TAB>` as YAML 1.2 allows, ruamel refuses it (both fast
    # readers have always followed libyaml there).
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"], exclude_characters="\t"),
            min_size=1, max_size=8),
))
@example("0o8")
@example("1__0")
@example("-")
def test_plain_scalars_resolve_as_yaml_1_2_says(word: str) -> None:
    """The fast reader resolves plain scalars exactly as ruamel's YAML 1.2 reader, as a value,
    as a key and inside a flow list; or it steps aside."""
    for text in (f"v: {word}\n", f"{word}: v\n", f"v: [{word}, x]\n"):
        parsed = fastyaml.parse_values(text, yamlio.MAX_DEPTH)
        positioned = fastyaml.parse_plain(text, "f.yaml", yamlio.MAX_DEPTH)
        assert (parsed is None) == (positioned is None)
        if parsed is None:
            continue  # the full reader reads it (or reports it)
        fast = parsed.data
        assert _typed(fast) == _typed(positioned[0])
        try:
            full = _full(text)[0]
        except ConfigError:
            pytest.fail(f"the fast reader accepted {text!r}, which the full reader refuses")
        assert _typed(fast) == _typed(full)


def test_a_large_network_without_aliases_is_not_capped() -> None:
    text = "values:\n" + "".join(f"- {i}\n" for i in range(yamlio.MAX_VALUES + 10))
    value, _positions = yamlio.parse_yaml(text, "f.yaml")
    assert isinstance(value, dict) and len(value["values"]) == yamlio.MAX_VALUES + 10
