"""config/scan.py: which clients a file holds, read from its lines; None whenever unsure."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lexsync.config.scan import FileClients, _Scan, scan_clients

ONE_CLIENT = """# acme's buyers
---
clients:
  acme:   # the first
    username: acme-portal
    notes: |
      a: b
    delivery_methods:
      post: {type: http_post}

  "zeta co":
    username: zeta
  'omega':
    username: omega
"""


def test_a_per_client_file_names_its_clients() -> None:
    assert scan_clients(ONE_CLIENT) == FileClients(frozenset({"clients"}),
                                                   frozenset({"acme", "zeta co", "omega"}))


def test_other_sections_are_seen() -> None:
    found = scan_clients("lexsync:\n  dialect: rest\nclients:\n  acme:\n    username: a\n")
    assert found is not None and found.sections == {"lexsync", "clients"}
    assert not found.only_other_clients(frozenset({"zeta"}))  # holds settings: read


def test_only_other_clients() -> None:
    found = scan_clients(ONE_CLIENT)
    assert found is not None
    assert found.only_other_clients(frozenset({"beta"}))
    assert not found.only_other_clients(frozenset({"omega"}))
    empty = scan_clients("# nothing\n")
    assert empty is not None and not empty.only_other_clients(frozenset({"beta"}))


@pytest.mark.parametrize("text", [
    "clients: {acme: {username: a}}\n",  # a flow mapping
    "clients:\n  acme: {username: a}\n",  # a client as a flow mapping
    "clients:\n  acme: &base\n    username: a\n  beta: *base\n",  # anchors
    "clients:\n  <<: {acme: {}}\n",  # a merge key
    "clients:\n\tacme:\n",  # a tab
    "clients:\n  acme:\n    username: a\n---\nclients:\n  beta: {}\n",  # a second document
    "clients:\n    acme:\n      username: a\n  beta:\n",  # an odd indentation
    "clients:\n  - acme\n",  # a list
    "clients:\n  123:\n    username: a\n",  # a number, not the text 123
    "clients:\n  true:\n    username: a\n",  # a boolean
    "clients:\n  \"a\\x41\":\n    username: a\n",  # an escape
    "clients:\n  'it''s':\n    username: a\n",  # a quote inside quotes
    "clients:\n  ? acme\n  : {username: a}\n",  # a complex key
    "clients:\n  !!str acme:\n    username: a\n",  # a tag
    "%YAML 1.1\n---\nclients:\n  acme:\n",  # a directive
    "clients:\n  acme:\n    username: a\nclients:\n  beta:\n",  # a section twice
    "clients:\n  acme:\n    username: a\n    \tgroup: g\n",  # a tab inside a client
    "clients:\n  acme:\r    username: a\r    \tgroup: g\r",  # the same, lines ended by CR
    "clients:\r\n  acme:\r\n   \t group: g\r\n",  # ended by CR LF
])
def test_what_the_lines_do_not_tell_surely_is_none(text: str) -> None:
    assert scan_clients(text) is None


def test_a_comment_indented_with_a_tab_inside_a_client_is_only_a_comment() -> None:
    text = "clients:\n  acme:\n    username: a\n    \t# a note\n  beta:\n    username: b\n"
    assert scan_clients(text) == FileClients(frozenset({"clients"}), frozenset({"acme", "beta"}))


def _parsed(text: str) -> FileClients:
    from lexsync.config.yamlio import parse_values

    values = parse_values(text, "f.yaml")
    assert isinstance(values, dict)
    clients = values.get("clients") or {}
    return FileClients(frozenset(values), frozenset(clients))


EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").rglob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_where_the_scan_answers_it_agrees_with_the_parser(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    found = scan_clients(text)
    if found is not None and "clients" in found.sections:
        assert found == _parsed(text)


def test_it_agrees_with_the_parser_on_the_layout_above() -> None:
    assert scan_clients(ONE_CLIENT) == _parsed(ONE_CLIENT)


def test_it_agrees_with_the_parser_on_a_benchmark_buyer() -> None:
    from benchmarks.workload import Shape, render

    text = render(Shape(3), clients=range(1, 2), settings=False)
    assert scan_clients(text) == _parsed(text) == FileClients(frozenset({"clients"}),
                                                              frozenset({"buyer00001"}))


# Lines a client file may hold, indented 0 to 6 spaces: keys, values, comments, blank lines,
# list items, a document start, lines of spaces.
_LINE = st.tuples(st.integers(min_value=0, max_value=6), st.sampled_from(
    ["clients:", "acme:", "'b c':", '"d":', "x: 1", "- {a: 1}", "# note", "", "---",
     "lexsync:", "notes: |", "a: b  # c", "k:  # c", "   "]))


# What a text may start with (the clients' section, so that clients follow), and the line
# breaks it may use: `str.splitlines` splits at each, and a tab makes the scan unsure.
_START = st.sampled_from(["", "clients:\n  acme:\n", "clients:\n    acme:\n      x: 1\n"])
_BREAK = st.sampled_from(["\n"] * 8 + ["\r\n", "\r", "\x0c", "\u2028", "\x85", "\t\n"])


@settings(max_examples=500, deadline=None)
@given(start=_START, lines=st.lists(st.tuples(_LINE, _BREAK), max_size=14),
       trailing=st.booleans())
def test_passing_over_the_lines_inside_clients_answers_as_looking_at_every_line(
        start: str, lines: list[tuple[tuple[int, str], str]], trailing: bool) -> None:
    text = start + "".join(" " * depth + body + brk for (depth, body), brk in lines)
    text = text if trailing else text.rstrip("\n")
    every = _Scan()
    expected = every.found() if all(every.take(line) for line in text.splitlines()) else None
    assert scan_clients(text) == expected
