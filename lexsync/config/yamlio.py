"""Read one YAML file safely into plain Python values, and where every key and value is.

ruamel.yaml (YAML 1.2) decides every value: its parser turns the text into events, and
`_Builder` turns the events into dicts, lists and scalars, resolving plain scalars with
ruamel's YAML 1.2 resolver and constructing them with its safe constructor. No tag can
instantiate anything: only the YAML core tags are accepted.

The events come from ruamel's C parser (ruamel.yaml.clib) when it is installed, else from its
pure-Python parser; both feed the same builder. The C parser is used only where it gives the
same events (tests/config/test_yaml_readers.py compares the two on the examples and on fuzzed
documents): a text holding a character they read apart (`_READ_APART`), and any text the C
parser cannot read, go to the pure parser, whose messages are the only YAML syntax errors
lexsync reports.
"""

from __future__ import annotations

import functools
import os
import re
import stat
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from ruamel.yaml import YAML
from ruamel.yaml.composer import ComposerError
from ruamel.yaml.constructor import BaseConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    NodeEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.resolver import Resolver

from lexsync.config.positions import Path as ValuePath
from lexsync.config.positions import Positions, Spot
from lexsync.errors import ConfigError, Diagnostic, SourceLocation

try:
    # Re-exported by ruamel from its C extension, not listed in cyaml's __all__.
    from ruamel.yaml.cyaml import CParser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - ruamel.yaml.clib is a dependency
    CParser = None

# A safety bound, not a size users meet: a file is read whole and its values take ~20 times
# its size in memory, so this stops a wrong file (a log, a dump) before it exhausts memory.
# 100 MB holds ~20,000 buyers of 3 methods and 5 accounts each (docs/performance.md).
MAX_FILE_BYTES = 100 * 1024 * 1024
MAX_DEPTH = 50
# Aliases can make a small file expand enormously ("billion laughs"): cap the values built
# by expanding aliases (an anchor no alias names expands nothing; the file size bounds the rest).
MAX_ALIASED_VALUES = 200_000
# Plain scalars remembered across files, the least recently read forgotten first: more than
# the distinct numbers, booleans and names a large network repeats (each costs ~100 bytes
# beside its text, which the configuration holds anyway).
_REMEMBERED_SCALARS = 16_384

_CORE = "tag:yaml.org,2002:"
_E = TypeVar("_E", bound=Event)

ALLOWED_TAGS = {_CORE + name for name in ("str", "int", "float", "bool", "null", "map", "seq")}
_AS_TEXT = {_CORE + "str", _CORE + "timestamp"}  # a date stays text: no field of ours is a date
_MERGE = _CORE + "merge"
# Characters the C parser reads otherwise than ruamel: libyaml takes a tab as separating
# whitespace where ruamel refuses it, and counts NEL, LS and PS as line breaks (YAML 1.1).
_READ_APART = ("\t", "\x85", "\u2028", "\u2029")
# libyaml also takes `#` right after a block scalar's header (`|#`) as a comment, and places
# a node whose tag comes before its anchor (`!!str &a x`) at the tag, ruamel at the anchor.
# Searched apart, each only in a text holding its `#` or `!`: one pattern of both alternatives
# costs a large network's load ~4 times more.
_HEADER_COMMENT = re.compile(r"[|>][0-9+-]{0,2}#")
_TAG_BEFORE_ANCHOR = re.compile(r"!\S*\s+&")


def _loc(display: str, mark: object) -> SourceLocation:
    return SourceLocation(display, getattr(mark, "line", 0) + 1, getattr(mark, "column", 0) + 1)


def _fail(display: str, summary: str, mark: object | None = None) -> ConfigError:
    where = _loc(display, mark) if mark is not None else SourceLocation(display, 1, 1)
    return ConfigError([Diagnostic(summary, where)])


_INTERNED = 64  # the longest text interned (a URL or a note is seldom repeated)


_CHUNK = 1 << 16  # read at a time past a file's size, when it grew since its size was taken


class NotRegularFile(OSError):
    """A FIFO, a device or a directory: reading it could wait forever or never end."""


def read_regular_file(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most `limit` bytes. Opened without waiting (a FIFO's
    open would wait for a writer) and checked on the opened file, so nothing can be swapped
    in between."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile(f"{path} is not a regular file")
        if info.st_size > limit:
            raise FileTooLarge(info.st_size)
        # Read its size and one byte more (to see it grew), then on to its end or past the
        # limit: asking for the limit at once allocates that much for each file (5 MB for a
        # 5 KB file, ~40 µs a file: 0.4 s of a 10,000-file configuration).
        chunks = [os.read(fd, info.st_size + 1)]
        got = len(chunks[0])
        while chunks[-1] and got <= limit:
            chunks.append(os.read(fd, min(_CHUNK, limit + 1 - got)))
            got += len(chunks[-1])
    finally:
        os.close(fd)
    if got > limit:
        raise FileTooLarge(got)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class FileTooLarge(OSError):
    def __init__(self, size: int) -> None:
        super().__init__(f"{size} bytes")
        self.size = size


def read_text(path: Path, display: str) -> str:
    """The file's text; refuses what is not a regular file, oversized files and bytes that
    are not UTF-8."""
    try:
        raw = read_regular_file(path, MAX_FILE_BYTES)
    except FileTooLarge as exc:
        raise _fail(display, f"file is {exc.size} bytes; the limit is {MAX_FILE_BYTES} "
                    f"({MAX_FILE_BYTES // 2**20} MB)") from None
    except NotRegularFile:
        raise _fail(display, "cannot read file: not a regular file (a FIFO, device or "
                    "directory)") from None
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
    positions = Positions()
    return _read(text, display, positions), positions


def parse_values(text: str, display: str) -> object:
    """The values alone: recording every value's position costs more than reading it, and a
    configuration without problems is never asked where a value came from."""
    try:
        return _read(text, display, None)
    except ConfigError:
        parse_yaml(text, display)  # the same problems, with every position to report them
        raise


def _read(text: str, display: str, positions: Positions | None) -> object:
    if c_parser_may_read(text):
        value = read_with_c_parser(text, display, positions)
        if value is not None:
            return value
        if positions is not None:
            positions.spots.clear()
    return read_with_pure_parser(text, display, positions)


def c_reader_available() -> bool:
    return CParser is not None


def c_parser_may_read(text: str) -> bool:
    """Whether the C parser is installed and reads `text` as ruamel's own parser does."""
    return CParser is not None and not any(char in text for char in _READ_APART) \
        and not ("#" in text and _HEADER_COMMENT.search(text)) \
        and not ("!" in text and _TAG_BEFORE_ANCHOR.search(text))


def read_with_c_parser(text: str, display: str, positions: Positions | None) -> dict | None:
    """The values as read with the C parser, or None where the pure parser must decide: a
    text that is not YAML (its error message is the pure parser's), a problem found before
    the end of the text (a syntax error could come first where the pure parser reads it),
    and a top level that is not a mapping (only a mapping is a configuration; libyaml and
    ruamel differ on, e.g., a block scalar's text at the top level)."""
    parser = CParser(text)
    builder = _Builder(parser.get_event, display, positions)
    try:
        value = builder.document()
    except ConfigError:
        if builder.read_to_the_end:
            raise
        return None
    except YAMLError:
        return None
    finally:
        parser.dispose()
    return value if isinstance(value, dict) else None


def read_with_pure_parser(text: str, display: str, positions: Positions | None) -> object:
    try:
        return build(pure_events(text).__next__, display, positions)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if _tab_indents(text, mark):
            problem = "tabs are not allowed for indentation: indent with spaces"
        raise _fail(display, f"YAML syntax error: {problem}", mark) from exc
    except YAMLError as exc:
        raise _fail(display, f"YAML syntax error: {exc}") from exc


def _tab_indents(text: str, mark: object) -> bool:
    """Whether the problem is at a tab among the line's leading blanks (ruamel says only that
    a tab "cannot start any token")."""
    line_number = getattr(mark, "line", None)
    if line_number is None:
        return False
    lines = text.splitlines()
    if line_number >= len(lines):
        return False
    line = lines[line_number]
    indent = line[:len(line) - len(line.lstrip(" \t"))]
    return "\t" in indent


def pure_events(text: str) -> Iterator[Event]:
    """ruamel's pure-Python parser."""
    return YAML(typ="safe", pure=True).parse(text)


def build(next_event: Callable[[], Event], display: str, positions: Positions | None) -> object:
    """The document's values from its parser's events; every key's and value's position
    recorded into `positions` when given. Raises ConfigError for what lexsync refuses, and the
    parser's YAMLError for what is not YAML."""
    return _Builder(next_event, display, positions).document()


class _Scalars:
    """Scalar text → value, as ruamel's YAML 1.2 resolver and safe constructor make it.

    One for the process: a large network repeats the same few values in every file, so plain
    scalars are remembered across files, and ruamel's constructor (slow to make) is made once.
    A plain scalar whose first character no implicit resolver claims is text, as the resolver
    itself would find, without asking it."""

    def __init__(self) -> None:
        self.resolver = Resolver()
        resolvers = self.resolver.yaml_implicit_resolvers
        # A resolver under None is tried for every first character: then none is unclaimed.
        self.claimed = None if resolvers.get(None) else frozenset(resolvers)
        self.plain_value = functools.lru_cache(maxsize=_REMEMBERED_SCALARS)(self._plain_value)
        self.constructor: BaseConstructor | None = None
        self.lock = threading.Lock()  # the constructor keeps state while it constructs

    def plain(self, text: str) -> object:
        if self.claimed is not None and text[:1] not in self.claimed:
            return text
        return self.plain_value(text)

    def _plain_value(self, text: str) -> object:
        return self.tagged(self.resolved(text), text)

    def resolved(self, text: str) -> str:
        return str(self.resolver.resolve(ScalarNode, text, (True, False)))

    def tagged(self, tag: str, text: str) -> object:
        if tag in _AS_TEXT:
            return text
        with self.lock:
            if self.constructor is None:
                self.constructor = YAML(typ="safe", pure=True).constructor
            constructor = self.constructor
            try:
                return constructor.construct_object(ScalarNode(tag, text), deep=True)
            except (YAMLError, ValueError, TypeError, OverflowError, IndexError, KeyError):
                return text  # e.g. `!!int abc`: validation names what the value should be
            finally:
                # As a new constructor: it remembers every node it built, and a failure
                # leaves its bookkeeping as it was mid-way.
                constructor.constructed_objects.clear()
                constructor.recursive_objects.clear()
                constructor.deep_construct = False


_SCALARS = _Scalars()


class _Builder:
    """Builds one document's values from parser events, checking tags, depth and aliases, and
    recording every key's and value's position when given `positions`.

    An alias is built anew from the events of the node its anchor named, as composing and
    constructing the document would (fresh containers for every path)."""

    def __init__(self, next_event: Callable[[], Event], display: str,
                 positions: Positions | None) -> None:
        self.next_event = next_event
        self.display = display
        self.positions = positions
        self.scalars = _SCALARS
        self.anchors: dict[str, list[Event]] = {}
        self.recording: list[list[Event]] = []  # the events of each anchored node being read
        self.replaying: list[Iterator[Event]] = []  # the events of each alias being built
        # The next event: the parser's own, unless an anchored node is being recorded or an
        # alias replayed (`_route`): most documents have neither, and every event comes here.
        self._next: Callable[[], Event] = next_event
        self.aliased = 0  # values built by aliases
        self.diagnostics: list[Diagnostic] = []
        self.read_to_the_end = False

    def document(self) -> object:
        self._expect(self._next(), StreamStartEvent)
        event = self._next()
        if isinstance(event, StreamEndEvent):
            return {}  # an empty file
        version = self._expect(event, DocumentStartEvent).version
        if version is not None and tuple(version) != (1, 2):
            raise _fail(self.display, "lexsync reads YAML 1.2; this file declares %YAML "
                        + ".".join(map(str, version)))
        first = self._next()
        if self.positions is not None:
            self._locate((), first)
        value = self._node(first, (), 0)
        self._expect(self._next(), DocumentEndEvent)
        event = self._next()
        if not isinstance(event, StreamEndEvent):
            # As ruamel's composer says it (its marks of a document's start are its parser's).
            raise ComposerError("expected a single document in the stream", None,
                                "but found another document", event.start_mark)
        self.read_to_the_end = True
        if self.diagnostics:
            raise ConfigError(self.diagnostics)
        return value

    def _route(self) -> None:
        self._next = self._next_kept if self.replaying or self.recording else self.next_event

    def _next_kept(self) -> Event:
        """The next event, from the alias being replayed if any, recorded for every anchored
        node being read."""
        while self.replaying:
            event = next(self.replaying[-1], None)
            if event is not None:
                break
            self.replaying.pop()
            self._route()
        else:
            event = self.next_event()
        for events in self.recording:
            events.append(event)
        return event

    def _expect(self, event: Event, kind: type[_E]) -> _E:
        if not isinstance(event, kind):  # the parser itself ensures this
            raise _fail(self.display, f"YAML syntax error: unexpected {type(event).__name__}",
                        event.start_mark)
        return event

    def _node(self, event: Event, path: ValuePath, depth: int) -> object:
        """The value that `event` starts."""
        if type(event) is ScalarEvent and event.anchor is None:
            return self._scalar(event)
        if type(event) is AliasEvent:
            return self._alias(event, path, depth)
        anchor = event.anchor if isinstance(event, NodeEvent) else None
        if anchor is None or self.replaying:
            # An anchor among an alias's events was defined where they were first read.
            return self._content(event, path, depth)
        events = [event]
        self.recording.append(events)
        self._route()
        try:
            value = self._content(event, path, depth)
        finally:
            self.recording.pop()  # anchored nodes nest: this one is the last
            self._route()
        self.anchors[str(anchor)] = events
        return value

    def _alias(self, event: AliasEvent, path: ValuePath, depth: int) -> object:
        events = self.anchors.get(str(event.anchor))
        if events is None:
            raise ComposerError(None, None, f"found undefined alias {event.anchor!r}",
                                event.start_mark)
        self.aliased += sum(not isinstance(e, (MappingEndEvent, SequenceEndEvent)) for e in events)
        if self.aliased > MAX_ALIASED_VALUES:
            raise _fail(self.display, f"more than {MAX_ALIASED_VALUES} values made by aliases "
                        "(aliases expanding?)", event.start_mark)
        replay = iter(events)
        first = next(replay)
        self.replaying.append(replay)
        self._route()
        for recorded in self.recording:
            recorded.append(first)
        return self._content(first, path, depth)

    def _content(self, event: Event, path: ValuePath, depth: int) -> object:
        if isinstance(event, ScalarEvent):
            return self._scalar(event)
        if isinstance(event, CollectionStartEvent):
            self._check_tag(event)
        if depth >= MAX_DEPTH:
            raise _fail(self.display, f"nesting deeper than {MAX_DEPTH} levels", event.start_mark)
        if isinstance(event, SequenceStartEvent):
            return self._sequence(path, depth + 1, event.start_mark)
        if isinstance(event, MappingStartEvent):
            return self._mapping(path, depth + 1)
        raise _fail(self.display, f"YAML syntax error: unexpected {type(event).__name__}",
                    event.start_mark)

    def _check_tag(self, event: ScalarEvent | CollectionStartEvent) -> None:
        tag = event.tag
        if tag is not None and str(tag) not in ALLOWED_TAGS:
            raise _fail(self.display, f"tag {str(tag)!r} is not allowed (only plain YAML values are)",
                        event.start_mark)

    def _scalar(self, event: ScalarEvent) -> object:
        tag = event.tag
        if tag is None:  # plain, its text decides its type; or quoted, text
            value = self.scalars.plain(event.value) if event.implicit[0] else event.value
            # One object for each short text a large configuration repeats in every client
            # (keys, lead fields, operators, days): a tenth of its memory.
            return sys.intern(value) if type(value) is str and len(value) <= _INTERNED else value
        self._check_tag(event)
        return self.scalars.tagged(str(tag), event.value)

    def _sequence(self, path: ValuePath, depth: int, mark: object) -> list:
        result: list = []
        while not isinstance(event := self._next(), SequenceEndEvent):
            if self.positions is None:
                result.append(self._node(event, path, depth))
                continue
            item_path = (*path, len(result))
            self._locate(item_path, event, list_mark=mark)
            result.append(self._node(event, item_path, depth))
        return result

    def _mapping(self, path: ValuePath, depth: int) -> dict:
        result: dict = {}
        while not isinstance(key_event := self._next(), MappingEndEvent):
            if type(key_event) is ScalarEvent and key_event.anchor is None:
                key = self._scalar(key_event)
            else:
                key = self._unlocated(key_event, path, depth)
            value_event = self._next()
            if isinstance(key, (dict, list)) or key == "<<" or key in result:
                problem = self._key_problem(key, key_event, result, path)
                if problem is not None:
                    self._unlocated(value_event, path, depth)
                    self.diagnostics.append(Diagnostic(problem, _loc(self.display, key_event.start_mark)))
                    continue
            if self.positions is None:
                if type(value_event) is ScalarEvent and value_event.anchor is None:
                    result[key] = self._scalar(value_event)  # the usual value, read at once
                else:
                    result[key] = self._node(value_event, path, depth)
                continue
            value_path = (*path, key)
            self._locate(value_path, value_event, key_mark=key_event.start_mark)
            result[key] = self._node(value_event, value_path, depth)
        return result

    def _key_problem(self, key: object, event: Event, mapping: dict, path: ValuePath) -> str | None:
        if isinstance(key, (dict, list)):
            return "a key must be a plain value, not a list or mapping"
        if key == "<<" and isinstance(event, ScalarEvent) and event.tag is None \
                and event.implicit[0] and self.scalars.resolved(key) == _MERGE:
            return "merge keys (<<) are not supported"
        if key in mapping:
            # Without positions, the loader reads the file again with them to report this.
            first = self.positions.locate_key((*path, key)) if self.positions is not None else None
            return f"duplicate key {key!r} (first defined at {first})"
        return None

    def _unlocated(self, event: Event, path: ValuePath, depth: int) -> object:
        """A key, or a value that is not kept: read without recording positions (its problems
        are reported all the same)."""
        positions, self.positions = self.positions, None
        try:
            return self._node(event, path, depth)
        finally:
            self.positions = positions

    def _locate(self, path: ValuePath, event: Event, *, key_mark: object | None = None,
                list_mark: object | None = None) -> None:
        """Record where the value at `path` starts (and its key, for a mapping's value). An
        empty value has no text of its own, and the parsers place it differently: it is
        located at its key, or at its list, or at the start of the file."""
        assert self.positions is not None
        key = _loc(self.display, key_mark) if key_mark is not None else None
        if isinstance(event, ScalarEvent) and event.value == "" and not event.style:
            around = key_mark if key_mark is not None else list_mark
            value = _loc(self.display, around) if around is not None else SourceLocation(self.display, 1, 1)
        else:
            value = _loc(self.display, event.start_mark)
        self.positions.add(path, Spot(value, key))
