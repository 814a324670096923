"""decode_array_answer: each distinct <DeliveryDetails> of a GetClientAccounts answer parsed
and decoded once, with exactly the result and the errors of decode_array(parse(...)).

Answers are generated with shared and unshared methods, then mutated in the ways that could
make a copy mean something else than the text it repeats (nesting, CDATA, comments, attributes,
nil, namespaces, entities, whitespace, one character, truncation, random bytes).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_xmlcodec_fast import NS, XML_TEXT, XSI, account, field_xml, record_body

from lexsync.api import xmlcodec
from lexsync.api.wiretypes import CLIENT_ACCOUNT, DELIVERY
from lexsync.sandbox.xmlio import array_document

CALL = "GetClientAccounts"
SHARED = "DeliveryDetails"
OPEN, CLOSE = f"<{SHARED}>", f"</{SHARED}>"


def plain(body: str | bytes) -> list[dict[str, Any]]:
    return xmlcodec.decode_array(CALL, xmlcodec.parse(CALL, body), CLIENT_ACCOUNT)


def sharing(body: str | bytes) -> list[dict[str, Any]]:
    return xmlcodec.decode_array_answer(CALL, body, CLIENT_ACCOUNT, SHARED)


def outcome(fn: Callable[[Any], Any], body: str | bytes) -> tuple[str, str]:
    """What a call gave, as text that tells 1 from True from 1.0 and keeps key order; any
    exception by its type and message."""
    try:
        return "ok", repr(fn(body))
    except Exception as exc:  # the same error, whatever it is, is what is compared
        return type(exc).__name__, str(exc)


def taken(body: str | bytes) -> bool:
    """Whether the shared path decided (rather than leaving the answer to the plain one)."""
    return xmlcodec._decode_sharing(body, CLIENT_ACCOUNT, SHARED) is not None


def assert_same(body: str | bytes) -> None:
    assert outcome(sharing, body) == outcome(plain, body)


# --- answers -----------------------------------------------------------------------------

def shared_accounts(picks: list[int]) -> list[dict[str, Any]]:
    """Accounts whose methods are those of account(k) for each k in `picks`."""
    accounts = []
    for n, k in enumerate(picks):
        row = account(n)
        row["DeliveryDetails"] = account(k)["DeliveryDetails"]
        row["DeliveryUID"] = row["DeliveryDetails"]["ClientDeliveryUID"]
        accounts.append(row)
    return accounts


# Five accounts, three methods: what a client of the benchmark network answers.
ANSWER = array_document("ClientAccountType", shared_accounts([0, 1, 2, 0, 1]), NS)
TEXT = ANSWER.decode()

# Mostly plain text; now and then what the path looks for in the text.
STRINGS = st.integers(0, 9).flatmap(lambda n: XML_TEXT if n else st.sampled_from([
    "<lead>&amp;</lead>", "&lt;DeliveryDetails&gt;", "a]]>b", "\u00e9\u4e2d\U0001f600",
    "x=1&y=2", "  ", "?!", "xmlns", "DeliveryDetails.repeat"]))


@st.composite
def method(draw: st.DrawFn, n: int) -> dict[str, Any]:
    row = dict(account(n)["DeliveryDetails"])
    for key in ("Name", "DeliveryAddress", "XML", "ResponseSearch"):
        row[key] = draw(STRINGS)
    row["FieldSettings"] = row["FieldSettings"][: draw(st.integers(0, 12))]
    row["DeliveryDays"] = row["DeliveryDays"][: draw(st.integers(0, 5))]
    if draw(st.integers(0, 9)) == 0:
        row["LeadCatUID"] = draw(st.sampled_from(["x", "1.5", ""]))  # a copy that fails
    return row


@st.composite
def shared_answer(draw: st.DrawFn) -> bytes:
    """Accounts drawing their methods from a pool of 1-3, so most answers repeat some."""
    methods = [draw(method(n)) for n in range(draw(st.integers(1, 3)))]
    picks = draw(st.lists(st.integers(0, len(methods) - 1), min_size=2, max_size=6))
    accounts = []
    for n, k in enumerate(picks):
        row = account(n)
        row["Description"] = draw(STRINGS)
        row["DeliveryDetails"] = methods[k]
        accounts.append(row)
    return array_document("ClientAccountType", accounts, draw(st.sampled_from([NS, "urn:x"])))


ACCOUNT_FIELDS = type(CLIENT_ACCOUNT)(CLIENT_ACCOUNT.tag, {
    name: kind for name, kind in CLIENT_ACCOUNT.fields.items() if name != SHARED},
    CLIENT_ACCOUNT.required)


NOT_ELEMENTS = re.compile(r"<!--.*?-->|<\?.*?\?>", re.S)


def account_body(n: int) -> str:
    """The elements of account(n) but its method, as the sandbox writes them."""
    row = {key: value for key, value in account(n).items() if key != SHARED}
    text = array_document("ClientAccountType", [row], NS).decode()
    return text[text.index("<ClientAccountType>") + 19:text.rindex("</ClientAccountType>")]


@st.composite
def generated_answer(draw: st.DrawFn) -> bytes:
    """Account bodies, sandbox-written or random (other namespaces, nil, comments, bad
    values...), each with zero to two of a few random DeliveryDetails texts, at the end or in
    between."""
    def clean(text: str) -> str:
        # Most copies without comments and processing instructions, which send the answer
        # the plain way.
        return NOT_ELEMENTS.sub("", text) if draw(st.integers(0, 3)) else text

    pool = [clean(draw(st.one_of(
        record_body(DELIVERY, 1).map(lambda body: OPEN + body + CLOSE),
        field_xml(SHARED, DELIVERY, 1)))) for _ in range(draw(st.integers(1, 3)))]
    items = []
    for n in range(draw(st.integers(1, 5))):
        body = account_body(n) if draw(st.integers(0, 3)) else clean(
            draw(record_body(ACCOUNT_FIELDS, 1)))
        copies = draw(st.lists(st.sampled_from(pool), min_size=0, max_size=2))
        at = draw(st.integers(0, len(body)))
        if draw(st.booleans()) and body[at - 1:at] == ">":
            body = body[:at] + "".join(copies) + body[at:]
        else:
            body += "".join(copies)
        items.append(f"<ClientAccountType>{body}</ClientAccountType>")
    namespace = draw(st.sampled_from([f' xmlns="{NS}"', "", ' xmlns="urn:x"']))
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<ArrayOfClientAccountType '
            f'xmlns:xsi="{XSI}"{namespace}>' + "".join(items)
            + "</ArrayOfClientAccountType>").encode()


# --- mutations: text, k -> text, k choosing which occurrence -------------------------------

def nth(text: str, sub: str, k: int) -> int:
    spots = [m.start() for m in re.finditer(re.escape(sub), text)]
    return spots[k % len(spots)] if spots else -1


def replace_nth(text: str, sub: str, k: int, new: str) -> str:
    at = nth(text, sub, k)
    return text if at < 0 else text[:at] + new + text[at + len(sub):]


def insert_before(text: str, sub: str, k: int, new: str) -> str:
    at = nth(text, sub, k)
    return text if at < 0 else text[:at] + new + text[at:]


def insert_after(text: str, sub: str, k: int, new: str) -> str:
    at = nth(text, sub, k)
    return text if at < 0 else text[:at + len(sub)] + new + text[at + len(sub):]


def first_copy(text: str) -> str:
    at = text.find(OPEN)
    return "" if at < 0 else text[at:text.find(CLOSE, at) + len(CLOSE)]


def everywhere(text: str, old: str, new: str) -> str:
    return text.replace(old, new)


ITEM_END = "</ClientAccountType>"
ITEM_START = "<ClientAccountType>"
SMALL = f"{OPEN}<ClientDeliveryUID>7</ClientDeliveryUID>{CLOSE}"

MUTATIONS: dict[str, Callable[[str, int], str]] = {
    "nested copy": lambda t, k: insert_before(t, CLOSE, k, SMALL),
    "nested copy left open": lambda t, k: replace_nth(t, CLOSE, k, SMALL),
    "nested copy, repeat left open": lambda t, k: replace_nth(
        insert_before(t, CLOSE, 0, SMALL), CLOSE, 2 + k, SMALL),
    "CDATA holding tags in a copy": lambda t, k: insert_after(
        t, OPEN, k, f"<XML><![CDATA[{CLOSE}{OPEN}]]></XML>"),
    "CDATA holding a copy": lambda t, k: insert_after(
        t, ITEM_START, k, f"<Notes><![CDATA[{first_copy(t)}]]></Notes>"),
    "comment holding a copy": lambda t, k: insert_after(t, ITEM_START, k, f"<!--{first_copy(t)}-->"),
    "comment holding an end tag": lambda t, k: insert_after(t, OPEN, k, f"<!-- {CLOSE} -->"),
    "processing instruction": lambda t, k: insert_after(t, OPEN, k, f"<?pi {CLOSE}?>"),
    "attribute on a copy": lambda t, k: replace_nth(t, OPEN, k, f'<{SHARED} a="1">'),
    "nil copy": lambda t, k: replace_nth(
        t, OPEN, k, f'<{SHARED} xsi:nil="{["true", " 1 ", "false"][k % 3]}">'),
    "nil element": lambda t, k: insert_before(t, ITEM_END, k, f'<{SHARED} xsi:nil="true" />'),
    "empty element": lambda t, k: insert_before(t, ITEM_END, k, f"<{SHARED} />"),
    "default namespace on an account": lambda t, k: replace_nth(
        t, ITEM_START, k, '<ClientAccountType xmlns="urn:x">'),
    "xsi rebound on an account": lambda t, k: replace_nth(
        everywhere(t, "<ResponseSearch>", '<ResponseSearch xsi:nil="true">'),
        ITEM_START, k, '<ClientAccountType xmlns:xsi="urn:not-xsi">'),
    "prefix bound on one account": lambda t, k: replace_nth(
        everywhere(everywhere(t, "<LeadTypeUID>", "<p:LeadTypeUID>"), "</LeadTypeUID>",
                   "</p:LeadTypeUID>"),
        ITEM_START, k, f'<ClientAccountType xmlns:p="{NS}">'),
    "unbound prefix in copies": lambda t, k: everywhere(
        everywhere(t, "<LeadTypeUID>", "<p:LeadTypeUID>"), "</LeadTypeUID>", "</p:LeadTypeUID>"),
    "namespace declared inside copies": lambda t, k: everywhere(
        t, OPEN, f'{OPEN}<o:Extra xmlns:o="urn:o" xmlns="urn:d">1</o:Extra>'),
    "prefixed copy": lambda t, k: replace_nth(
        replace_nth(t, CLOSE, k, f"</o:{SHARED}>"), OPEN, k, f'<o:{SHARED} xmlns:o="urn:o">'),
    "whitespace differs": lambda t, k: insert_after(t, OPEN, k, "\n  "),
    "one character differs": lambda t, k: replace_nth(t, "<FieldName>f", k, "<FieldName>g"),
    "character reference": lambda t, k: replace_nth(t, "<FieldName>f", k, "<FieldName>&#102;"),
    "entity references": lambda t, k: everywhere(t, "<FieldName>f", "<FieldName>&lt;&amp;&gt;"),
    "undefined entity": lambda t, k: replace_nth(t, "<FieldName>f", k, "<FieldName>&nbsp;"),
    "bad value in every copy": lambda t, k: everywhere(
        t, "<LeadCatUID>0</LeadCatUID>", "<LeadCatUID>x</LeadCatUID>"),
    "end tag with a space": lambda t, k: replace_nth(t, CLOSE, k, f"</{SHARED} >"),
    "copy below an account's child": lambda t, k: insert_after(
        everywhere(t, "<LeadCatUID>0</LeadCatUID>", "<LeadCatUID>x</LeadCatUID>"),
        "<ClientCriteriaType>", 0, first_copy(t)),
    "repeat below an account's child": lambda t, k: insert_after(
        t, "<ClientCriteriaType>", 4 + k, first_copy(t)),
    "second copy in an account": lambda t, k: insert_before(
        t, ITEM_END, k, first_copy(t[t.find(CLOSE):]) or SMALL),
    "copy before another in an account": lambda t, k: insert_before(t, OPEN, k, SMALL),
    "placeholder in the answer": lambda t, k: insert_before(
        t, ITEM_END, k, f"<{SHARED}.repeat>0</{SHARED}.repeat>"),
    "mark in the answer": lambda t, k: replace_nth(t, OPEN, k, f'<{SHARED} {SHARED}.first="0">'),
    "copy at the root": lambda t, k: insert_before(t, ITEM_START, 0, first_copy(t)),
    "copy after the root": lambda t, k: t + first_copy(t),
    "DOCTYPE": lambda t, k: t.replace("?>", "?><!DOCTYPE a>", 1),
    "entity declared": lambda t, k: re.sub(
        "<ArrayOfClientAccountType[^>]*>", '<!DOCTYPE ArrayOfClientAccountType [<!ENTITY e "f">]>'
        "<ArrayOfClientAccountType>", everywhere(t, "<FieldName>f", "<FieldName>&e;"), count=1),
    "root renamed": lambda t, k: everywhere(t, "ArrayOfClientAccountType", "ArrayOfOther"),
    "BOM": lambda t, k: "\ufeff" + t,
    "no declaration": lambda t, k: t[t.find("?>") + 2:].lstrip(),
    "declared utf-16": lambda t, k: t.replace("utf-8", "utf-16", 1),
    "NUL": lambda t, k: insert_after(t, OPEN, k, "\x00"),
    "truncated": lambda t, k: t[: k * 97 % max(len(t), 1)],
}


def bodies(text: str) -> list[str | bytes]:
    return [text.encode("utf-8", "surrogatepass"), text]


# --- the path is taken, and parses and decodes each method once ----------------------------

def test_a_normal_answer_parses_and_decodes_each_method_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    real_parser, real_decode = xmlcodec.XMLParser, xmlcodec._decode_record
    fed: list[str] = []
    methods_decoded: list[Any] = []

    class Spy:
        def __init__(self) -> None:
            self.parser = real_parser()

        def feed(self, text: str) -> None:
            fed.append(text)
            self.parser.feed(text)

        def close(self) -> Any:
            return self.parser.close()

    def counting(element: Any, table: Any) -> dict[str, Any]:
        if table.record is DELIVERY:
            methods_decoded.append(element)
        return real_decode(element, table)

    expected = plain(ANSWER)
    monkeypatch.setattr(xmlcodec, "XMLParser", Spy)
    monkeypatch.setattr(xmlcodec, "_decode_record", counting)
    items = sharing(ANSWER)
    assert repr(items) == repr(expected)
    assert TEXT.count("<ClientDeliveryUID>") == 5
    assert len(fed) == 1 and fed[0].count("<ClientDeliveryUID>") == 3  # one parse, 3 methods
    assert len(methods_decoded) == 3
    details = [row[SHARED] for row in items]
    assert details[3] is details[0] and details[4] is details[1]
    assert len({id(d) for d in details}) == 3


def test_answers_without_repeats_go_the_plain_way() -> None:
    unshared = array_document("ClientAccountType", shared_accounts([0, 1, 2]), NS)
    assert not taken(unshared)
    assert repr(sharing(unshared)) == repr(plain(unshared))
    assert not taken(array_document("ClientAccountType", [], NS))
    # Only a record-valued child can be shared.
    assert xmlcodec._decode_sharing(ANSWER, CLIENT_ACCOUNT, "Criteria") is None
    assert repr(xmlcodec.decode_array_answer(CALL, ANSWER, CLIENT_ACCOUNT, "Criteria")) == repr(
        plain(ANSWER))


@pytest.mark.parametrize("name", ["whitespace differs", "one character differs",
                                  "character reference", "entity references",
                                  "namespace declared inside copies", "attribute on a copy",
                                  "nil element", "BOM", "no declaration",
                                  "second copy in an account",
                                  "copy before another in an account"])
def test_harmless_differences_keep_the_path(name: str) -> None:
    text = MUTATIONS[name](TEXT, 1)
    assert text != TEXT
    for body in bodies(text):
        assert taken(body), name
        assert_same(body)


@pytest.mark.parametrize("name", ["xsi rebound on an account", "prefix bound on one account",
                                  "copy below an account's child",
                                  "repeat below an account's child", "declared utf-16", "NUL",
                                  "placeholder in the answer", "mark in the answer",
                                  "CDATA holding a copy", "comment holding a copy", "DOCTYPE",
                                  "nested copy", "end tag with a space",
                                  "default namespace on an account"])
def test_answers_the_path_cannot_vouch_for_go_the_plain_way(name: str) -> None:
    text = MUTATIONS[name](TEXT, 1)
    assert text != TEXT
    for body in bodies(text):
        assert not taken(body), name
        assert_same(body)


@pytest.mark.parametrize("hide", ["<?pi {}?>", "<!--{}-->", "<XML><![CDATA[{}]]></XML>"])
def test_markup_hiding_the_tags_goes_the_plain_way(hide: str) -> None:
    # A comment, CDATA section or processing instruction holding `</DeliveryDetails>` ends a
    # copy early as far as a text search can tell: here the two accounts' copies would seem to
    # start alike, while their methods differ.
    uid = "<ClientDeliveryUID>9</ClientDeliveryUID><Name>x</Name>"
    head = OPEN + uid + hide.format(CLOSE + OPEN)
    items = [f"<ClientAccountType><ClientAccountUID>{n}</ClientAccountUID>{head}{tail}{CLOSE}"
             "</ClientAccountType>" for n, tail in enumerate(
                 ["<Status>true</Status>", "<ClientDeliveryUID>5</ClientDeliveryUID>"])]
    text = f'<ArrayOfClientAccountType xmlns:xsi="{XSI}">{"".join(items)}</ArrayOfClientAccountType>'
    assert plain(text)[1][SHARED]["Name"] == "x"
    for body in bodies(text):
        assert not taken(body)
        assert_same(body)


def test_a_rebound_xsi_prefix_changes_what_a_repeat_means() -> None:
    # Why namespace declarations outside the copies send an answer the plain way.
    text = MUTATIONS["xsi rebound on an account"](TEXT, 3)
    details = [row[SHARED] for row in plain(text.encode())]
    assert "ResponseSearch" not in details[0] and details[3]["ResponseSearch"] == "OK"
    assert repr(sharing(text.encode())) == repr(plain(text.encode()))


# --- the same errors ---------------------------------------------------------------------

@pytest.mark.parametrize("name", ["bad value in every copy", "undefined entity",
                                  "unbound prefix in copies", "nested copy left open",
                                  "nested copy, repeat left open", "copy at the root",
                                  "copy after the root", "empty element", "truncated",
                                  "entity declared", "root renamed",
                                  "copy below an account's child"])
def test_broken_answers_fail_as_before(name: str) -> None:
    text = MUTATIONS[name](TEXT, 4)
    for body in bodies(text):
        expected = outcome(plain, body)
        assert expected[0] == "ApiError", name
        assert outcome(sharing, body) == expected


def test_an_error_in_a_repeated_method_names_its_first_account() -> None:
    text = MUTATIONS["bad value in every copy"](TEXT, 0)
    with pytest.raises(xmlcodec.ApiError) as caught:
        sharing(text.encode())
    assert str(caught.value).endswith(
        "ArrayOfClientAccountType[0].DeliveryDetails.LeadCatUID: 'x' is not an integer")
    assert outcome(sharing, text) == outcome(plain, text)


@pytest.mark.parametrize("cut", [0, 1, 40, 300, TEXT.find(CLOSE) + 3, TEXT.rfind(OPEN) + 5,
                                 len(TEXT) - 1])
def test_truncated_answers_fail_as_before(cut: int) -> None:
    for body in bodies(TEXT[:cut]):
        assert_same(body)


# --- generated answers, and generated answers mutated --------------------------------------

CASES = settings(max_examples=200, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@CASES
@given(shared_answer())
def test_generated_answers_decode_as_the_plain_path_does(body: bytes) -> None:
    expected = outcome(plain, body)
    assert outcome(sharing, body) == expected
    if expected[0] == "ok":
        items = sharing(body)
        for row, other in zip(items, plain(body), strict=True):
            assert row[SHARED] == other[SHARED]


@CASES
@given(generated_answer())
def test_random_answers_decode_as_the_plain_path_does(body: bytes) -> None:
    assert_same(body)
    assert_same(body.decode())


@CASES
@given(shared_answer(), st.lists(st.tuples(st.sampled_from(sorted(MUTATIONS)),
                                           st.integers(0, 50)), min_size=1, max_size=2),
       st.booleans())
def test_mutated_answers_decode_as_the_plain_path_does(
        body: bytes, mutations: list[tuple[str, int]], as_text: bool) -> None:
    text = body.decode()
    for name, k in mutations:
        text = MUTATIONS[name](text, k)
    assert_same(text if as_text else text.encode("utf-8", "surrogatepass"))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_randomly_damaged_answers_decode_as_the_plain_path_does(data: st.DataObject) -> None:
    source = bytearray(ANSWER)
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(source) - 1))
        source[at:at + data.draw(st.integers(1, 3))] = data.draw(st.binary(max_size=3))
    answer: bytes | str = bytes(source)
    if data.draw(st.booleans()):
        answer = bytes(source).decode("utf-8", "replace")
    assert_same(answer)
