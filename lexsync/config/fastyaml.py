"""The fast path of the YAML reader: libyaml's C parser for plain documents.

ruamel's pure-Python parser needs ~75 µs per event, so a 1,000-buyer configuration (~650,000
events) took minutes to read. libyaml (through PyYAML, when built with it) produces the same
events in C; this module builds the same values and positions from them.

`parse_values` reads the values alone: a load that finds nothing wrong never needs a position,
and recording one per value cost more than the parse. It notes which string values mention
`${`, so that interpolation visits those few instead of every value. `parse_plain` also
records every value's file:line:column; the loader calls it again only when it has something
to report.

Only plain documents take these paths: one document, no tags, anchors, aliases, merge keys,
%YAML directives, duplicate keys or folded (`>`) scalars, nesting within MAX_DEPTH. For anything else — and for
any syntax error — `parse_plain` answers None and the full ruamel reader in `yamlio` runs,
so its checks and diagnostics stay the only ones. Plain scalars are resolved with ruamel's
YAML 1.2 resolver and constructor, exactly as the full reader does (`no` stays a string).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError as RuamelError
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.resolver import VersionedResolver

from lexsync.config.positions import Path, Positions, Spot
from lexsync.errors import SourceLocation

try:
    import yaml as _pyyaml

    _LOADER: Any = _pyyaml.CBaseLoader  # AttributeError without libyaml
    _CPARSER: Any = _pyyaml.cyaml.CParser
except (ImportError, AttributeError):  # pragma: no cover - depends on the installation
    _pyyaml = None
    _LOADER = None
    _CPARSER = None

_CORE = "tag:yaml.org,2002:"
_AS_TEXT = {_CORE + "str", _CORE + "timestamp"}  # a date stays text, as in yamlio


def pyyaml() -> Any:
    """PyYAML, for its event types (None without it)."""
    return _pyyaml


def c_parser() -> Any:
    """libyaml's event parser, or None when PyYAML was built without it."""
    return _CPARSER


class Values(NamedTuple):
    """A document's values, and the paths of its string values that mention `${`."""

    data: object
    marked: list[Path] | None  # in document order; None: not known (walk everything)


class _Unsupported(Exception):
    """The document needs the full reader."""


class _Scalars:
    """Plain scalar text → value, resolved as ruamel resolves YAML 1.2 (memoised: a large
    configuration repeats the same few values)."""

    def __init__(self) -> None:
        self.resolver = VersionedResolver()
        self.constructor = YAML(typ="safe", pure=True).constructor
        self.memo: dict[str, Any] = {}
        # The first characters that can start an implicitly typed scalar, from the resolver's
        # own table: any other plain scalar is text, and asking the resolver costs ~15 µs.
        table = self.resolver.versioned_resolver
        self.typed_starts: frozenset[str] | None = (
            None if table.get(None) or self.resolver.yaml_path_resolvers
            else frozenset(first for first in table if first))

    def plain(self, text: str) -> Any:
        try:
            return self.memo[text]
        except KeyError:
            pass
        if text and self.typed_starts is not None and text[0] not in self.typed_starts:
            self.memo[text] = text
            return text
        tag = str(self.resolver.resolve(ScalarNode, text, (True, False)))
        if tag in _AS_TEXT:
            value: Any = text
        else:
            try:
                value = self.constructor.construct_object(ScalarNode(tag, text), deep=True)
            except (RuamelError, ValueError, TypeError, OverflowError):
                value = text
        self.memo[text] = value
        return value


def available() -> bool:
    return _LOADER is not None


def parse_plain(text: str, display: str, max_depth: int) -> tuple[object, Positions] | None:
    """Values and positions of a plain document, or None when the full reader must run.

    There is no cap on the number of values here: the full reader's cap guards against
    aliases expanding a small file, and without aliases the file size limit bounds it
    (a 1,000-buyer network has ~320,000 values)."""
    if _pyyaml is None or _LOADER is None:
        return None
    try:
        return _build(_pyyaml.parse(text, Loader=_LOADER), display, max_depth)
    except (_Unsupported, _pyyaml.YAMLError):
        return None


def parse_values(text: str, max_depth: int) -> Values | None:
    """The values of a plain document (exactly what `parse_plain` builds) and where `${`
    occurs in them, or None when the full reader must run. No positions: see the module
    docstring."""
    if _pyyaml is None or _CPARSER is None:
        return None
    try:
        return _values(_CPARSER(text), max_depth)
    except (_Unsupported, _pyyaml.YAMLError):
        return None


def _values(parser: Any, max_depth: int) -> Values:
    """`_build` without positions, as one flat loop: this runs once per event (~650,000 for a
    1,000-buyer network), so it avoids calls and keeps the accepted documents identical.
    Only a scalar mentioning `${` (a few in a thousand) costs a call."""
    pyyaml = _pyyaml
    assert pyyaml is not None
    scalar_event, mapping_start, sequence_start = (
        pyyaml.ScalarEvent, pyyaml.MappingStartEvent, pyyaml.SequenceStartEvent)
    mapping_end, sequence_end = pyyaml.MappingEndEvent, pyyaml.SequenceEndEvent
    document_start, alias, stream_end = (
        pyyaml.DocumentStartEvent, pyyaml.AliasEvent, pyyaml.StreamEndEvent)
    scalars = _Scalars()
    memo, plain = scalars.memo, scalars.plain
    get_event = parser.get_event
    # The enclosing containers with their pending keys; `container` is None at the top.
    stack: list[tuple[Any, Any]] = []
    container: Any = None
    key: Any = _NO_KEY
    root: object = {}
    marked: list[Path] = []
    documents = 0
    while True:
        event = get_event()
        kind = type(event)
        if kind is scalar_event:
            if event.anchor is not None or event.tag is not None:
                raise _Unsupported
            style = event.style
            text = event.value
            if style == "":
                try:
                    value: Any = memo[text]
                except KeyError:
                    value = plain(text)
            elif style == ">":
                raise _Unsupported  # see _build
            else:
                value = text
            if "${" in text and isinstance(value, str):
                _mark(marked, stack, container, key)
        elif kind is mapping_start or kind is sequence_start:
            if event.anchor is not None or event.tag is not None:
                raise _Unsupported
            value = {} if kind is mapping_start else []
        elif kind is mapping_end or kind is sequence_end:
            container, key = stack.pop()
            continue
        elif kind is document_start:
            documents += 1
            if documents > 1 or event.version is not None or event.tags:
                raise _Unsupported
            continue
        elif kind is alias:
            raise _Unsupported
        elif kind is stream_end or event is None:
            return Values(root, marked)
        else:
            continue
        if container is None:
            root = value
        elif type(container) is list:
            container.append(value)
        elif key is _NO_KEY:
            # A key: plain values only, no merge keys, no duplicates.
            if kind is not scalar_event or (style == "" and text == "<<") or value in container:
                raise _Unsupported
            key = value
            continue
        else:
            container[key] = value
            key = _NO_KEY
        if kind is not scalar_event:
            if len(stack) >= max_depth:
                raise _Unsupported
            stack.append((container, key))
            container, key = value, _NO_KEY


def _mark(marked: list[Path], stack: list[tuple[Any, Any]], container: Any, key: Any) -> None:
    """Note the path of the string about to be placed in `container` (under `key` in a
    mapping; a pending key of _NO_KEY means the string is itself a key, which interpolation
    leaves alone). Each enclosing container is the last item placed in its parent."""
    if container is None:
        marked.append(())
        return
    if type(container) is list:
        own: Any = len(container)
    elif key is _NO_KEY:
        return
    else:
        own = key
    enclosing = (entry[0] for entry in stack[1:])  # stack[0] holds the top (None)
    marked.append((*(_last_key(parent) for parent in enclosing), own))


def _last_key(container: dict | list) -> Any:
    return len(container) - 1 if type(container) is list else next(reversed(container))


def _build(events: Any, display: str, max_depth: int) -> tuple[object, Positions]:
    pyyaml = _pyyaml
    assert pyyaml is not None
    scalar_event, mapping_start, sequence_start = (
        pyyaml.ScalarEvent, pyyaml.MappingStartEvent, pyyaml.SequenceStartEvent)
    end_events = (pyyaml.MappingEndEvent, pyyaml.SequenceEndEvent)
    positions = Positions()
    spots = positions.spots
    scalars = _Scalars()
    # Frames: [container, path, pending key (mappings), its location]
    stack: list[list[Any]] = []
    root: object = {}
    documents = 0

    def loc(mark: Any) -> SourceLocation:
        return SourceLocation(display, mark.line + 1, mark.column + 1)

    for event in events:
        kind = type(event)
        if kind is scalar_event or kind is mapping_start or kind is sequence_start:
            if event.anchor is not None or event.tag is not None:
                raise _Unsupported
            if kind is scalar_event:
                if event.style == ">":
                    # ruamel keeps a fold marker (\x07) in folded text; keep its reading.
                    raise _Unsupported
                value: Any = scalars.plain(event.value) if event.style == "" else event.value
            elif kind is mapping_start:
                value = {}
            else:
                value = []
            if not stack:
                spots[()] = Spot(loc(event.start_mark))
                root = value
                path: tuple[Any, ...] = ()
            else:
                frame = stack[-1]
                container = frame[0]
                if type(container) is list:
                    path = (*frame[1], len(container))
                    spots.setdefault(path, Spot(loc(event.start_mark)))
                    container.append(value)
                elif frame[2] is _NO_KEY:
                    # A key: plain values only, no merge keys, no duplicates.
                    if kind is not scalar_event or (event.style == "" and event.value == "<<"):
                        raise _Unsupported
                    if value in container:
                        raise _Unsupported
                    frame[2], frame[3] = value, loc(event.start_mark)
                    continue
                else:
                    key, key_loc = frame[2], frame[3]
                    frame[2] = _NO_KEY
                    path = (*frame[1], key)
                    empty = kind is scalar_event and event.value == "" and event.style == ""
                    spots.setdefault(path, Spot(key_loc if empty else loc(event.start_mark), key_loc))
                    container[key] = value
            if kind is not scalar_event:
                if len(stack) >= max_depth:
                    raise _Unsupported
                stack.append([value, path, _NO_KEY, None])
        elif kind in end_events:
            stack.pop()
        elif kind is pyyaml.DocumentStartEvent:
            documents += 1
            if documents > 1 or event.version is not None or event.tags:
                raise _Unsupported
        elif kind is pyyaml.AliasEvent:
            raise _Unsupported
    return root, positions


_NO_KEY = object()
