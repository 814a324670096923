"""Which clients a configuration file holds, read from its lines without parsing it.

A targeted run (`--target client.X`) parses, interpolates and validates only the files that
may hold a client it names or hold anything but clients (settings, groups, lead types); the
others are only scanned here. The scan answers only for the plain block layout lexsync and
`import` write: top-level `clients:` with one `KEY:` line per client, indented alike. Any
file it cannot read with certainty (a flow mapping, anchors or tags at a client, tabs, a
second document, an odd indentation, a key YAML would not read as that same text) is
`None`: the loader reads it whole. So a wrong answer can only make a run read more.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

# A key as the first thing on a line, its text in one of the three groups, and what follows
# its colon (empty, or a comment, for the block layout the scan answers for).
_KEY = re.compile(r"""(?:"([^"\\]*)"|'([^']*)'|([^\s#'"{}\[\],&*!|>%@`?:-][^#]*?))[ \t]*:(?:[ \t]+(.*))?$""")
# Plain texts YAML 1.2 reads as text, not as a number, a boolean or null.
_PLAIN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9_. -]*\Z")
_NOT_TEXT = {"true", "false", "null", "yes", "no", "on", "off", "y", "n"}  # and YAML 1.1's


@dataclass(frozen=True)
class FileClients:
    """A file's top-level sections and the keys under its `clients:`."""

    sections: frozenset[str]
    clients: frozenset[str]

    def only_other_clients(self, wanted: frozenset[str]) -> bool:
        """Whether the file holds clients only, none of them `wanted`."""
        return self.sections == {"clients"} and not (self.clients & wanted)


# Line breaks `str.splitlines` splits at besides "\n": a text holding none is split at "\n".
_OTHER_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


@functools.cache
def _line_break_not_indented(width: int) -> re.Pattern[str]:
    """Finds the next line break followed by a line that does not start with `width` spaces
    (a pattern starting with its line break is searched for at C speed)."""
    return re.compile(rf"\n(?! {{{width}}})")


def scan_clients(text: str) -> FileClients | None:
    """The file's sections and client keys, or None when its lines do not tell them surely."""
    scan = _Scan()
    if "\t" in text or any(other in text for other in _OTHER_BREAKS):
        for line in text.splitlines():  # every line looked at (tabs: see _Scan)
            if not scan.take(line):
                return None
        return scan.found()
    # Without a tab anywhere, a line indented deeper than the client keys is inside a client:
    # the lines inside each client are passed over at once.
    start, end = 0, len(text)
    while start < end:
        if scan.inside and text.startswith(" " * scan.inside, start):
            found = _line_break_not_indented(scan.inside).search(text, start)
            start = end if found is None else found.start() + 1
            scan.started = True
            continue
        stop = text.find("\n", start)
        stop = end if stop < 0 else stop
        if not scan.take(text[start:stop], passing_over=True):
            return None
        start = stop + 1
    return scan.found()


class _Scan:
    """What the lines seen so far tell."""

    def __init__(self) -> None:
        self.sections: set[str] = set()
        self.clients: set[str] = set()
        self.in_clients = False
        self.indent: int | None = None  # of the client keys
        self.inside = 0  # while passing over: a line starting with this many spaces is in a client
        self.started = False

    def found(self) -> FileClients:
        return FileClients(frozenset(self.sections), frozenset(self.clients))

    def take(self, line: str, passing_over: bool = False) -> bool:
        """Note one line; False when the file cannot be read surely (then it is read)."""
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            return True
        body = line.lstrip(" ")
        if body[0] == "\t":
            return False  # YAML forbids tabs in indentation: the parser says so
        depth = len(line) - len(body)
        if depth == 0:
            if stripped.split("#")[0].strip() == "---" and not self.started and not self.sections:
                self.started = True
                return True
            key = _key(body)
            if key is None or key[1] or key[0] in self.sections:
                return False  # not `SECTION:` alone: a flow value, a scalar, a second document
            self.sections.add(key[0])
            self.in_clients = key[0] == "clients"
            self.inside = self.indent + 1 \
                if passing_over and self.in_clients and self.indent is not None else 0
            self.started = True
            return True
        self.started = True
        if not self.in_clients:
            return True  # inside another section, which is read whole anyway
        if self.indent is None:
            self.indent = depth
            self.inside = depth + 1 if passing_over else 0
        if depth < self.indent:
            return False
        if depth > self.indent:
            return True  # inside a client
        key = _key(body)
        if key is None or key[1]:
            return False  # a list item, an anchor, a flow mapping, a complex key
        self.clients.add(key[0])
        return True


def _key(body: str) -> tuple[str, bool] | None:
    """A line's key text, and whether a value follows its colon on the same line; None when
    the line is no key YAML reads as exactly that text."""
    match = _KEY.match(body.rstrip())
    if match is None:
        return None
    double, single, plain, rest = match.groups()
    if plain is not None:
        plain = plain.strip()
        if not _PLAIN_TEXT.match(plain) or plain.lower() in _NOT_TEXT or ": " in plain:
            return None
    text = next(g for g in (double, single, plain) if g is not None)
    return text, bool(rest and not rest.lstrip().startswith("#"))
