"""XML in and out: reading with defusedxml, writing answers as text.

Writing follows what ASMX's XmlSerializer emits: double-quoted declaration, default
namespace on the root, invariant-culture numbers, `true`/`false`, omitted absent values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

import defusedxml.ElementTree as SafeET

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSD = "http://www.w3.org/2001/XMLSchema"
_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'

# Element name of one item inside each array-valued field (the `lexsync` names; a profile's
# own come in as `Naming`).
LIST_ITEM_TAGS = {
    "FieldSettings": "DeliverySettingType",
    "FieldMappings": "DeliveryMappingType",
    "DeliveryDays": "DeliveryDayType",
    "Criteria": "ClientCriteriaType",
}


@dataclass(frozen=True)
class Naming:
    """How stored keys become elements: each list field's item element name, and keys
    written under another name (a setting's value mappings as `Mappings`)."""

    items: dict[str, str]
    renames: dict[str, str] = field(default_factory=dict)


DEFAULT_NAMING = Naming(LIST_ITEM_TAGS)


class XmlSyntaxError(Exception):
    pass


def parse(body: bytes) -> Element:
    """Parse untrusted XML safely (no entities, no DTDs)."""
    try:
        return SafeET.fromstring(body)
    except SafeET.ParseError as exc:
        raise XmlSyntaxError(str(exc)) from exc
    except Exception as exc:  # defusedxml's DTD/entity refusals
        raise XmlSyntaxError(f"{type(exc).__name__}: {exc}") from exc


def scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _escape(text: str) -> str:
    # What ElementTree escapes in element text.
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


@dataclass(frozen=True)
class Shape:
    """The elements of one XML type in order, for writing a stored row as it is: keys
    outside `fields` are left out; `nested` gives the Shape of an object-valued field or of
    the items of a list-valued one."""

    fields: tuple[str, ...]
    nested: dict[str, Shape] = field(default_factory=dict)


_Memo = dict[tuple[int, int], str]


def _write(out: list[str], obj: dict[str, Any], shape: Shape | None, memo: _Memo,
           naming: Naming = DEFAULT_NAMING) -> None:
    """`obj`'s elements as XmlSerializer writes them (what ElementTree's `tostring` gives),
    straight to text: a tree cost ~12 ms per account list. Without a shape, every key in
    its order. `memo` holds the text of objects written so far in this document (all
    alive until it is done, so an `id` stays theirs): a method shared by several accounts
    is written once."""
    renames = naming.renames
    for field_key in obj if shape is None else shape.fields:
        value = obj.get(field_key)
        if value is None:
            continue  # absent → omitted element
        key = renames.get(field_key, field_key) if renames else field_key
        kind = type(value)
        if kind is str:
            out.append(f"<{key}>{_escape(value)}</{key}>" if value else f"<{key} />")
        elif kind is int:
            out.append(f"<{key}>{value}</{key}>")
        elif isinstance(value, dict):
            sub = shape.nested.get(field_key) if shape else None
            done = (id(value), id(sub))
            if done not in memo:
                memo[done] = _text(value, sub, memo, naming)
            inner = memo[done]
            out.append(f"<{key}>{inner}</{key}>" if inner else f"<{key} />")
        elif isinstance(value, list):
            if not value:
                out.append(f"<{key} />")
                continue
            item_tag = naming.items[field_key]
            sub = shape.nested.get(field_key) if shape else None
            out.append(f"<{key}>")
            for item in value:
                inner = _text(item, sub, memo, naming)
                out.append(f"<{item_tag}>{inner}</{item_tag}>" if inner else f"<{item_tag} />")
            out.append(f"</{key}>")
        else:
            text = scalar_text(value)
            out.append(f"<{key}>{_escape(text)}</{key}>" if text else f"<{key} />")


def _text(obj: dict[str, Any], shape: Shape | None, memo: _Memo,
          naming: Naming = DEFAULT_NAMING) -> str:
    out: list[str] = []
    _write(out, obj, shape, memo, naming)
    return "".join(out)


def _root(tag: str, namespace: str) -> Element:
    attrs = {"xmlns:xsi": XSI, "xmlns:xsd": XSD}
    if namespace:  # "" answers without a namespace
        attrs["xmlns"] = namespace
    return Element(tag, attrs)


def _serialize(root: Element) -> bytes:
    return (_DECLARATION + tostring(root, encoding="unicode")).encode("utf-8")


def _document(root: Element, inner: list[str]) -> bytes:
    if not inner:
        return _serialize(root)
    head = tostring(root, encoding="unicode").removesuffix(" />")
    return "".join([_DECLARATION, head, ">", *inner, f"</{root.tag}>"]).encode("utf-8")


def array_document(
    type_name: str, items: list[dict[str, Any]], namespace: str, shape: Shape | None = None,
    naming: Naming = DEFAULT_NAMING,
) -> bytes:
    memo: _Memo = {}
    inner = []
    for item in items:
        text = _text(item, shape, memo, naming)
        inner.append(f"<{type_name}>{text}</{type_name}>" if text else f"<{type_name} />")
    return _document(_root(f"ArrayOf{type_name}", namespace), inner)


def object_document(
    type_name: str, obj: dict[str, Any] | None, namespace: str, shape: Shape | None = None,
    naming: Naming = DEFAULT_NAMING,
) -> bytes:
    root = _root(type_name, namespace)
    if obj is None:
        root.set("xsi:nil", "true")  # what XmlSerializer writes for a null return value
        return _serialize(root)
    text = _text(obj, shape, {}, naming)
    return _document(root, [text] if text else [])


def scalar_document(type_name: str, value: Any, namespace: str) -> bytes:
    root = Element(type_name, {"xmlns": namespace} if namespace else {})
    root.text = scalar_text(value)
    return _serialize(root)


def _envelope() -> tuple[Element, Element]:
    env = Element("soap:Envelope", {"xmlns:soap": SOAP_ENV, "xmlns:xsi": XSI, "xmlns:xsd": XSD})
    return env, SubElement(env, "soap:Body")


def soap_response(method: str, result: Any, namespace: str) -> bytes:
    """`<{method}Response><{method}Result>`; no Result for `result` None (a void method:
    "No return properties available")."""
    env, body = _envelope()
    response = SubElement(body, f"{method}Response", {"xmlns": namespace})
    if result is not None:
        SubElement(response, f"{method}Result").text = scalar_text(result)
    return _serialize(env)


def soap_fault(code: str, message: str) -> bytes:
    env, body = _envelope()
    fault = SubElement(body, "soap:Fault")
    SubElement(fault, "faultcode").text = code
    SubElement(fault, "faultstring").text = message
    SubElement(fault, "detail")
    return _serialize(env)
