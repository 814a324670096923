"""Answers written as text are byte for byte what ElementTree writes for the same values,
with and without a Shape; accounts sharing a method each carry it."""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

import defusedxml.ElementTree as ET
from hypothesis import given
from hypothesis import strategies as st

from lexsync.sandbox import xmlio

from .support import NS, Sandbox

Q = f"{{{NS}}}"
_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'


def _fill(parent: Element, obj: dict[str, Any]) -> None:
    """The reference: an element tree of `obj`, as the sandbox once built it."""
    for key, value in obj.items():
        if value is None:
            continue
        child = SubElement(parent, key)
        if isinstance(value, dict):
            _fill(child, value)
        elif isinstance(value, list):
            for item in value:
                _fill(SubElement(child, xmlio.LIST_ITEM_TAGS[key]), item)
        else:
            child.text = xmlio.scalar_text(value)


def _root(tag: str) -> Element:
    return Element(tag, {"xmlns:xsi": xmlio.XSI, "xmlns:xsd": xmlio.XSD, "xmlns": NS})


def _tree(root: Element) -> bytes:
    return (_DECLARATION + tostring(root, encoding="unicode")).encode("utf-8")


def _pick(obj: dict[str, Any], shape: xmlio.Shape) -> dict[str, Any]:
    """What a Shape keeps of `obj`, as a plain dict in the shape's order."""
    picked: dict[str, Any] = {}
    for key in shape.fields:
        value = obj.get(key)
        sub = shape.nested.get(key)
        if sub is not None and isinstance(value, dict):
            value = _pick(value, sub)
        elif sub is not None and isinstance(value, list):
            value = [_pick(item, sub) for item in value]
        picked[key] = value
    return picked


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(alphabet="ab &<>\"'é\n", max_size=6),
)
_NAMES = st.sampled_from(["A", "B", "C", "Price", "Name"])
_LISTS = st.sampled_from(sorted(xmlio.LIST_ITEM_TAGS))
_OBJECTS = st.recursive(
    st.dictionaries(_NAMES, _SCALARS, max_size=4),
    lambda inner: st.dictionaries(
        st.one_of(_NAMES, _LISTS, st.just("D")), st.one_of(_SCALARS, inner), max_size=4
    ).flatmap(
        lambda base: st.dictionaries(_LISTS, st.lists(inner, max_size=3), max_size=2).map(
            lambda lists: {**base, **lists}
        )
    ),
    max_leaves=12,
)


@st.composite
def _shaped(draw: st.DrawFn) -> tuple[dict[str, Any], xmlio.Shape]:
    obj = draw(_OBJECTS)

    def shape_of(value: dict[str, Any], depth: int) -> xmlio.Shape:
        keys = draw(st.permutations([*value, "Missing"]))
        fields = tuple(keys[: draw(st.integers(0, len(keys)))])
        nested = {}
        for key in fields:
            item = value.get(key)
            if isinstance(item, list) and item and depth < 3:
                nested[key] = shape_of(item[0], depth + 1)
            elif isinstance(item, dict) and depth < 3:
                nested[key] = shape_of(item, depth + 1)
        return xmlio.Shape(fields, nested)

    return obj, shape_of(obj, 0)


@given(st.lists(_OBJECTS, max_size=3))
def test_unshaped_documents_match_element_tree(items: list[dict[str, Any]]) -> None:
    root = _root("ArrayOfThing")
    for item in items:
        _fill(SubElement(root, "Thing"), item)
    assert xmlio.array_document("Thing", items, NS) == _tree(root)
    for item in items:
        single = _root("Thing")
        _fill(single, item)
        assert xmlio.object_document("Thing", item, NS) == _tree(single)


@given(_shaped())
def test_shaped_documents_write_what_the_shape_picks(case: tuple[dict[str, Any], xmlio.Shape]) -> None:
    obj, shape = case
    picked = _pick(obj, shape)
    assert xmlio.object_document("Thing", obj, NS, shape) == xmlio.object_document(
        "Thing", picked, NS
    )
    # The same object twice in a document (a shared method) is written the same both times.
    doubled = [{"Inner": obj}, {"Inner": obj}]
    outer = xmlio.Shape(("Inner",), {"Inner": shape})
    expected = xmlio.array_document("Thing", [{"Inner": picked}] * 2, NS)
    assert xmlio.array_document("Thing", doubled, NS, outer) == expected


def test_null_object_document() -> None:
    root = _root("Thing")
    root.set("xsi:nil", "true")
    assert xmlio.object_document("Thing", None, NS) == _tree(root)


def test_accounts_sharing_a_method_each_carry_it(sb: Sandbox) -> None:
    cid = sb.new_client()
    first, second = sb.new_method(cid, Name="first"), sb.new_method(cid, Name="second")
    accounts = [sb.new_account(cid, m, Description=f"a{i}") for i, m in
                enumerate([first, second, first])]  # fmt: skip
    gone = sb.new_account(cid, second, Description="gone")
    mutate = {"table": "accounts", "id": gone, "set": {"DeliveryUID": 999}}
    sb.http.post("/_sandbox/mutate", json=mutate).raise_for_status()
    root = ET.fromstring(sb.asmx("GetClientAccounts", ClientUID=cid).text)
    seen = {
        acc.findtext(Q + "ClientAccountUID"): acc.findtext(f"{Q}DeliveryDetails/{Q}Name")
        for acc in root.iterfind(Q + "ClientAccountType")
    }
    assert seen == {
        str(accounts[0]): "first", str(accounts[1]): "second", str(accounts[2]): "first",
        str(gone): None,
    }  # fmt: skip
