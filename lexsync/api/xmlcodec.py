"""XML <-> dict with types. LeadExec answers are untrusted: they are parsed by defusedxml,
which refuses entity declarations (entity expansion, external entities) and never fetches
anything; decoding follows the type tables of `wiretypes`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from math import isfinite
from typing import Any
from xml.etree.ElementTree import Element, ParseError
from xml.sax.saxutils import escape

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring

from lexsync.api.wiretypes import ListOf, Record
from lexsync.errors import ApiError

XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"


class DecodeError(ValueError):
    """A value or element does not match its type table; carries a readable path."""


def local(tag: str) -> str:
    """Tag without its {namespace}."""
    return tag.rsplit("}", 1)[-1]


def parse(call: str, text: str | bytes) -> Element:
    """Parse an answer; anything unparsable becomes an ApiError naming the call."""
    try:
        return defused_fromstring(text)
    # LookupError: a declared encoding Python does not know.
    except (ParseError, DefusedXmlException, ValueError, LookupError) as exc:
        raise ApiError(call, f"{call} answered malformed XML: {exc}", 200) from None


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

