"""The client's GetClientsforCriteriaAdvanced: the SOAP request it sends and the answers it
reads (any item element name, faults, a refused key)."""

from __future__ import annotations

import httpx
import pytest
from defusedxml.ElementTree import fromstring

from lexsync.errors import ApiError, AuthError
from tests.api.apitest_helpers import API_KEY, NS, make_api, run

ENV = "http://schemas.xmlsoap.org/soap/envelope/"


def answer(inner: str) -> str:
    return (f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{ENV}"><soap:Body>'
            f'<GetClientsforCriteriaAdvancedResponse xmlns="{NS}"><GetClientsforCriteriaAdvancedResult>'
            f"{inner}</GetClientsforCriteriaAdvancedResult></GetClientsforCriteriaAdvancedResponse>"
            "</soap:Body></soap:Envelope>")


def call(handler, criteria=(("State", "TX"), ("Email", "a&b@x.org"))):
    async def go():
        async with make_api(handler) as api:
            return await api.get_clients_for_criteria_advanced(1, list(criteria))
    return run(go())


def test_request_and_answer() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text=answer(
            "<Buyer><ClientUID>1001</ClientUID><ClientName>Acme</ClientName><Price>25.5</Price>"
            "<Email>ops@acme.example</Email></Buyer><Buyer><ClientUID>1002</ClientUID></Buyer>"))

    rows = call(handler)
    assert rows == [{"ClientUID": 1001, "ClientName": "Acme", "Price": 25.5,
                     "Email": "ops@acme.example"}, {"ClientUID": 1002}]
    [request] = seen
    assert request.url.path == "/service.asmx"
    assert request.headers["SOAPAction"] == f'"{NS}GetClientsforCriteriaAdvanced"'
    body = fromstring(request.content)
    call_element = body.find(f"{{{ENV}}}Body/{{{NS}}}GetClientsforCriteriaAdvanced")
    assert call_element.findtext(f"{{{NS}}}Key") == API_KEY
    assert call_element.findtext(f"{{{NS}}}LeadTypeUID") == "1"
    items = [(i.findtext(f"{{{NS}}}Name"), i.findtext(f"{{{NS}}}Value"))
             for i in call_element.find(f"{{{NS}}}Criteria")]
    assert items == [("State", "TX"), ("Email", "a&b@x.org")]


def fault(text: str) -> str:
    return (f'<soap:Envelope xmlns:soap="{ENV}"><soap:Body><soap:Fault><faultcode>soap:Client'
            f"</faultcode><faultstring>{text}</faultstring></soap:Fault></soap:Body></soap:Envelope>")


def test_faults_and_refused_keys_are_clear_errors() -> None:
    with pytest.raises(AuthError, match="Invalid API key"):
        call(lambda r: httpx.Response(500, text=fault("System.Web.Services.Protocols.SoapException: Invalid API key.")))
    with pytest.raises(ApiError, match="LeadTypeUID: 'x' is not an Int64"):
        call(lambda r: httpx.Response(500, text=fault("LeadTypeUID: 'x' is not an Int64.")))
    with pytest.raises(ApiError, match="answered no GetClientsforCriteriaAdvancedResult"):
        call(lambda r: httpx.Response(200, text=f'<soap:Envelope xmlns:soap="{ENV}"><soap:Body/></soap:Envelope>'))
    with pytest.raises(ApiError, match="does not match the reference"):
        call(lambda r: httpx.Response(200, text=answer("<Buyer><ClientUID>x</ClientUID></Buyer>")))


def test_sandbox_clock_and_bad_requests() -> None:
    from lexsync.sandbox.app import create_app

    client = httpx.Client(transport=_Sync(create_app()), base_url="http://sandbox")
    assert client.post("/_sandbox/clock", json={"now": "2025-06-01T21:00:00-05:00"}).json() == {
        "now": "2025-06-01T21:00:00-05:00", "fixed": True}
    assert client.post("/_sandbox/clock", json={"now": "2025-06-01T21:00"}).status_code == 400
    assert client.post("/_sandbox/clock", json={"now": None}).json()["fixed"] is False
    envelope = (f'<soap:Envelope xmlns:soap="{ENV}"><soap:Body><GetClientsforCriteriaAdvanced '
                f'xmlns="{NS}"><Key>sandbox-key</Key><LeadTypeUID>x</LeadTypeUID>'
                "</GetClientsforCriteriaAdvanced></soap:Body></soap:Envelope>")
    refused = client.post("/service.asmx", content=envelope, headers={
        "Content-Type": "text/xml; charset=utf-8",
        "SOAPAction": f'"{NS}GetClientsforCriteriaAdvanced"'})
    assert refused.status_code == 500 and "is not an Int64" in refused.text
    empty = client.post("/service.asmx", content=envelope.replace("<LeadTypeUID>x", "<LeadTypeUID>1"),
                        headers={"Content-Type": "text/xml; charset=utf-8",
                                 "SOAPAction": f'"{NS}GetClientsforCriteriaAdvanced"'})
    assert empty.status_code == 200 and "<GetClientsforCriteriaAdvancedResult" in empty.text


class _Sync(httpx.BaseTransport):
    """The ASGI app behind a synchronous httpx client (each request on its own loop)."""

    def __init__(self, app: object) -> None:
        self.inner = httpx.ASGITransport(app=app)  # type: ignore[arg-type]

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def send() -> httpx.Response:
            response = await self.inner.handle_async_request(request)
            await response.aread()
            return response

        response = run(send())
        return httpx.Response(response.status_code, headers=response.headers, content=response.content)
