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


def scan_clients(text: str) -> FileClients | None:
    """The file's sections and client keys, or None when its lines do not tell them surely."""
    # Without a tab anywhere, a line indented deeper than the client keys is inside a client,
    # and is passed over at once (a tab there would make the file unsure: see below).
    quick = "\t" not in text
    sections: set[str] = set()
    clients: set[str] = set()
    in_clients = False
    indent: int | None = None  # of the client keys
    deeper = "\n"  # once the client keys' indent is known: the start of a line inside a client
    started = False
    for line in text.splitlines():
        if line.startswith(deeper):
            started = True
            continue  # inside a client
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        body = line.lstrip(" ")
        if body[0] == "\t":
            return None  # YAML forbids tabs in indentation: the parser says so
        depth = len(line) - len(body)
        if depth == 0:
            if stripped.split("#")[0].strip() == "---" and not started and not sections:
                started = True
                continue
            key = _key(body)
            if key is None or key[1] or key[0] in sections:
                return None  # not `SECTION:` alone: a flow value, a scalar, a second document
            sections.add(key[0])
            in_clients = key[0] == "clients"
            deeper = " " * (indent + 1) if quick and in_clients and indent is not None else "\n"
            started = True
            continue
        started = True
        if not in_clients:
            continue  # inside another section, which is read whole anyway
        if indent is None:
            indent = depth
            deeper = " " * (indent + 1) if quick else "\n"
        if depth < indent:
            return None
        if depth > indent:
            continue  # inside a client
        key = _key(body)
        if key is None or key[1]:
            return None  # a list item, an anchor, a flow mapping, a complex key
        clients.add(key[0])
    return FileClients(frozenset(sections), frozenset(clients))


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
