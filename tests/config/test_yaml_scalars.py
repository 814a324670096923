"""Every scalar is read as ruamel's resolver and safe constructor read it alone.

The reader remembers plain scalars across files and keeps one constructor for the process
(config/yamlio.py `_Scalars`): what it read before, including values its constructor failed
on, must never change what it reads next.
"""

from __future__ import annotations

import math

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import ScalarEvent
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.resolver import Resolver

from lexsync.config import yamlio

AS_TEXT = {"tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp"}


def alone(text: str, tag: str | None = None) -> object:
    """The value of one scalar, read with a new resolver and a new constructor."""
    tag = tag or str(Resolver().resolve(ScalarNode, text, (True, False)))
    if tag in AS_TEXT:
        return text
    try:
        return YAML(typ="safe", pure=True).constructor.construct_object(ScalarNode(tag, text), deep=True)
    except (YAMLError, ValueError, TypeError, OverflowError, IndexError, KeyError):
        return text


def typed(value: object) -> object:
    if isinstance(value, float) and math.isnan(value):
        return (float, "nan")
    return (type(value), value)


# Plain scalars of every kind the resolver knows, and text that starts like one.
SPELLINGS = ["1", "-1", "+1", "0o17", "0x1F", "0b1", "1_000", "1.5", "-.5", "1e3", ".inf", "-.inf",
             ".nan", ".NaN", "true", "True", "TRUE", "false", "tRue", "null", "Null", "NULL", "~",
             "None", "n", "2001-01-01", "2001-01-01 10:00:00", "12:30", "<<", "=", "tier3", "f0",
             "FirstName", "success", "0", "00", "08", "09.5", "1.", "+", "-1-", ".", "yes", "é"]
TAGGED = [("!!int", "abc"), ("!!map", "x"), ("!!seq", "x"), ("!!float", "x"), ("!!bool", "x"),
          ("!!int", "'-8'"), ("!!str", "123"), ("!!null", "''"), ("!!int", "0x1F")]
plain = st.sampled_from(SPELLINGS) | st.text(alphabet="0123456789+-._:eExobTtFfNn~<=", min_size=1,
                                             max_size=8)


def test_every_spelling_reads_as_alone() -> None:
    for text in SPELLINGS:
        [value] = yamlio.parse_values(f"- {text}\n", "f.yaml")  # type: ignore[misc]
        assert typed(value) == typed(alone(text)), text


def items_as_written(text: str) -> list[str | None] | None:
    """The text of each item of a one-list document (None for an item with a tag), or None
    when the document is not a list of scalars."""
    try:
        events = list(yamlio.pure_events(text))
    except YAMLError:
        return None
    scalars = events[3:-3]
    if not all(isinstance(e, ScalarEvent) and e.anchor is None for e in scalars):
        return None
    return [e.value if e.tag is None and e.implicit[0] else None for e in scalars]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(plain, st.sampled_from(TAGGED)), min_size=1, max_size=12))
def test_what_was_read_before_changes_nothing(items: list) -> None:
    text = "".join(f"- {' '.join(item) if isinstance(item, tuple) else item}\n" for item in items)
    written = items_as_written(text)
    assume(written is not None and len(written) == len(items))
    assert written is not None
    values = yamlio.parse_values(text, "f.yaml")
    assert isinstance(values, list)
    for plain_text, value in zip(written, values, strict=True):
        if plain_text is not None:
            assert typed(value) == typed(alone(plain_text)), plain_text


def test_a_failed_construction_leaves_the_next_value_alone() -> None:
    text = "".join(f"- {tag} {value}\n" for tag, value in TAGGED) + "- 0x1F\n- 12\n"
    values = yamlio.parse_values(text, "f.yaml")
    assert values == ["abc", "x", "x", "x", "x", -8, "123", None, 31, 31, 12]
    assert yamlio.parse_values("- 12\n- !!int 7\n", "f.yaml") == [12, 7]
    constructor = yamlio._SCALARS.constructor  # noqa: SLF001 - kept for the process
    assert constructor is not None and not constructor.constructed_objects  # keeps no node
