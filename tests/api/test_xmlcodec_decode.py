"""The XML codec's table-driven decoder against a reference copy of a straightforward one.

`ref_parse` / `ref_decode_*` below are the plain implementation (defusedxml, one generic
loop per element). The codec must give the same dicts (same key order, same types) and the
same error messages for any answer, hostile or not.
"""

from __future__ import annotations

import math
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import pytest
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lexsync.api import wiretypes, xmlcodec
from lexsync.api.wiretypes import CLIENT_ACCOUNT, FieldType, ListOf, Record
from lexsync.errors import ApiError
from lexsync.sandbox.xmlio import array_document

NS = "http://tempuri.org/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSI_NIL = f"{{{XSI}}}nil"

# --- the reference: the decoder as it was before the per-record tables -------------------


def ref_local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def ref_parse(call: str, text: str | bytes) -> Element:
    try:
        return defused_fromstring(text)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise ApiError(call, f"{call} answered malformed XML: {exc}", 200) from None


def ref_is_nil(element: Element) -> bool:
    return element.get(XSI_NIL, "").strip().lower() in ("true", "1")


REF_AS_READ = {"int-as-read": "int", "bool-as-read": "bool"}


def ref_decode_scalar(kind: str, text: str) -> Any:
    text_s = text.strip()
    if kind == "str":
        return text
    if kind == "int":
        try:
            return int(text_s)
        except ValueError:
            raise xmlcodec.DecodeError(f"{text_s!r} is not an integer") from None
    if kind == "float":
        try:
            value = float(text_s)
        except ValueError:
            raise xmlcodec.DecodeError(f"{text_s!r} is not a number") from None
        if not math.isfinite(value):
            raise xmlcodec.DecodeError(f"{text_s!r} is not a finite number")
        return value
    if kind == "bool":
        if text_s in ("true", "1"):
            return True
        if text_s in ("false", "0"):
            return False
        raise xmlcodec.DecodeError(f"{text_s!r} is not a boolean")
    raise AssertionError(kind)


def ref_decode_enum(text: str) -> int | str:
    stripped = text.strip()
    try:
        return int(stripped)
    except ValueError:
        if not stripped:
            raise xmlcodec.DecodeError(f"{stripped!r} is neither a number nor a name") from None
        return stripped


def ref_decode_record(element: Element, record: Record, path: str = "") -> dict[str, Any]:
    where = path or f"/{ref_local(element.tag)}"
    out: dict[str, Any] = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = ref_local(child.tag)
        name = record.aliases.get(name, name)
        kind: FieldType | None = record.fields.get(name)
        if kind is None or kind == "skip" or ref_is_nil(child):
            continue  # unknown elements are ignored
        child_path = f"{where}/{ref_local(child.tag)}"
        if isinstance(kind, ListOf):
            out[name] = ref_decode_items(child, kind.item, child_path)
        elif isinstance(kind, Record):
            out[name] = ref_decode_record(child, kind, child_path)
        elif kind in REF_AS_READ:
            # Sent back as read: typed when its text parses, else that text.
            try:
                out[name] = ref_decode_scalar(REF_AS_READ[kind], child.text or "")
            except xmlcodec.DecodeError:
                out[name] = child.text or ""
        else:
            if len(child) != 0:
                raise xmlcodec.DecodeError(
                    f"{child_path} has child elements where a value was expected")
            try:
                out[name] = ref_decode_enum(child.text or "") if kind == "enum" \
                    else ref_decode_scalar(kind, child.text or "")
            except xmlcodec.DecodeError as exc:
                raise xmlcodec.DecodeError(f"{child_path}: {exc}") from None
    for name, kind in record.fields.items():
        if isinstance(kind, ListOf) and name not in out:
            out[name] = []
    missing = [name for name in record.required if name not in out]
    if missing:
        raise xmlcodec.DecodeError(f"{where} lacks required element(s) {', '.join(missing)}")
    return out


def ref_decode_items(element: Element, item: Record, path: str) -> list[dict[str, Any]]:
    # Any item element name: the seed texts name none.
    path = path or f"/{ref_local(element.tag)}"
    return [ref_decode_record(child, item, f"{path}/{ref_local(child.tag)}[{index + 1}]")
            for index, child in enumerate(c for c in element if isinstance(c.tag, str))]


def ref_decode_array(call: str, root: Element, item: Record) -> list[dict[str, Any]]:
    try:
        return ref_decode_items(root, item, f"/{ref_local(root.tag)}")
    except xmlcodec.DecodeError as exc:
        raise ApiError(call, f"{call} answered XML that does not match the reference: {exc}",
                       200) from None


# --- comparing outcomes ------------------------------------------------------------------

def outcome(fn: Any, *args: Any) -> tuple[str, str]:
    """What a call gave, as text that tells 1 from True from 1.0 and keeps key order."""
    try:
        return "ok", repr(fn(*args))
    except (ApiError, xmlcodec.DecodeError) as exc:
        return type(exc).__name__, str(exc)


RECORDS = sorted((value for value in vars(wiretypes).values() if isinstance(value, Record)),
                 key=lambda record: record.tag)

# --- answers like a GetClientAccounts of the benchmark ----------------------------------


def account(n: int) -> dict[str, Any]:
    delivery = 3000 + n
    return {
        "ClientAccountUID": 8000 + n, "ClientUID": 1500, "DeliveryUID": delivery,
        "Price": 20.5 + n, "HourMax": 10, "DayMax": 100, "MonthMax": 1500, "useOrder": False,
        "Status": 12, "DeliveryDelay": 0, "Description": f"  account {n} ",
        "RedirectURL": "", "AutomationEnabled": True, "AccountType": 0, "AgentName": "",
        "AgentPhone": "",
        "Criteria": [{"ClientCriteriaUID": 16000 + 10 * n + i, "LeadFieldUID": 107 + i,
                      "Type": "FieldValue", "Expression": "", "Operator": "In",
                      "Value": "36,44"} for i in range(4)],
        "DeliveryDetails": {
            "ClientDeliveryUID": delivery, "ClientUID": 1500, "Type": 0, "Name": f"m{n}",
            "Status": True, "DateAdded": "2024-01-01T00:00:00", "inTesting": False,
            "LeadTypeUID": 1, "XML": "<lead>&amp;</lead>", "useRegEx": False,
            "ResponseSearch": "OK", "DeliveryAddress": "https://crm.example/leads",
            "SMTPAuth": False, "EmailNotify": False, "LeadCatUID": 0,
            "FieldSettings": [
                {"DeliverySettingUID": 70000 + 100 * n + i, "DeliveryUID": delivery,
                 "Delete": False, "Format": "", "FieldType": 1, "FieldName": f"f{i}",
                 "Value": "", "LeadFieldUID": 100 + i, "Expr": "", "hasMap": i % 3 == 0,
                 "FieldMappings": [{"DeliveryMappingUID": 9000 + i, "Delete": False,
                                    "DeliverySettingUID": 70000 + 100 * n + i,
                                    "DeliveryValue": "CA", "FieldValue": "5"}]
                 if i % 3 == 0 else []}
                for i in range(12)],
            "DeliveryDays": [{"DeliveryDayUID": 600 + 10 * n + d, "DeliveryUID": delivery,
                              "WeekDay": d, "StaticDate": "1900-01-01T00:00:00",
                              "StartTime": "08:00", "EndTime": "18:00", "Allow": True}
                             for d in range(1, 6)],
        },
        "Unknown": "kept",
    }


ACCOUNTS = array_document("ClientAccountType", [account(n) for n in range(5)], NS)


def test_accounts_answer_decodes_as_the_reference_did() -> None:
    root = xmlcodec.parse("GetClientAccounts", ACCOUNTS)
    decoded = xmlcodec.decode_array("GetClientAccounts", root, CLIENT_ACCOUNT)
    reference = ref_decode_array("GetClientAccounts",
                                 ref_parse("GetClientAccounts", ACCOUNTS), CLIENT_ACCOUNT)
    assert repr(decoded) == repr(reference)
    first = decoded[0]
    assert first["Price"] == 20.5 and type(first["Price"]) is float
    assert first["useOrder"] is False and first["Description"] == "  account 0 "
    assert "Unknown" not in first and first["RedirectURL"] == ""
    assert len(first["DeliveryDetails"]["FieldSettings"]) == 12
    assert first["DeliveryDetails"]["FieldSettings"][1]["FieldMappings"] == []
    assert first["DeliveryDetails"]["XML"] == "<lead>&amp;</lead>"


# --- generated records: values, whitespace, nil, unknown elements, bad scalars ----------

XML_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from(
    " \t\n\r"), max_size=12)
BAD = st.sampled_from(["", " ", "abc", "1.5", "1e309", "NaN", "inf", "-0", "1_000", "+7",
                       "\u0663", " 12\n", "\u00a012", "True", "yes", " true ", "0x1F",
                       "9" * 5000, "-9223372036854775809", "\u2003 12\u3000", "\u008512"])
VALUE = {
    "int": st.integers(-2**63, 2**63).map(str) | BAD,
    "float": st.floats(allow_nan=False).map(repr) | st.integers(-10**6, 10**6).map(str) | BAD,
    "bool": st.sampled_from(["true", "false", "1", "0"]) | BAD,
    "str": XML_TEXT | BAD,
    "skip": XML_TEXT,
    "enum": st.integers(-2**63, 2**63).map(str) | st.sampled_from(["Active", " Closed "]) | BAD,
}


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace(
        "\r", "&#13;")


@st.composite
def tag_for(draw: st.DrawFn, name: str) -> tuple[str, str]:
    """(opening, closing) tag for `name` in the answer's default namespace or another one."""
    style = draw(st.sampled_from(["default"] * 8 + ["other", "empty"]))
    if style == "other":
        return f'<o:{name} xmlns:o="urn:other">', f"</o:{name}>"
    if style == "empty":
        return f'<{name} xmlns="">', f"</{name}>"
    return f"<{name}>", f"</{name}>"


@st.composite
def field_xml(draw: st.DrawFn, name: str, kind: FieldType, depth: int) -> str:
    opening, closing = draw(tag_for(name))
    form = draw(st.sampled_from(["value"] * 12 + ["nil", "nil_value", "attr", "empty",
                                                  "child", "comment"]))
    if form == "nil":
        nil = draw(st.sampled_from(["true", " True ", "1", "false", "0", ""]))
        return opening[:-1] + f' xsi:nil="{nil}" />'
    if form == "attr":
        opening = opening[:-1] + ' other="x">'
    if form == "empty":
        return opening[:-1] + " />"
    if form == "child":
        return f"{opening}<Extra>1</Extra>{closing}"
    if isinstance(kind, ListOf):
        items = draw(st.lists(record_xml(kind.item, depth + 1), max_size=2 if depth < 3 else 0))
        if draw(st.integers(0, 15)) == 0:
            items.append("<Stray>1</Stray>")
        return opening + "".join(items) + closing
    if isinstance(kind, Record):
        return opening + draw(record_body(kind, depth + 1)) + closing
    raw = draw(VALUE.get(kind, XML_TEXT))
    text = escape(raw)
    if form == "comment" and len(raw) > 1:
        text = escape(raw[:1]) + "<!-- c --><?pi x?>" + escape(raw[1:])
    if form == "nil_value":
        opening = opening[:-1] + ' xsi:nil="false">'
    return opening + text + closing


@st.composite
def record_body(draw: st.DrawFn, record: Record, depth: int) -> str:
    # A few fields per record keeps examples small; required ones are usually there.
    chosen = draw(st.lists(st.sampled_from(list(record.fields)), max_size=6, unique=True))
    if draw(st.integers(0, 5)):
        chosen = [name for name in record.required if name not in chosen] + chosen
    aliases = {field: alias for alias, field in record.aliases.items()}
    parts = [draw(field_xml(aliases[name] if name in aliases and draw(st.booleans()) else name,
                            record.fields[name], depth)) for name in chosen]
    for _ in range(draw(st.integers(0, 2))):
        unknown = draw(st.sampled_from(["NewField", "Other", "Name", "Image"]))
        at = draw(st.integers(0, len(parts)))
        body = draw(st.sampled_from(["v", " spaced ", "", "<Inner>1</Inner>"]))
        parts.insert(at, f"<{unknown}>{body}</{unknown}>")
    if parts and draw(st.integers(0, 5)) == 0:
        parts.append(parts[draw(st.integers(0, len(parts) - 1))])  # duplicated element
    if draw(st.integers(0, 5)) == 0:
        parts.insert(0, "<!-- comment -->")
    separator = draw(st.sampled_from(["", "\n  "]))
    return separator.join(parts)


@st.composite
def record_xml(draw: st.DrawFn, record: Record, depth: int = 0) -> str:
    # Item element names vary: the seed texts name none, so any is read.
    tag = draw(st.sampled_from([record.tag] * 3 + [record.tag.removesuffix("Type"), "Item"]))
    opening, closing = draw(tag_for(tag))
    return opening + draw(record_body(record, depth)) + closing


@st.composite
def array_answer(draw: st.DrawFn) -> tuple[Record, bytes]:
    record = draw(st.sampled_from(RECORDS))
    items = draw(st.lists(record_xml(record), max_size=3))
    namespace = draw(st.sampled_from([f' xmlns="{NS}"', "", ' xmlns="urn:x"']))
    root = draw(st.sampled_from([f"ArrayOf{record.tag}", "ArrayOfThing", "Result"]))
    body = (f'<?xml version="1.0" encoding="utf-8"?>\n<{root} '
            f'xmlns:xsi="{XSI}"{namespace}>' + "".join(items) + f"</{root}>")
    return record, body.encode()


CASES = settings(max_examples=200, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@CASES
@given(array_answer())
def test_generated_answers_decode_as_the_reference_did(answer: tuple[Record, bytes]) -> None:
    record, body = answer
    reference = outcome(lambda: ref_decode_array("GetX", ref_parse("GetX", body), record))
    assert outcome(lambda: xmlcodec.decode_array("GetX", xmlcodec.parse("GetX", body),
                                                 record)) == reference


@CASES
@given(st.sampled_from(RECORDS).flatmap(
    lambda record: st.tuples(st.just(record), record_xml(record), st.sampled_from(["", "p"]))))
def test_generated_records_decode_as_the_reference_did(
        case: tuple[Record, str, str]) -> None:
    record, text, path = case
    element = ref_parse("GetX", f'<w xmlns:xsi="{XSI}" xmlns="{NS}">{text}</w>')[0]
    assert outcome(xmlcodec.decode_record, element, record, path) == outcome(
        ref_decode_record, element, record, path)
    wrapper = ref_parse("GetX", f'<w xmlns:xsi="{XSI}">{text}{text}</w>')
    assert outcome(xmlcodec.decode_items, wrapper, record, path) == outcome(
        ref_decode_items, wrapper, record, path)


@given(kind=st.sampled_from(["int", "float", "bool", "str"]),
       text=st.one_of(XML_TEXT, BAD, st.integers().map(str)))
def test_scalars_decode_as_the_reference_did(kind: str, text: str) -> None:
    assert outcome(xmlcodec.decode_scalar, kind, text) == outcome(ref_decode_scalar, kind, text)


def test_comments_and_processing_instructions_in_the_tree_are_ignored() -> None:
    # A tree built by hand (or by a parser that keeps comments) holds non-element children.
    from xml.etree.ElementTree import Comment, ProcessingInstruction, SubElement

    root = Element(f"{{{NS}}}ArrayOfStateType")
    root.append(Comment("c"))
    item = SubElement(root, f"{{{NS}}}StateType")
    item.append(ProcessingInstruction("pi", "x"))
    SubElement(item, f"{{{NS}}}StateUID").text = " 5 "
    SubElement(item, "Name").text = " Ohio "
    SubElement(item, "Abbr").text = "OH"
    assert outcome(xmlcodec.decode_array, "GetStateList", root, wiretypes.STATE) == outcome(
        ref_decode_array, "GetStateList", root, wiretypes.STATE)
    assert xmlcodec.decode_array("GetStateList", root, wiretypes.STATE) == [
        {"StateUID": 5, "Name": " Ohio ", "Abbr": "OH"}]


# --- parsing: DTDs with entities refused, in any encoding ---------------------------------

BOMB = ('<?xml version="1.0"?><!DOCTYPE a [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;'
        '&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;">]><ArrayOfStateType>&c;'
        "</ArrayOfStateType>")
XXE = ('<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
       f'<ArrayOfStateType xmlns="{NS}"><StateType><StateUID>&x;</StateUID></StateType>'
       "</ArrayOfStateType>")
PLAIN = f'<ArrayOfStateType xmlns="{NS}"><StateType><StateUID>1</StateUID></StateType>' \
        "</ArrayOfStateType>"

HOSTILE = [
    BOMB.encode(), XXE.encode(), BOMB, XXE,
    BOMB.encode("utf-16"), XXE.encode("utf-16"),                  # with a BOM
    BOMB.encode("utf-16-le"), XXE.encode("utf-16-be"),            # without one
    BOMB.replace('"1.0"', '"1.0" encoding="utf-16"').encode(),    # declared utf-16, utf-8 bytes
    XXE.replace('"1.0"', '"1.0" encoding="UTF-16"').encode(),
    XXE.replace('"1.0"', '"1.0" encoding="iso-8859-1"').encode("latin-1"),
    ("\ufeff" + XXE).encode(),
    "<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>",
]


@pytest.mark.parametrize("answer", HOSTILE)
def test_answers_with_entity_declarations_are_refused(answer: str | bytes) -> None:
    with pytest.raises(ApiError) as caught:
        xmlcodec.parse("GetStateList", answer)
    assert "malformed XML" in str(caught.value)


def test_tags_of_other_namespaces_are_learned_within_a_bound() -> None:
    record = Record("ThingType", {"ThingUID": "int", "Name": "str"}, required=("ThingUID",))
    unknown = "".join(f"<N{i}>{i}</N{i}>" for i in range(1000))
    text = (f'<ArrayOfThingType xmlns="urn:elsewhere"><ThingType><ThingUID>7</ThingUID>'
            f"<Name> x </Name>{unknown}</ThingType></ArrayOfThingType>")
    for _ in range(2):  # the second time through the learned entries
        root = xmlcodec.parse("GetThings", text)
        assert outcome(xmlcodec.decode_array, "GetThings", root, record) == outcome(
            ref_decode_array, "GetThings", root, record)
    table = xmlcodec._table(record)
    assert len(table.by_tag) <= 2 * len(record.fields) + xmlcodec._LEARNED_MAX


# --- parsing with expat's tag spelling decodes as parsing with ElementTree's did ----------

def tree_parse(call: str, text: str | bytes) -> Element:
    """The parse before tags kept expat's spelling: defusedxml building ElementTree's tree."""
    try:
        return defused_fromstring(text)
    except (ParseError, DefusedXmlException, ValueError, LookupError) as exc:
        raise ApiError(call, f"{call} answered malformed XML: {exc}", 200) from None


def read(parse: Any, body: bytes, record: Record, single: bool) -> tuple[Any, ...]:
    """What a read gives: the rows or the error, and what it noted."""
    notes = xmlcodec.Notes()
    decode = xmlcodec.decode_single if single else xmlcodec.decode_array
    result = outcome(lambda: decode("GetX", parse("GetX", body), record, notes))
    return result, notes.root, notes.namespace, notes.items, notes.aliases, notes.unknown_paths()


@st.composite
def mangled(draw: st.DrawFn, body: bytes) -> bytes:
    """An answer as sent, or spoiled: cut short, a DTD (with an entity, an attribute default
    or neither), an undefined entity, another encoding, declared or not."""
    text = body.decode()
    head, _, rest = text.partition("?>")
    head += "?>"
    root = rest.lstrip().split(maxsplit=1)[0].removeprefix("<").rstrip(">/")
    way = draw(st.sampled_from(["as sent"] * 4 + ["cut", "entity", "attlist", "doctype",
                                                  "undefined", "utf-16", "latin-1"]))
    if way == "cut":
        return body[:draw(st.integers(0, len(body)))]
    if way == "entity":
        return f'{head}<!DOCTYPE {root} [<!ENTITY e "x">]>{rest}'.encode()
    if way == "attlist":
        dtd = f'<!DOCTYPE {root} [<!ATTLIST {root} xsi:nil CDATA "true">]>'
        return f"{head}{dtd}{rest}".encode()
    if way == "doctype":
        return f"{head}<!DOCTYPE {root}>{rest}".encode()
    if way == "undefined":
        return f"{head}{rest.replace('</', '&nothing;</', 1)}".encode()
    if way == "utf-16":
        return text.encode("utf-16")
    if way == "latin-1":
        return text.replace("utf-8", "iso-8859-1").encode("latin-1", errors="replace")
    return body


@st.composite
def single_answer(draw: st.DrawFn) -> tuple[Record, bytes]:
    """A single-object answer: one record, or an empty or nil root (whatever it holds)."""
    record = draw(st.sampled_from(RECORDS))
    namespace = draw(st.sampled_from([f' xmlns="{NS}"', "", ' xmlns="urn:x"']))
    form = draw(st.sampled_from(["record"] * 4 + ["empty", "nil"]))
    nil = ' xsi:nil="true"' if form == "nil" else ""
    body = "" if form == "empty" else draw(record_body(record, 0))
    return record, (f'<?xml version="1.0" encoding="utf-8"?>\n<{record.tag} '
                    f'xmlns:xsi="{XSI}"{namespace}{nil}>{body}</{record.tag}>').encode()


@CASES
@given(st.data(), st.booleans())
def test_answers_decode_as_when_parsed_into_elementtree_names(data: st.DataObject,
                                                                single: bool) -> None:
    record, body = data.draw(single_answer() if single else array_answer())
    body = data.draw(mangled(body))
    assert read(xmlcodec.parse, body, record, single) == read(tree_parse, body, record,
                                                                   single)
