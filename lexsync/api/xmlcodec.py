"""XML <-> dict with types. Parsing only through defusedxml (LeadExec answers are untrusted)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any
from xml.etree.ElementTree import Element, ParseError
from xml.sax.saxutils import escape

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from lexsync.api.wiretypes import FieldType, ListOf, Record
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
        return fromstring(text)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise ApiError(call, f"{call} answered malformed XML: {exc}", 200) from None


def is_nil(element: Element) -> bool:
    return element.get(XSI_NIL, "").strip().lower() in ("true", "1")


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
        if not math.isfinite(value):
            raise DecodeError(f"{text_s!r} is not a finite number")
        return value
    if kind == "bool":
        if text_s in ("true", "1"):
            return True
        if text_s in ("false", "0"):
            return False
        raise DecodeError(f"{text_s!r} is not a boolean")
    raise AssertionError(kind)


def decode_record(element: Element, record: Record, path: str = "") -> dict[str, Any]:
    """One element of type `record` -> dict keyed by wire names; absent elements stay absent.

    List fields absent from the answer decode as [] (XmlSerializer omits null arrays).
    Unknown leaf elements are kept as strings so new LeadExec fields are not lost.
    """
    where = path or record.tag
    out: dict[str, Any] = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue  # comments, processing instructions
        name = local(child.tag)
        kind: FieldType | None = record.fields.get(name)
        if kind == "skip" or is_nil(child):
            continue
        child_path = f"{where}.{name}"
        if kind is None:
            if len(child) == 0:
                out[name] = child.text or ""
            continue
        if isinstance(kind, ListOf):
            out[name] = decode_items(child, kind.item, child_path)
        elif isinstance(kind, Record):
            out[name] = decode_record(child, kind, child_path)
        else:
            if len(child) != 0:
                raise DecodeError(f"{child_path} has child elements where a value was expected")
            try:
                out[name] = decode_scalar(kind, child.text or "")
            except DecodeError as exc:
                raise DecodeError(f"{child_path}: {exc}") from None
    for name, kind in record.fields.items():
        if isinstance(kind, ListOf) and name not in out:
            out[name] = []
    missing = [name for name in record.required if name not in out]
    if missing:
        raise DecodeError(f"{where} lacks required element(s) {', '.join(missing)}")
    return out


def decode_items(element: Element, item: Record, path: str) -> list[dict[str, Any]]:
    items = []
    for index, child in enumerate(c for c in element if isinstance(c.tag, str)):
        if local(child.tag) != item.tag:
            raise DecodeError(f"{path} holds <{local(child.tag)}> where <{item.tag}> was expected")
        items.append(decode_record(child, item, f"{path}[{index}]"))
    return items


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
        if not math.isfinite(value):
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

