"""Fault and latency injection: each kind, lost answers commit, seeded determinism."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from lexsync.sandbox.app import SandboxConfig, create_app
from lexsync.sandbox.faults import DroppedConnection
from lexsync.sandbox.server import running_sandbox

from .support import NS, Sandbox, client_body, envelope, to_xml


def test_error_500_per_dialect(sb: Sandbox) -> None:
    token = sb.auth()  # fetch before faulting
    sb.faults(next={"kind": "error_500", "count": 3})
    r = sb.http.patch("/v1/clients", json=client_body(), headers=token)
    assert r.status_code == 500 and r.json() == {"Message": "An error has occurred."}
    r = sb.asmx("GetClientList")
    assert r.status_code == 500 and r.headers["content-type"].startswith("text/plain")
    r = sb.soap(
        "AddEditClientGroup",
        to_xml("Group", {"ClientGroupUID": -1, "Description": "G", "DisplayOrder": 0}),
    )
    assert r.status_code == 500 and "<faultcode>soap:Server</faultcode>" in r.text
    assert sb.dump() == {"groups": [], "clients": [], "methods": [], "accounts": []}
    assert sb.asmx("GetClientList").status_code == 200


def test_rate_limit_429_has_retry_after(sb: Sandbox) -> None:
    sb.faults(next={"kind": "rate_limit_429"})
    r = sb.asmx("GetStateList")
    assert r.status_code == 429 and r.headers["Retry-After"] == "1"
    sb.faults(next={"kind": "rate_limit_429"}, retry_after_seconds=3)
    r = sb.http.post(
        "/v1/authorization/token",
        json={
            "client_id": "sandbox",
            "client_secret": "sandbox-secret",
            "grant_type": "client_credentials",
        },
    )
    assert r.status_code == 429 and r.headers["Retry-After"] == "3"


def test_drop_is_remote_protocol_error(sb: Sandbox) -> None:
    sb.faults(next={"kind": "drop"})
    with pytest.raises(httpx.RemoteProtocolError):
        sb.asmx("GetStateList")
    assert sb.asmx("GetStateList").status_code == 200  # the client reconnects fine


@pytest.mark.parametrize("mode", ["500", "drop"])
def test_lost_answer_really_commits(sb: Sandbox, mode: str) -> None:
    token = sb.auth()
    sb.faults(next={"kind": "lost_answer"}, lost_answer_mode=mode)
    if mode == "500":
        r = sb.http.patch("/v1/clients", json=client_body(), headers=token)
        assert r.status_code == 500
    else:
        with pytest.raises(httpx.RemoteProtocolError):
            sb.http.patch("/v1/clients", json=client_body(), headers=token)
    [client] = sb.dump()["clients"]
    assert client["Username"] == "acme"


def test_lost_answer_soap_commits(sb: Sandbox) -> None:
    sb.faults(next={"kind": "lost_answer"}, lost_answer_mode="500")
    r = sb.soap(
        "AddEditClientGroup",
        to_xml("Group", {"ClientGroupUID": -1, "Description": "G", "DisplayOrder": 0}),
    )
    assert r.status_code == 500
    assert len(sb.dump()["groups"]) == 1


def test_admin_endpoints_never_faulted(sb: Sandbox) -> None:
    sb.faults(fault_rate=1.0, fault_kinds=["error_500"])
    for _ in range(3):
        assert sb.http.get("/_sandbox/dump").status_code == 200
        assert sb.http.get("/_sandbox/requests").status_code == 200
    assert sb.asmx("GetStateList").status_code == 500


def test_bad_fault_config_rejected(sb: Sandbox) -> None:
    for bad in (
        {"fault_rate": 2},
        {"fault_kinds": ["meteor"]},
        {"next": {"kind": "x"}},
        {"colour": 1},
    ):
        r = sb.http.post("/_sandbox/faults", json=bad)
        assert r.status_code == 400, bad
    assert sb.http.get("/_sandbox/faults").json()["fault_rate"] == 0.0


def _fault_pattern(seed: int) -> list[int]:
    with (
        running_sandbox(
            SandboxConfig(seed=seed, fault_rate=0.5, fault_kinds=("error_500", "rate_limit_429"))
        ) as url,
        httpx.Client(base_url=url) as http,
    ):
        return [
            http.get("/service.asmx/GetStateList", params={"Key": "sandbox-key"}).status_code
            for _ in range(20)
        ]


def test_seeded_faults_are_deterministic() -> None:
    first = _fault_pattern(7)
    assert first == _fault_pattern(7)
    assert 200 in first and len(set(first)) > 1
    assert first != _fault_pattern(8)


def test_latency_and_jitter(sb: Sandbox) -> None:
    sb.faults(latency_ms=150)
    start = time.perf_counter()
    sb.asmx("GetStateList")
    assert time.perf_counter() - start >= 0.14
    start = time.perf_counter()
    sb.http.get("/_sandbox/dump")  # admin: no latency
    assert time.perf_counter() - start < 0.14
    sb.faults(latency_ms=0, latency_jitter_ms=40)
    start = time.perf_counter()
    sb.asmx("GetStateList")
    assert time.perf_counter() - start < 1


def test_in_process_drop_raises() -> None:
    asyncio.run(_in_process())


async def _in_process() -> None:
    app = create_app(SandboxConfig())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        await client.post("/_sandbox/faults", json={"next": {"kind": "drop"}})
        with pytest.raises(DroppedConnection):
            await client.get("/service.asmx/GetStateList", params={"Key": "sandbox-key"})
        r = await client.post(
            "/service.asmx",
            content=envelope(
                "AddEditClientGroup",
                to_xml("Group", {"ClientGroupUID": -1, "Description": "G", "DisplayOrder": 0}),
            ),
            headers={
                "Content-Type": "text/xml; charset=utf-8",
                "SOAPAction": f"{NS}AddEditClientGroup",
            },
        )
        assert r.status_code == 200


def test_unexpected_error_keeps_dialect_shape(monkeypatch: pytest.MonkeyPatch) -> None:
    from lexsync.sandbox import writes

    def boom(*args: object, **kwargs: object) -> int:
        raise RuntimeError("bug")

    monkeypatch.setattr(writes, "save_group", boom)

    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
            return await client.post(
                "/service.asmx",
                content=envelope(
                    "AddEditClientGroup",
                    to_xml("Group", {"ClientGroupUID": -1, "Description": "G", "DisplayOrder": 0}),
                ),
                headers={
                    "Content-Type": "text/xml; charset=utf-8",
                    "SOAPAction": f"{NS}AddEditClientGroup",
                },
            )

    r = asyncio.run(run())
    assert r.status_code == 500 and "<faultcode>soap:Server</faultcode>" in r.text


def test_hold_write_after_commits_then_answers_late(sb: Sandbox) -> None:
    headers = sb.auth()
    sb.faults(hold_write=1, hold_mode="after", hold_seconds=0.3)
    start = time.perf_counter()
    r = sb.http.patch("/v1/clients", json=client_body(), headers=headers)
    assert r.status_code == 200 and time.perf_counter() - start >= 0.25
    state = sb.http.get("/_sandbox/faults").json()
    assert state["holds_started"] == 1
    assert len(sb.dump()["clients"]) == 1
    sb.faults(hold_write=None)


def test_injected_counts_per_kind(sb: Sandbox) -> None:
    sb.faults(next=[{"kind": "error_500", "count": 2}, {"kind": "rate_limit_429"}])
    for _ in range(4):
        sb.asmx("GetStateList")
    injected = sb.http.get("/_sandbox/faults").json()["injected"]
    assert injected["error_500"] >= 2 and injected["rate_limit_429"] >= 1
