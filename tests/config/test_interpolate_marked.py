"""Interpolating only the strings the fast reader marked gives exactly what the full walk gives."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lexsync.config import fastyaml, loader, parse_ahead
from lexsync.config.interpolate import Sources, interpolate
from lexsync.config.loader import LoadedConfig, load_configuration
from lexsync.config.parse_ahead import ParseAhead
from lexsync.config.positions import Positions
from lexsync.config.yamlio import MAX_DEPTH, parse_values
from lexsync.errors import ConfigError

from .conftest import BASE, write

pytestmark = pytest.mark.skipif(not fastyaml.available(), reason="PyYAML without libyaml")

ENVIRON = {"X": "ex", "Y": "why ✓", "EMPTY": "", "NESTED": "${env:X}"}


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Sources:
    root = tmp_path_factory.mktemp("config")
    (root / "secret.txt").write_text("from a file\n", encoding="utf-8")
    (root / "ünï.txt").write_text("ünïcode", encoding="utf-8")
    return Sources(ENVIRON, root, root)


def referenced_strings(data: object, path: tuple = ()) -> list[tuple]:
    """The paths of string values holding `${`, found the slow way (values only, not keys)."""
    if isinstance(data, str):
        return [path] if "${" in data else []
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    return [found for key, value in items for found in referenced_strings(value, (*path, key))]


def both_ways(text: str, sources: Sources) -> tuple[tuple, tuple]:
    """(data, problems) interpolated from the marks and by the full walk, on separate copies."""
    parsed = fastyaml.parse_values(text, MAX_DEPTH)
    assert parsed is not None and parsed.marked is not None
    positioned = fastyaml.parse_plain(text, "f.yaml", MAX_DEPTH)
    assert positioned is not None
    assert parsed.marked == referenced_strings(parsed.data)
    marked = interpolate(copy.deepcopy(parsed.data), positioned[1], sources, marked=parsed.marked)
    walked = interpolate(copy.deepcopy(parsed.data), positioned[1], sources)
    return marked, walked


MARKED = [
    ("a: ${env:X}\n", [("a",)]),
    ("'${env:X}'\n", [()]),
    ("${env:X} and $${y}\n", [()]),
    ("- plain\n- ${env:X}\n- [a, '${env:Y}', [b, \"${nope}\"]]\n", [(1,), (2, 1), (2, 2, 1)]),
    ("'${env:K}': key only\nk: {'${env:K}': [1, '${env:X}']}\n", [("k", "${env:K}", 1)]),
    ("a: [{b: '${env:X}'}, {c: {d: [x, \"${env:Y}\"]}}]\ne: |\n  ${file:secret.txt}\n  two\n",
     [("a", 0, "b"), ("a", 1, "c", "d", 1), ("e",)]),
    ("2: ${env:X}\ntrue: ['${env:Y}']\nnull: x\n", [(2,), (True, 0)]),
    ("n: 12\nt: $x {y} $$ {env:X}\nu: ü${env:Y}€\n", [("u",)]),
    ("a: {}\nb: []\nc:\nd: ''\n", []),
    ("z: ${env:NO1}\na: ['${vault:x}', {b: '${env:NO2} ${}'}]\nc: ${file:absent.txt}\n",
     [("z",), ("a", 0), ("a", 1, "b"), ("c",)]),
]


@pytest.mark.parametrize(("text", "paths"), MARKED)
def test_the_fast_reader_marks_every_string_value_that_mentions_a_reference(
        text: str, paths: list[tuple], sources: Sources) -> None:
    parsed = fastyaml.parse_values(text, MAX_DEPTH)
    assert parsed is not None
    assert parsed.marked == paths
    marked, walked = both_ways(text, sources)
    assert marked == walked  # problems too: in the same order, at the same places


def test_a_marked_top_level_string_is_expanded(sources: Sources) -> None:
    data, problems = interpolate("${env:X}-$${env:X}-${env:NO}", Positions(), sources, marked=[()])
    assert data == "ex-${env:X}-"
    assert [p.summary for p in problems] == ["environment variable NO is not set (referenced as ${env:NO})"]


def test_only_the_marked_strings_are_expanded(sources: Sources) -> None:
    data, problems = interpolate({"a": "${env:X}", "b": ["${env:Y}"]}, Positions(), sources,
                                 marked=[("b", 0)])
    assert (data, problems) == ({"a": "${env:X}", "b": ["why ✓"]}, [])


def test_the_full_reader_knows_no_marks() -> None:
    values, positions = parse_values("a: &x ${env:X}\nb: *x\n", "f.yaml")
    assert values.marked is None and positions is not None
    assert values.data == {"a": "${env:X}", "b": "${env:X}"}


# Strings: references good and bad, escapes, unicode, and text that only looks like one.
_PIECES = ["${env:X}", "${env:Y}", "${env:EMPTY}", "${env:NESTED}", "${env:MISSING}", "$${",
           "$${env:X}", "${file:secret.txt}", "${file:ünï.txt}", "${file:absent.txt}",
           "${file:../outside.txt}", "${vault:x}", "${}", "${env:}", "${env:X", "$", "{", "}",
           "$$", "ü", "€ ✓", " ", ": ", "# ", "x", "no", "12"]
_STRINGS = st.lists(st.sampled_from(_PIECES) | st.text(max_size=4), max_size=5).map("".join)
_SCALARS = _STRINGS | st.integers() | st.booleans() | st.none()
_KEYS = _STRINGS | st.integers(min_value=-5, max_value=5)
_DOCUMENTS = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=25)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=_DOCUMENTS, flow=st.sampled_from([False, True, None]))
def test_marked_interpolation_is_the_full_walk(document: object, flow: bool | None, sources: Sources) -> None:
    """Same data, same problems in the same order and at the same places, for any document
    the fast reader takes."""
    text = yaml.safe_dump(document, default_flow_style=flow, allow_unicode=True, sort_keys=False)
    if fastyaml.parse_values(text, MAX_DEPTH) is None:
        return  # the full reader's: no marks there
    (data, problems), (walked_data, walked_problems) = both_ways(text, sources)
    assert _typed(data) == _typed(walked_data)
    assert problems == walked_problems


CONFIG = BASE.replace("hunter2", "${env:PW}").replace(
    "https://acme.example/leads", "https://acme.example/${env:PATH_PART}?k=$${literal}").replace(
    "value: [CA, NV]", "value: [CA, '${env:STATE}', [x, '${file:state.txt}']]").replace(
    "username: acme-portal", "username: acme-${env:MISSING}-${file:missing.txt}")
ENV = {"PW": "pw ✓", "PATH_PART": "leads", "STATE": "NV"}


@pytest.mark.parametrize("child", [False, True], ids=["in-process", "parsed-ahead"])
@pytest.mark.parametrize("environ", [ENV, {**ENV, "MISSING": "m"}], ids=["problems", "loads"])
def test_the_loader_gives_what_the_full_walk_gives(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, child: bool, environ: dict) -> None:
    write(tmp_path, "state.txt", "AZ\n")
    write(tmp_path, "missing.txt" if "MISSING" in environ else "other.txt", "file\n")
    path = write(tmp_path, "lexsync.yaml", CONFIG)
    monkeypatch.setattr(parse_ahead, "PARSE_AHEAD_CHARS", 10)
    seen: list[object] = []
    real = loader.interpolate

    def spy(data: object, positions: object, sources: Sources, *, marked: object = None) -> object:
        seen.append(marked)
        return real(data, positions, sources, marked=marked)  # type: ignore[arg-type]

    monkeypatch.setattr(loader, "interpolate", spy)
    ahead = ParseAhead.start([path.read_text(encoding="utf-8")]) if child else None
    assert (ahead is not None) == child
    marked = _outcome(lambda: load_configuration(path, environ, parse_ahead=ahead))
    assert seen and all(marks for marks in seen)  # the marks were used
    monkeypatch.setattr(loader, "interpolate", lambda *args, marked=None: real(*args))
    assert marked == _outcome(lambda: load_configuration(path, environ))


def _outcome(load: Callable[[], LoadedConfig]) -> object:
    """The model (secrets compare by value), or every diagnostic, of one load."""
    try:
        return load().model
    except ConfigError as exc:
        return exc.diagnostics


def _typed(value: object) -> object:
    """Comparable including types (1 and True are equal in Python)."""
    if isinstance(value, dict):
        return [(_typed(k), _typed(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return (type(value), value)
