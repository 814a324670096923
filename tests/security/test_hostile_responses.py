"""Hostile and broken answers from LeadExec: always a clear ApiError, never a traceback.

Valid answers captured from the sandbox are mutated (truncated, retyped, elements dropped
or duplicated, huge values, entity expansion, DOCTYPEs, bytes that are not UTF-8) and fed to
the read parsers and the write-answer parsers through a mock transport.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lexsync.api import ApiSettings, LeadExecApi
from lexsync.errors import LexsyncError
from lexsync.sandbox.app import SandboxConfig, create_app
from tests.reliability.harness import report

CASES = {"count": 0}


def _captured() -> dict[str, bytes]:
    async def grab() -> dict[str, bytes]:
        transport = httpx.ASGITransport(app=create_app(SandboxConfig()))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            out = {}
            for method, params in (("GetLeadFields", {"LeadTypeUID": "1"}),
                                   ("GetLeadTypes", {"LeadTypeUID": "0"}),
                                   ("GetStateList", {})):
                response = await http.post(f"/service.asmx/{method}",
                                           data={"Key": "sandbox-key", **params})
                out[method] = response.content
            return out

    return asyncio.run(grab())


VALID = _captured()
BOMB = (b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;'
        b'&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;">]><ArrayOfLeadType>&c;</ArrayOfLeadType>')
XXE = (b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
       b'<ArrayOfState xmlns="http://tempuri.org/"><State><StateUID>&x;</StateUID></State></ArrayOfState>')


@st.composite
def mutated(draw: st.DrawFn, source: bytes) -> bytes:
    text = source.decode()
    choice = draw(st.sampled_from(["truncate", "replace_value", "drop", "duplicate", "insert",
                                   "huge", "bytes", "special"]))
    if choice == "truncate":
        return source[:draw(st.integers(0, len(source)))]
    if choice == "bytes":
        return draw(st.binary(max_size=400))
    if choice == "special":
        return draw(st.sampled_from([BOMB, XXE, b"", b"<a/>", b"null", b"<?xml version='1.0'?>",
                                     b"<ArrayOfLeadField xmlns='http://tempuri.org/'><LeadField/>"
                                     b"</ArrayOfLeadField>"]))
    starts = [i for i in range(len(text)) if text[i] == ">" and i + 1 < len(text) and text[i + 1] != "<"]
    if not starts:
        return source
    at = draw(st.sampled_from(starts)) + 1
    end = text.find("<", at)
    if choice == "replace_value":
        value = draw(st.one_of(st.text(max_size=30), st.sampled_from(
            ["-1", "1e309", "NaN", "99999999999999999999", "true", "", "<x>1</x>", "&amp;"])))
        value = value.replace("<", "&lt;") if not value.startswith("<x>") else value
        return (text[:at] + value + text[end:]).encode()
    if choice == "huge":
        return (text[:at] + "9" * draw(st.integers(1000, 200_000)) + text[end:]).encode()
    open_at = text.rfind("<", 0, at)
    close_end = text.find(">", end) + 1
    element = text[open_at:close_end]
    if choice == "drop":
        return (text[:open_at] + text[close_end:]).encode()
    if choice == "duplicate":
        return (text[:close_end] + element + text[close_end:]).encode()
    tag = draw(st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,8}", fullmatch=True))
    return (text[:close_end] + f"<{tag}>x</{tag}>" + text[close_end:]).encode()


def _api(answer: bytes, status: int = 200, content_type: str = "text/xml; charset=utf-8"
         ) -> LeadExecApi:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        return httpx.Response(status, content=answer, headers={"Content-Type": content_type})

    settings_ = ApiSettings(base_url="https://leadexec.example", api_key="k", client_id="c",
                            client_secret="s", max_attempts=1)
    return LeadExecApi(settings_, transport=httpx.MockTransport(handler))


async def _read(api: LeadExecApi, method: str) -> Any:
    async with api:
        if method == "GetLeadFields":
            return await api.get_lead_fields(1)
        if method == "GetLeadTypes":
            return await api.get_lead_types()
        return await api.get_state_list()


def _clear_or_ok(call: Any) -> None:
    CASES["count"] += 1
    try:
        asyncio.run(call)
    except LexsyncError as exc:
        assert str(exc), "an error must say something"


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.data())
def test_read_parsers_fail_clearly(data: st.DataObject) -> None:
    method = data.draw(st.sampled_from(sorted(VALID)))
    body = data.draw(mutated(VALID[method]))
    _clear_or_ok(_read(_api(body), method))


@FUZZ
@given(answer=st.one_of(st.binary(max_size=300), st.text(max_size=100).map(str.encode),
                        st.sampled_from([b"0", b"-5", b"1e400", b"\"12\"", b"{}", b"[]", BOMB])),
       status=st.sampled_from([200, 201, 204, 400, 401, 404, 415, 500, 502]),
       dialect=st.sampled_from(["rest", "soap"]))
def test_write_answers_fail_clearly(answer: bytes, status: int, dialect: str) -> None:
    async def write() -> int:
        api = _api(answer, status, "text/plain" if dialect == "rest" else "text/xml")
        api.settings = ApiSettings(base_url="https://leadexec.example", api_key="k",
                                   client_id="c", client_secret="s", max_attempts=1,
                                   dialect=dialect)  # type: ignore[arg-type]
        async with api:
            return await api.write_group({"ClientGroupUID": 0, "Description": "g",
                                          "DisplayOrder": 1}) if dialect == "soap" else \
                await api.write_account(1001, {"ClientAccountUID": 0, "Description": "d"})

    _clear_or_ok(write())


def test_entity_expansion_and_external_entities_are_refused() -> None:
    for body, method in ((BOMB, "GetLeadTypes"), (XXE, "GetStateList")):
        try:
            asyncio.run(_read(_api(body), method))
        except LexsyncError as exc:
            assert "root:" not in str(exc)
        else:
            raise AssertionError("a DOCTYPE with entities must be refused")


@pytest.fixture(scope="module", autouse=True)
def _report_fuzz_figures() -> Iterator[None]:
    """After the module: how many hostile answers were tried, for the reliability report."""
    yield
    if CASES["count"]:
        report("fuzz", {"api_response_cases": CASES["count"]})
