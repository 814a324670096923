"""XML <-> dict with types. LeadExec answers are untrusted; how they are parsed safely:

Entities can only be declared in a DTD (a DOCTYPE with an internal or external subset), and
that is where the known attacks live: entity expansion ("billion laughs") and external
entities (XXE). LeadExec answers never carry a DOCTYPE. So an answer is decoded to text
first and, when it holds neither `<!DOCTYPE` nor `<!ENTITY` (XML keywords are
case-sensitive), parsed by the C-accelerated stdlib parser, 2-3x cheaper than
defusedxml, whose pure-Python parser runs a Python callback for every event. That check is
sound because expat gets exactly that text: the C parser fed a `str` reads it as UTF-8
whatever the XML declaration says, so no other encoding can hide a DOCTYPE from it. Besides,
xml.etree never fetches external entities, and the expat here (2.5.0; >= 2.4.1) limits
entity amplification by itself.

Everything else goes to defusedxml exactly as before: an answer with a DTD (it refuses
entity declarations), bytes that are not UTF-8, and answers that would not parse the same
way as UTF-8 text (another declared encoding, NUL characters, which expat may take for
UTF-16), so every answer gives the same tree or the same error as through defusedxml alone.

`decode_array_answer` (GetClientAccounts) gives expat a copy of that text in which repeated
<DeliveryDetails> elements are replaced by placeholders, so that each is parsed once. It does
so only for text that passed the check above and holds no `<!` at all, and the placeholders
are fixed markup without one: expat still never sees a DTD. Anything else, and any failure,
goes the way above (see "answers that repeat a subtree" below).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from math import isfinite
from typing import Any
from xml.etree.ElementTree import Element, ParseError, XMLParser
from xml.sax.saxutils import escape

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring

from lexsync.api.wiretypes import ListOf, Record
from lexsync.errors import ApiError

XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
_ENCODING = re.compile(r"""encoding\s*=\s*["']([^"']*)["']""")


class DecodeError(ValueError):
    """A value or element does not match its type table; carries a readable path."""


def local(tag: str) -> str:
    """Tag without its {namespace}."""
    return tag.rsplit("}", 1)[-1]


def parse(call: str, text: str | bytes) -> Element:
    """Parse an answer; anything unparsable becomes an ApiError naming the call."""
    try:
        return _parse(text)
    # LookupError: a declared encoding Python does not know.
    except (ParseError, DefusedXmlException, ValueError, LookupError) as exc:
        raise ApiError(call, f"{call} answered malformed XML: {exc}", 200) from None


def _parse(text: str | bytes) -> Element:
    if isinstance(text, bytes):
        try:
            body = text.decode("utf-8")
        except UnicodeDecodeError:
            return defused_fromstring(text)  # which says what is wrong, as it always did
    else:
        body = text
    if not _plain(body):
        return defused_fromstring(text)  # the original input: bytes keep their encoding
    parser = XMLParser()  # the C parser: _elementtree's
    parser.feed(body)  # a str: expat reads UTF-8, whatever the declaration says
    return parser.close()


def _plain(body: str) -> bool:
    """No DTD, and parsed as UTF-8 text it gives what defusedxml gives for its bytes."""
    if "<!DOCTYPE" in body or "<!ENTITY" in body:
        return False
    return _reads_as_utf8(body)


def _reads_as_utf8(body: str) -> bool:
    """Parsed as UTF-8 text it gives what defusedxml gives for its bytes: no NUL (expat may
    take it for UTF-16), no other encoding declared."""
    if "\x00" in body:
        return False
    if body.startswith("<?xml") or body.startswith("\ufeff<?xml"):
        end = body.find("?>")
        declaration = body[:end] if end >= 0 else body
        if "encoding" in declaration:
            match = _ENCODING.search(declaration)
            return match is not None and match.group(1).lower() == "utf-8"
    return True


_BOOLS = {"true": True, "1": True, "false": False, "0": False}
_NIL_TRUE = ("true", "1")


def is_nil(element: Element) -> bool:
    return element.get(XSI_NIL, "").strip().lower() in _NIL_TRUE


def decode_scalar(kind: str, text: str) -> Any:
    text_s = text.strip()
    if kind == "str":
        return text  # keep whitespace: it is the value
    if kind == "int":
        try:
            return int(text_s)
        except ValueError:
            raise DecodeError(f"{text_s!r} is not an integer") from None
    if kind == "float":
        try:
            value = float(text_s)
        except ValueError:
            raise DecodeError(f"{text_s!r} is not a number") from None
        if not isfinite(value):
            raise DecodeError(f"{text_s!r} is not a finite number")
        return value
    if kind == "bool":
        value = _BOOLS.get(text_s)
        if value is None:
            raise DecodeError(f"{text_s!r} is not a boolean")
        return value
    raise AssertionError(kind)


# Field codes of a tag table; scalars first so `code <= _BOOL` means "a value".
_STR, _INT, _FLOAT, _BOOL, _LIST, _RECORD, _SKIP, _UNKNOWN = range(8)
_SCALAR_CODES = {"str": _STR, "int": _INT, "float": _FLOAT, "bool": _BOOL, "skip": _SKIP}
_SCALAR_NAMES = {_FLOAT: "float", _BOOL: "bool"}
# LeadExec answers in this namespace; the bare names cover un-namespaced answers.
_NAMESPACE = "{http://tempuri.org/}"
# Tags of other namespaces are learned as they are met, up to this many per record, so a
# hostile answer full of invented tags cannot grow a table without bound.
_LEARNED_MAX = 256

_Entry = tuple[str, int, "_Table | None"]


class _Table:
    """A Record as a dict from full element tag to (wire name, code, nested table).

    Built once per Record: decoding then costs one dict lookup per element instead of a
    namespace split, a field lookup and isinstance tests.
    """

    __slots__ = ("record", "tag", "by_tag", "by_name", "item_tags", "lists", "required",
                 "learned")

    def __init__(self, record: Record) -> None:
        self.record = record
        self.tag = record.tag
        self.by_tag: dict[Any, _Entry] = {}
        self.by_name: dict[str, _Entry] = {}
        self.item_tags = frozenset((_NAMESPACE + record.tag, record.tag))
        self.lists = tuple(name for name, kind in record.fields.items()
                           if isinstance(kind, ListOf))
        self.required = record.required
        self.learned = 0

    def fill(self) -> None:
        for name, kind in self.record.fields.items():
            entry: _Entry
            if isinstance(kind, ListOf):
                entry = (name, _LIST, _table(kind.item))
            elif isinstance(kind, Record):
                entry = (name, _RECORD, _table(kind))
            else:
                entry = (name, _SCALAR_CODES[kind], None)
            self.by_name[name] = entry
            self.by_tag[_NAMESPACE + name] = entry
            self.by_tag[name] = entry

    def other(self, tag: Any) -> _Entry | None:
        """The entry of a tag outside the table (another namespace, an unknown element);
        None for comments and processing instructions."""
        if not isinstance(tag, str):
            return None
        name = local(tag)
        entry = self.by_name.get(name) or (name, _UNKNOWN, None)
        if self.learned < _LEARNED_MAX:
            self.learned += 1
            self.by_tag[tag] = entry
        return entry


# Keyed by id(): Records hold dicts, so they cannot be hashed. The table keeps its Record
# alive, so an id is never reused while its entry exists.
_TABLES: dict[int, _Table] = {}


def _table(record: Record) -> _Table:
    table = _TABLES.get(id(record))
    if table is None or table.record is not record:
        table = _Table(record)
        _TABLES[id(record)] = table  # before fill(): a Record may (indirectly) hold itself
        table.fill()
    return table


class _Fault(Exception):
    """A decoding error on its way out; the path is assembled only when one happens."""

    def __init__(self, suffix: str, step: str = "") -> None:
        super().__init__(suffix)
        self.suffix = suffix
        self.steps = [step] if step else []  # innermost first

    def message(self, base: str) -> str:
        return base + "".join(reversed(self.steps)) + self.suffix


def _decode_record(element: Element, table: _Table) -> dict[str, Any]:
    # The hot loop of every read: ordered by how often each kind occurs in answers.
    out: dict[str, Any] = {}
    by_tag = table.by_tag
    for child in element:
        try:
            name, code, sub = by_tag[child.tag]
        except KeyError:
            entry = table.other(child.tag)
            if entry is None:
                continue  # comments, processing instructions
            name, code, sub = entry
        nil = child.get(XSI_NIL)
        if nil is not None and nil.strip().lower() in _NIL_TRUE:
            continue
        if code <= _BOOL:
            if len(child):
                raise _Fault(" has child elements where a value was expected", f".{name}")
            if code == _STR:
                out[name] = child.text or ""  # keep whitespace: it is the value
            elif code == _INT:
                # int() and float() ignore the whitespace str.strip() removes; the message
                # shows the stripped text, as it always did.
                try:
                    out[name] = int(child.text)  # type: ignore[arg-type]
                except (TypeError, ValueError):  # TypeError: no text at all
                    text = (child.text or "").strip()
                    raise _Fault(f": {text!r} is not an integer", f".{name}") from None
            else:
                # Booleans and numbers go through the one scalar decoder (and its messages).
                try:
                    out[name] = decode_scalar(_SCALAR_NAMES[code], child.text or "")
                except DecodeError as exc:
                    raise _Fault(f": {exc}", f".{name}") from None
        elif code in (_LIST, _RECORD):
            nested = _decode_items if code == _LIST else _decode_record
            try:
                out[name] = nested(child, sub)  # type: ignore[arg-type]
            except _Fault as fault:
                fault.steps.append(f".{name}")
                raise
        elif code == _UNKNOWN and not len(child):
            out[name] = child.text or ""  # unknown leaf: keep it, LeadExec added a field
    for name in table.lists:
        if name not in out:
            out[name] = []
    for name in table.required:
        if name not in out:
            missing = [name for name in table.required if name not in out]
            raise _Fault(f" lacks required element(s) {', '.join(missing)}")
    return out


def _decode_items(element: Element, table: _Table) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    item_tags = table.item_tags
    for child in element:
        tag = child.tag
        if tag not in item_tags:
            if not isinstance(tag, str):
                continue  # comments, processing instructions
            if local(tag) != table.tag:
                raise _Fault(f" holds <{local(tag)}> where <{table.tag}> was expected")
        try:
            items.append(_decode_record(child, table))
        except _Fault as fault:
            fault.steps.append(f"[{len(items)}]")  # items decoded so far = this one's index
            raise
    return items


def decode_record(element: Element, record: Record, path: str = "") -> dict[str, Any]:
    """One element of type `record` -> dict keyed by wire names; absent elements stay absent.

    List fields absent from the answer decode as [] (XmlSerializer omits null arrays).
    Unknown leaf elements are kept as strings so new LeadExec fields are not lost.
    """
    try:
        return _decode_record(element, _table(record))
    except _Fault as fault:
        raise DecodeError(fault.message(path or record.tag)) from None


def decode_items(element: Element, item: Record, path: str) -> list[dict[str, Any]]:
    try:
        return _decode_items(element, _table(item))
    except _Fault as fault:
        raise DecodeError(fault.message(path)) from None


def expect_root(call: str, root: Element, tag: str) -> None:
    if local(root.tag) != tag:
        raise ApiError(call, f"{call} answered <{local(root.tag)}> where <{tag}> was expected",
                       200)


def decode_array(call: str, root: Element, item: Record) -> list[dict[str, Any]]:
    """An `ArrayOf{Type}` answer -> list of dicts."""
    expect_root(call, root, f"ArrayOf{item.tag}")
    try:
        return decode_items(root, item, f"ArrayOf{item.tag}")
    except DecodeError as exc:
        raise ApiError(call, f"{call} answered XML that does not match the reference: {exc}",
                       200) from None


# --- answers that repeat a subtree -------------------------------------------------------
# GetClientAccounts embeds each account's delivery method whole, so accounts sharing a method
# repeat the same <DeliveryDetails> text byte for byte. decode_array_answer parses and decodes
# each distinct copy once, on text where that provably changes nothing:
# - the plain path gives the text to expat as it is, and it holds no `<!` (DTD, comment, CDATA
#   section) and no processing instruction past the XML declaration: every `<` starts a tag;
# - a copy runs from an exact `<shared>` start tag to the next occurrence of the name, which
#   must be an exact `</shared>` end tag: in a text that parses, a copy is one element;
# - no namespace is declared past the root's start tag outside the copies: every copy reads
#   its prefixes with the root's bindings (the same `xsi:nil`, the same unbound prefixes).
# So, entities being only the predefined ones, equal copies parse to equal subtrees and decode
# to equal dicts or fail alike (a default namespace does not matter: decoding goes by local
# names). In the text given to expat, the first copy of each repeated text is marked by an
# attribute and the other copies are replaced by placeholder elements; after parsing, each
# marked copy is decoded on its own and swapped for a placeholder too, and every placeholder
# decodes, at the key position of the copy it stands for, to its group's dict. Taken only when
# the marked copies and placeholders turn out to be children of the items, where the plain
# path decodes them; any failure leaves the answer to the plain path, which reports it as it
# always did.

_REPEAT = ".repeat"  # `<{shared}.repeat>N</...>`: stands for a repeat of group N
_FIRST = ".first"  # `{shared}.first="N"`: the attribute marking the first copy of group N


def decode_array_answer(call: str, body: str | bytes, item: Record,
                        shared: str) -> list[dict[str, Any]]:
    """`decode_array(call, parse(call, body), item)`, the same result or the same error, with
    each distinct text of the items' `shared` child (a record) parsed and decoded once:
    repeats get the first copy's dict, the same object."""
    items = _decode_sharing(body, item, shared)
    if items is None:
        return decode_array(call, parse(call, body), item)
    return items


def _decode_sharing(body: str | bytes, item: Record, shared: str) -> list[dict[str, Any]] | None:
    """The items, or None: no copy repeats, the answer is unusual, or something failed."""
    kind = item.fields.get(shared)
    if not isinstance(kind, Record):
        return None
    text = _tag_text(body)
    if text is None:
        return None
    root_end = _root_start_end(text)
    if root_end < 0:
        return None
    spans = _copies(text, root_end, shared)
    if spans is None or _declares_namespace(text, root_end, spans):
        return None
    marked = _mark_repeats(text, spans, shared)
    if marked is None:
        return None
    modified, groups, repeats = marked
    try:
        parser = XMLParser()
        parser.feed(modified)  # no DTD: `text` holds no `<!`, the marks add none
        root = parser.close()
        if local(root.tag) != f"ArrayOf{item.tag}":
            return None
        firsts = _take_firsts(root, shared, groups, repeats)
        if firsts is None:
            return None
        values = [_decode_record(first, _table(kind)) for first in firsts]
        items = _decode_items(root, _sharing_table(item, shared))
    except Exception:  # whatever it was, the plain path reports it as it always did
        return None
    for entry in items:
        group = entry.get(shared)
        if type(group) is str:  # a placeholder; a copy decodes to a dict
            entry[shared] = values[int(group)]
    return items


def _tag_text(body: str | bytes) -> str | None:
    """The text, if the plain path gives it to expat as it is and it holds no `<!`."""
    if isinstance(body, bytes):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return None
    else:
        text = body
    # Without `<!` there is no DTD, so this is _plain(text).
    if _holds(text, "<!") or not _reads_as_utf8(text):
        return None
    return text


def _holds(text: str, pair: str, start: int = 0) -> bool:
    """`text.find(pair, start) >= 0` for a pair of characters whose second is rare: scanning
    for that one alone is many times faster, `<` being everywhere."""
    at = text.find(pair[1], start + 1)
    while at >= 0:
        if text[at - 1] == pair[0]:
            return True
        at = text.find(pair[1], at + 1)
    return False


def _root_start_end(text: str) -> int:
    """Where the root's start tag ends at the latest (a `>` in an attribute value only moves
    it earlier); -1 if a processing instruction follows the XML declaration."""
    at = 1 if text.startswith("\ufeff") else 0
    if text.startswith("<?", at):  # the XML declaration
        at = text.find("?>", at) + 2
        if at < 2:
            return -1
    if _holds(text, "<?", at):
        return -1
    return text.find(">", at)


def _copies(text: str, start: int, shared: str) -> list[tuple[int, int]] | None:
    """(start, end) of each `<shared>...</shared>` copy past `start`. None if the name follows
    an exact start tag other than as an exact end tag (another tag of that name: nested, or
    an end tag like `</shared >`), or if the text holds a mark (the name and a dot)."""
    size = len(shared)
    spans: list[tuple[int, int]] = []
    at = text.find(shared, start)
    while at >= 0:
        after = at + size
        if text.startswith(".", after):
            return None
        if text[at - 1] == "<" and text.startswith(">", after):
            close = text.find(shared, after)
            if close < 0 or text[close - 2:close] != "</" \
                    or not text.startswith(">", close + size):
                return None
            after = close + size + 1
            spans.append((at - 1, after))
        at = text.find(shared, after)
    return spans


def _declares_namespace(text: str, start: int, spans: list[tuple[int, int]]) -> bool:
    """Whether `xmlns` occurs past `start` outside the copies (a declaration inside a copy
    binds only within it, the same in every copy)."""
    at = start
    for begin, end in spans:
        if text.find("xmlns", at, begin) >= 0:
            return True
        at = end
    return text.find("xmlns", at) >= 0


def _mark_repeats(text: str, spans: list[tuple[int, int]],
                  shared: str) -> tuple[str, int, int] | None:
    """The text with the first copy of each repeated text marked and the other copies replaced
    by placeholders; with the number of groups and of placeholders. None if none repeats."""
    copies = [text[begin:end] for begin, end in spans]
    counts: dict[str, int] = {}
    for copy in copies:
        counts[copy] = counts.get(copy, 0) + 1
    if len(counts) == len(copies):
        return None
    groups: dict[str, int] = {}
    pieces: list[str] = []
    at = repeats = 0
    for (begin, end), copy in zip(spans, copies, strict=True):
        if counts[copy] == 1:
            continue
        group = groups.get(copy)
        if group is None:
            group = groups[copy] = len(groups)
            pieces += (text[at:begin], f'<{shared} {shared}{_FIRST}="{group}">')
            at = begin + len(shared) + 2  # past `<shared>`
        else:
            pieces += (text[at:begin], f"<{shared}{_REPEAT}>{group}</{shared}{_REPEAT}>")
            at = end
            repeats += 1
    pieces.append(text[at:])
    return "".join(pieces), len(groups), repeats


def _take_firsts(root: Element, shared: str, groups: int, repeats: int) -> list[Element] | None:
    """The first copy of each group, each swapped in the tree for a placeholder. None unless
    every first copy and placeholder is a child of an item, where the plain path decodes it."""
    repeat, first = shared + _REPEAT, shared + _FIRST
    either = (repeat, shared)
    marked: list[tuple[Element, Element] | None] = [None] * groups
    found = 0
    for element in root:
        for child in element:
            tag = child.tag
            if not tag.endswith(either):
                continue
            if tag.endswith(repeat):  # a placeholder: the answer held no `{shared}.`
                found += 1
            elif (group := child.get(first)) is not None:
                marked[int(group)] = (element, child)
    if found != repeats or None in marked:
        return None
    firsts = []
    for group, (element, child) in enumerate(marked):  # type: ignore[misc]
        placeholder = Element(repeat)
        placeholder.text = str(group)
        element[list(element).index(child)] = placeholder
        firsts.append(child)
    return firsts


# Per (item, shared name): the item's table where a placeholder decodes as its group number
# (a string) under the shared name, at the key position of the copy it stands for.
_SHARING: dict[tuple[int, str], _Table] = {}


def _sharing_table(item: Record, shared: str) -> _Table:
    table = _SHARING.get((id(item), shared))
    if table is None or table.record is not item:
        table = _Table(item)
        table.fill()
        repeat = shared + _REPEAT
        entry: _Entry = (shared, _STR, None)
        table.by_name[repeat] = entry  # for any namespace: other() looks local names up here
        table.by_tag[repeat] = entry
        table.by_tag[_NAMESPACE + repeat] = entry
        _SHARING[(id(item), shared)] = table
    return table


def decode_single(call: str, root: Element, record: Record) -> dict[str, Any] | None:
    """A single-object answer; a nil or empty root means "no such object"."""
    expect_root(call, root, record.tag)
    if is_nil(root) or len(root) == 0:
        return None
    try:
        return decode_record(root, record)
    except DecodeError as exc:
        raise ApiError(call, f"{call} answered XML that does not match the reference: {exc}",
                       200) from None


def decode_value(call: str, root: Element, tag: str, kind: str) -> Any:
    """A scalar answer such as <boolean>true</boolean>."""
    expect_root(call, root, tag)
    try:
        return decode_scalar(kind, root.text or "")
    except DecodeError as exc:
        raise ApiError(call, f"{call} answered a bad <{tag}>: {exc}", 200) from None


# --- encoding (SOAP bodies). Building XML text is safe; escaping is what matters. ---

def encode_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not isfinite(value):
            raise ValueError(f"cannot send non-finite number {value!r}")
        return repr(value)  # invariant culture, round-trips exactly
    return str(value)


def ordered(fields: Mapping[str, Any], order: Iterable[str]) -> list[tuple[str, Any]]:
    """Fields in reference order first (XmlSerializer reads sequences in order), then the rest."""
    order = list(order)
    known = [(k, fields[k]) for k in order if k in fields]
    rest = [(k, v) for k, v in fields.items() if k not in order]
    return known + rest


def encode_element(name: str, value: Any, list_items: Mapping[str, str],
                   order: Mapping[str, Iterable[str]] | None = None) -> str:
    """`value` as <name>...</name>: dicts nest, lists wrap items named by `list_items[name]`,
    None is omitted (an absent value is an omitted element)."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        fields = ordered(value, (order or {}).get(name, ()))
        inner = "".join(encode_element(k, v, list_items, order) for k, v in fields)
        return f"<{name}>{inner}</{name}>"
    if isinstance(value, list | tuple):
        item_tag = list_items.get(name)
        if item_tag is None:
            raise ValueError(f"no item element known for list field {name!r}")
        inner = "".join(encode_element(item_tag, v, list_items, order) for v in value)
        return f"<{name}>{inner}</{name}>"
    return f"<{name}>{escape(encode_scalar(value))}</{name}>"

