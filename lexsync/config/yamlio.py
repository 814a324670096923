"""Read one YAML file safely into plain Python values plus the position of every key and value.

Only the YAML core types are accepted: the file is parsed to events and nodes, never
constructed by ruamel's object constructors, so no tag can instantiate anything.
"""

from __future__ import annotations

import os
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import CollectionStartEvent, NodeEvent
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from lexsync.config import fastyaml
from lexsync.config.positions import Positions, Spot
from lexsync.errors import ConfigError, Diagnostic, SourceLocation

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 50
# Aliases can make a small file expand enormously ("billion laughs"): cap the values built.
MAX_VALUES = 200_000

_CORE = "tag:yaml.org,2002:"
ALLOWED_TAGS = {_CORE + name for name in ("str", "int", "float", "bool", "null", "map", "seq")}
_TIMESTAMP = _CORE + "timestamp"
_MERGE = _CORE + "merge"


def _loc(display: str, mark: object) -> SourceLocation:
    return SourceLocation(display, getattr(mark, "line", 0) + 1, getattr(mark, "column", 0) + 1)


def _fail(display: str, summary: str, mark: object | None = None) -> ConfigError:
    where = _loc(display, mark) if mark is not None else SourceLocation(display, 1, 1)
    return ConfigError([Diagnostic(summary, where)])


def read_text(path: Path, display: str) -> str:
    """The file's text; refuses oversized files and bytes that are not UTF-8."""
    try:
        size = os.stat(path).st_size
        if size > MAX_FILE_BYTES:
            raise _fail(display, f"file is {size} bytes; the limit is {MAX_FILE_BYTES} (5 MB)")
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError([Diagnostic(f"cannot read file: {exc.strerror or exc}",
                                      SourceLocation(display, 1, 1))]) from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError([Diagnostic("file is not valid UTF-8",
                                      SourceLocation(display, line, column))]) from exc


def load_yaml_file(path: Path, display: str) -> tuple[object, Positions]:
    """Parse one file. Raises ConfigError with file:line:column on any problem."""
    return parse_yaml(read_text(path, display), display)


def parse_yaml(text: str, display: str) -> tuple[object, Positions]:
    """Values and the position of every key and value."""
    # Plain documents go through libyaml (fastyaml); anything else, and every error, here.
    fast = fastyaml.parse_plain(text, display, MAX_DEPTH)
    if fast is not None:
        return fast
    return _parse_full(text, display)


def parse_values(text: str, display: str) -> tuple[fastyaml.Values, Positions | None]:
    """The values, and their positions only when the full reader had to run anyway (it
    records them as it goes); otherwise None: `parse_yaml` on the same text gives them.
    Where `${` occurs is known only from the fast path (see `fastyaml.Values`)."""
    fast = fastyaml.parse_values(text, MAX_DEPTH)
    if fast is not None:
        return fast, None
    data, positions = _parse_full(text, display)
    return fastyaml.Values(data, None), positions


def _parse_full(text: str, display: str) -> tuple[object, Positions]:
    """ruamel's reader: every check, and the only source of YAML error messages."""
    yaml = YAML(typ="rt")
    try:
        _check_events(yaml, text, display)
        node = yaml.compose(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise _fail(display, f"YAML syntax error: {problem}", mark) from exc
    except YAMLError as exc:
        raise _fail(display, f"YAML syntax error: {exc}") from exc
    positions = Positions()
    if node is None:  # empty file
        return {}, positions
    positions.add((), Spot(_loc(display, node.start_mark)))
    builder = _Builder(display, positions)
    value = builder.build(node, ())
    if builder.diagnostics:
        raise ConfigError(builder.diagnostics)
    return value, positions


def _check_events(yaml: YAML, text: str, display: str) -> None:
    """Depth and tag limits, checked on the event stream before any recursive composing."""
    depth = 0
    for event in yaml.parse(text):
        tag = getattr(event, "tag", None) if isinstance(event, NodeEvent) else None
        if tag is not None and str(tag) not in ALLOWED_TAGS:
            raise _fail(display, f"tag {str(tag)!r} is not allowed (only plain YAML values are)",
                        event.start_mark)
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _fail(display, f"nesting deeper than {MAX_DEPTH} levels", event.start_mark)
        elif type(event).__name__ in ("MappingEndEvent", "SequenceEndEvent"):
            depth -= 1


class _Builder:
    """Turns composed nodes into dicts, lists and scalars, recording positions on the way."""

    def __init__(self, display: str, positions: Positions) -> None:
        self.display = display
        self.positions = positions
        self.diagnostics: list[Diagnostic] = []
        self.count = 0
        self.constructor = YAML(typ="safe", pure=True).constructor

    def build(self, node: Node, path: tuple) -> object:
        self.count += 1
        if self.count > MAX_VALUES:
            raise _fail(self.display, f"more than {MAX_VALUES} values (aliases expanding?)",
                        node.start_mark)
        if isinstance(node, MappingNode):
            return self._mapping(node, path)
        if isinstance(node, SequenceNode):
            result = []
            for index, item in enumerate(node.value):
                self.positions.add(path + (index,), Spot(_loc(self.display, item.start_mark)))
                result.append(self.build(item, path + (index,)))
            return result
        return self._scalar(node)

    def _mapping(self, node: MappingNode, path: tuple) -> dict:
        result: dict = {}
        for key_node, value_node in node.value:
            key_loc = _loc(self.display, key_node.start_mark)
            if str(key_node.tag) == _MERGE:
                self.diagnostics.append(Diagnostic("merge keys (<<) are not supported", key_loc))
                continue
            if not isinstance(key_node, ScalarNode):
                self.diagnostics.append(Diagnostic("a key must be a plain value, not a list or mapping", key_loc))
                continue
            key = self._scalar(key_node)
            if key in result:
                first = self.positions.locate_key(path + (key,))
                self.diagnostics.append(Diagnostic(f"duplicate key {key!r} (first defined at {first})", key_loc))
                continue
            value_loc = _loc(self.display, value_node.start_mark)
            if isinstance(value_node, ScalarNode) and value_node.value == "" and not value_node.style:
                value_loc = key_loc  # an empty value "starts" at the next token: point at its key
            self.positions.add(path + (key,), Spot(value_loc, key_loc))
            result[key] = self.build(value_node, path + (key,))
        return result

    def _scalar(self, node: ScalarNode) -> object:
        tag = str(node.tag)
        if tag == _CORE + "str" or tag == _TIMESTAMP:
            return str(node.value)  # a date stays text: no field of ours is a date
        try:
            return self.constructor.construct_object(node, deep=True)
        except (YAMLError, ValueError, TypeError, OverflowError):
            return str(node.value)
