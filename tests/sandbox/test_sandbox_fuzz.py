"""Property: whatever a client sends, the sandbox answers 200 or a 4xx naming a field,
never crashes, and a rejected write leaves the store exactly as it was."""

from __future__ import annotations

from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .support import NS, account_body, client_body, envelope, method_body, to_xml

_JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def _setup(http: httpx.Client) -> tuple[dict[str, str], int, int]:
    http.post("/_sandbox/reset")
    http.post(
        "/_sandbox/faults",
        json={"latency_ms": 0, "latency_jitter_ms": 0, "fault_rate": 0, "clear_forced": True},
    )
    token = http.post(
        "/v1/authorization/token",
        json={
            "client_id": "sandbox",
            "client_secret": "sandbox-secret",
            "grant_type": "client_credentials",
        },
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    cid = int(http.patch("/v1/clients", json=client_body(), headers=headers).text)
    mid = int(http.put(f"/v1/delivery/{cid}/methods", json=method_body(cid), headers=headers).text)
    return headers, cid, mid


def _mutate(body: dict[str, Any], data: st.DataObject) -> None:
    """Replace, drop or add one field somewhere in the body (possibly inside a list item)."""
    target: dict[str, Any] = body
    for key in ("Criteria", "FieldSettings", "DeliveryDays", "FieldData", "Info"):
        if key in body and data.draw(st.booleans()):
            inner = body[key]
            if isinstance(inner, list) and inner:
                target = inner[0]
            elif isinstance(inner, dict):
                target = inner
            break
    action = data.draw(st.sampled_from(["replace", "drop", "add"]))
    key = data.draw(st.sampled_from(sorted(target)))
    if action == "replace":
        target[key] = data.draw(_JUNK)
    elif action == "drop":
        del target[key]
    else:
        target[data.draw(st.text(min_size=1, max_size=6))] = data.draw(_JUNK)


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_rest_writes_never_corrupt(sandbox_url: str, data: st.DataObject) -> None:
    with httpx.Client(base_url=sandbox_url, timeout=10) as http:
        headers, cid, mid = _setup(http)
        kind = data.draw(st.sampled_from(["client", "method", "account"]))
        if kind == "client":
            body, url, verb = client_body(username="fuzz"), "/v1/clients", "PATCH"
        elif kind == "method":
            body, url, verb = method_body(cid, uid=mid), f"/v1/delivery/{cid}/methods", "PUT"
        else:
            body, url, verb = account_body(cid, mid), f"/v1/delivery/{cid}/accounts", "PUT"
        _mutate(body, data)
        before = http.get("/_sandbox/dump").json()
        r = http.request(verb, url, json=body, headers=headers)
        assert r.status_code in (200, 400), r.text
        if r.status_code == 400:
            assert r.json()["Message"] == "The request is invalid."
            assert len(r.json()["ModelState"]) == 1
            assert http.get("/_sandbox/dump").json() == before


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_soap_writes_never_corrupt(sandbox_url: str, data: st.DataObject) -> None:
    with httpx.Client(base_url=sandbox_url, timeout=10) as http:
        _, cid, mid = _setup(http)
        body = account_body(cid, mid, uid=-1)
        del body["WeekMax"], body["AlternatePosting"]
        _mutate(body, data)
        text = {k: v for k, v in body.items() if isinstance(k, str) and k.isidentifier()}
        before = http.get("/_sandbox/dump").json()
        r = http.post(
            "/service.asmx",
            content=envelope("AddEditClientAccount", to_xml("account", text)).encode(
                "utf-8", "replace"
            ),
            headers={
                "Content-Type": "text/xml; charset=utf-8",
                "SOAPAction": f'"{NS}AddEditClientAccount"',
            },
        )
        assert r.status_code in (200, 500), r.text
        if r.status_code == 500:
            assert "<faultcode>soap:Client</faultcode>" in r.text
            assert http.get("/_sandbox/dump").json() == before
