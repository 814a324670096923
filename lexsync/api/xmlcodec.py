"""XML <-> dict with types. LeadExec answers are untrusted: they are parsed by defusedxml,
which refuses entity declarations (entity expansion, external entities) and never fetches
anything; decoding follows the type tables of `wiretypes`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from math import isfinite
from sys import intern
from typing import Any
from xml.etree.ElementTree import Element, ParseError, TreeBuilder
from xml.sax.saxutils import escape

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from lexsync.api.wiretypes import ListOf, Record
from lexsync.errors import ApiError

# Names as `parse` spells them (expat's `namespace}name`, see there).
XSI_NIL = "http://www.w3.org/2001/XMLSchema-instance}nil"
# The same attribute in a tree ElementTree's own parser built (`{namespace}name`).
_XSI_NIL_TREE = "{" + XSI_NIL


class DecodeError(ValueError):
    """A value or element does not match its type table; carries a readable path."""


def local(tag: str) -> str:
    """Tag without its namespace (`namespace}name` or `{namespace}name`)."""
    return tag.rsplit("}", 1)[-1]


def parse(call: str, text: str | bytes) -> Element:
    """Parse an answer; anything unparsable becomes an ApiError naming the call.

    defusedxml's parser (its refusals untouched) hands each element straight to ElementTree's
    tree builder, in C, so tags and attribute names keep expat's spelling `namespace}name`:
    respelling them `{namespace}name` costs two Python calls per element, most of the time
    a large answer takes to read.
    """
    builder = TreeBuilder()
    parser = DefusedXMLParser(target=builder)
    expat = parser.parser
    expat.ordered_attributes = False  # a dict, as the tree builder takes them
    expat.StartElementHandler = builder.start
    expat.EndElementHandler = builder.end
    try:
        parser.feed(text)
        root: Element = parser.close()
        return root
    # LookupError: a declared encoding Python does not know.
    except (ParseError, DefusedXmlException, ValueError, LookupError) as exc:
        raise ApiError(call, f"{call} answered malformed XML: {exc}", 200) from None


_BOOLS = {"true": True, "1": True, "false": False, "0": False}
_NIL_TRUE = ("true", "1")


def namespace(tag: str) -> str:
    """A tag's namespace ("" for none), whichever way the tag spells it."""
    return tag[:tag.index("}")].removeprefix("{") if "}" in tag else ""


def is_nil(element: Element) -> bool:
    nil = element.get(XSI_NIL)
    if nil is None:
        nil = element.get(_XSI_NIL_TREE, "")
    return nil.strip().lower() in _NIL_TRUE


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
        flag = _BOOLS.get(text_s)
        if flag is None:
            raise DecodeError(f"{text_s!r} is not a boolean")
        return flag
    raise AssertionError(kind)


# Field codes of a tag table; scalars first so `code <= _BOOL` means "a value".
_STR, _INT, _FLOAT, _BOOL, _LIST, _RECORD, _SKIP, _UNKNOWN, _ENUM, _ALIAS_LIST = range(10)
# Obsolete fields are only ever sent back as read: typed when they parse, else their text,
# so a garbled one neither fails the answer nor changes on the way back.
_INT_AS_READ, _BOOL_AS_READ = 10, 11
_SCALAR_CODES = {"str": _STR, "int": _INT, "float": _FLOAT, "bool": _BOOL, "skip": _SKIP,
                 "enum": _ENUM, "int-as-read": _INT_AS_READ, "bool-as-read": _BOOL_AS_READ}
_AS_READ_KINDS = {_INT_AS_READ: "int", _BOOL_AS_READ: "bool"}
_SCALAR_NAMES = {_FLOAT: "float", _BOOL: "bool"}
# LeadExec answers in this namespace (spelled as `parse` spells it; a tree of ElementTree's
# spelling has its tags learned like another namespace's); the bare names cover
# un-namespaced answers.
_NAMESPACE = "http://tempuri.org/}"
# Tags of other namespaces are learned as they are met, up to this many per record, so a
# hostile answer full of invented tags cannot grow a table without bound.
_LEARNED_MAX = 256
# What an answer's root may not be: another protocol's document, not the bare XML asked for.
_FOREIGN_ROOTS = {"Envelope": "a SOAP envelope", "html": "an HTML page", "HTML": "an HTML page"}

_Entry = tuple[str, int, "_Table | None"]


class Notes:
    """What one answer showed beyond the values lexsync reads: the element names it used
    where the seed texts name none (so SOAP writes can use the same names), and the
    elements lexsync does not know (ignored; listed with LEXSYNC_DEBUG and by doctor)."""

    __slots__ = ("root", "namespace", "items", "aliases", "unknown")

    def __init__(self) -> None:
        self.root = ""
        self.namespace = ""
        self.items: dict[str, str] = {}  # Record tag -> item element name the answer used
        self.aliases: dict[str, str] = {}  # field name -> the other name the answer used
        self.unknown: set[tuple[str, str]] = set()  # (element tag, unknown child name)

    def unknown_paths(self) -> list[str]:
        return sorted({f"{local(tag)}/{name}" for tag, name in self.unknown})


class _Table:
    """A Record as a dict from full element tag to (wire name, code, nested table).

    Built once per Record: decoding then costs one dict lookup per element instead of a
    namespace split, a field lookup and isinstance tests. Elements are matched by their
    local name whatever their namespace: the seed texts fix the field names, not the
    namespace.
    """

    __slots__ = ("record", "tag", "by_tag", "by_name", "lists", "required", "learned")

    def __init__(self, record: Record) -> None:
        self.record = record
        self.tag = record.tag
        self.by_tag: dict[Any, _Entry] = {}
        self.by_name: dict[str, _Entry] = {}
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
            self._add(name, entry)
        for alias, name in self.record.aliases.items():
            canonical, code, sub = self.by_name[name]
            assert code == _LIST, "only list fields have aliases"
            self._add(alias, (canonical, _ALIAS_LIST, sub))

    def _add(self, name: str, entry: _Entry) -> None:
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


def decode_enum(text: str) -> int | str:
    """A value the seed texts give as a number in one place and a name in another (a client's
    status): the number when it is one, else the name."""
    stripped = text.strip()
    try:
        return int(stripped)
    except ValueError:
        pass
    if not stripped:
        raise DecodeError(f"{stripped!r} is neither a number nor a name")
    return stripped


def _decode_record(element: Element, table: _Table, notes: Notes | None) -> dict[str, Any]:
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
        if nil is None:
            nil = child.get(_XSI_NIL_TREE)
        if nil is not None and nil.strip().lower() in _NIL_TRUE:
            continue
        if code <= _BOOL:
            if len(child):
                raise _Fault(" has child elements where a value was expected",
                             f"/{local(child.tag)}")
            if code == _STR:
                # Keep whitespace: it is the value. Interned: answers repeat the same texts
                # (names, URLs, values) for thousands of objects, and a plan holds them all.
                out[name] = intern(child.text) if child.text else ""
            elif code == _INT:
                # int() and float() ignore the whitespace str.strip() removes; the message
                # shows the stripped text, as it always did.
                try:
                    out[name] = int(child.text)  # type: ignore[arg-type]
                except (TypeError, ValueError):  # TypeError: no text at all
                    text = (child.text or "").strip()
                    raise _Fault(f": {text!r} is not an integer", f"/{local(child.tag)}") from None
            else:
                # Booleans and numbers go through the one scalar decoder (and its messages).
                try:
                    out[name] = decode_scalar(_SCALAR_NAMES[code], child.text or "")
                except DecodeError as exc:
                    raise _Fault(f": {exc}", f"/{local(child.tag)}") from None
        elif code in (_LIST, _RECORD, _ALIAS_LIST):
            nested = _decode_record if code == _RECORD else _decode_items
            if code == _ALIAS_LIST and notes is not None:
                notes.aliases[name] = local(child.tag)
            try:
                out[name] = nested(child, sub, notes)  # type: ignore[arg-type]
            except _Fault as fault:
                fault.steps.append(f"/{local(child.tag)}")
                raise
        elif code == _ENUM:
            if len(child):
                raise _Fault(" has child elements where a value was expected",
                             f"/{local(child.tag)}")
            try:
                out[name] = decode_enum(child.text or "")
            except DecodeError as exc:
                raise _Fault(f": {exc}", f"/{local(child.tag)}") from None
        elif code in _AS_READ_KINDS:
            text = child.text or ""
            try:
                out[name] = decode_scalar(_AS_READ_KINDS[code], text)
            except DecodeError:
                out[name] = text
        elif code == _UNKNOWN and notes is not None:
            notes.unknown.add((element.tag, name))  # ignored: listed with LEXSYNC_DEBUG
    for name in table.lists:
        if name not in out:
            out[name] = []
    for name in table.required:
        if name not in out:
            missing = [name for name in table.required if name not in out]
            raise _Fault(f" lacks required element(s) {', '.join(missing)}")
    return out


def _decode_items(element: Element, table: _Table, notes: Notes | None) -> list[dict[str, Any]]:
    """Every element child is an item, whatever its name: the seed texts name no array item
    elements. The name an answer uses is noted (for the SOAP writes of the same type)."""
    items: list[dict[str, Any]] = []
    for child in element:
        if not isinstance(child.tag, str):
            continue  # comments, processing instructions
        if notes is not None and not items and table.tag not in notes.items:
            notes.items[table.tag] = local(child.tag)
        try:
            items.append(_decode_record(child, table, notes))
        except _Fault as fault:
            # Items decoded so far = this one's index; XPath counts from 1.
            fault.steps.append(f"/{local(child.tag)}[{len(items) + 1}]")
            raise
    return items


def decode_record(element: Element, record: Record, path: str = "",
                  notes: Notes | None = None) -> dict[str, Any]:
    """One element of type `record` -> dict keyed by wire names; absent elements stay absent.

    List fields absent from the answer decode as [] (XmlSerializer omits null arrays).
    Unknown elements are ignored (noted in `notes`).
    """
    try:
        return _decode_record(element, _table(record), notes)
    except _Fault as fault:
        raise DecodeError(fault.message(path or f"/{local(element.tag)}")) from None


def decode_items(element: Element, item: Record, path: str = "",
                 notes: Notes | None = None) -> list[dict[str, Any]]:
    try:
        return _decode_items(element, _table(item), notes)
    except _Fault as fault:
        raise DecodeError(fault.message(path or f"/{local(element.tag)}")) from None


def _note_root(root: Element, notes: Notes | None) -> None:
    if notes is not None:
        notes.root = local(root.tag)
        notes.namespace = namespace(root.tag)


def check_root(call: str, root: Element) -> None:
    """Any root name is accepted (the seed texts name none); another protocol's document is not."""
    foreign = _FOREIGN_ROOTS.get(local(root.tag))
    if foreign is not None:
        raise ApiError(call, f"{call} answered {foreign} where bare XML was expected", 200)


def _unusable(call: str, exc: DecodeError) -> ApiError:
    return ApiError(call, f"{call} answered XML that does not match the reference: {exc}", 200)


def decode_array(call: str, root: Element, item: Record,
                 notes: Notes | None = None) -> list[dict[str, Any]]:
    """An array answer (`ArrayOf{Type}` in lexsync's sandbox, any name elsewhere) -> dicts."""
    check_root(call, root)
    _note_root(root, notes)
    try:
        rows = decode_items(root, item, notes=notes)
    except DecodeError as exc:
        raise _unusable(call, exc) from None
    if notes is not None and item.tag not in notes.items and notes.root.startswith("ArrayOf"):
        # No item to see, but XmlSerializer names an array of T `ArrayOfT`.
        notes.items[item.tag] = notes.root.removeprefix("ArrayOf")
    return rows


def decode_single(call: str, root: Element, record: Record,
                  notes: Notes | None = None) -> dict[str, Any] | None:
    """A single-object answer; a nil or empty root means "no such object"."""
    check_root(call, root)
    _note_root(root, notes)
    if is_nil(root) or len(root) == 0:
        return None
    try:
        return decode_record(root, record, notes=notes)
    except DecodeError as exc:
        raise _unusable(call, exc) from None


def decode_value(call: str, root: Element, kind: str, notes: Notes | None = None) -> Any:
    """A scalar answer such as <boolean>true</boolean>, whatever the root's name."""
    check_root(call, root)
    _note_root(root, notes)
    try:
        return decode_scalar(kind, root.text or "")
    except DecodeError as exc:
        raise ApiError(call, f"{call} answered a bad <{local(root.tag)}>: {exc}", 200) from None


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


def attribute_text(value: str) -> str:
    """`value` escaped for an XML attribute between double quotes."""
    return escape(value, {'"': "&quot;"})

