"""Admin endpoints, token expiry, file-backed storage, and concurrent writers."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import defusedxml.ElementTree as ET
import httpx

from lexsync.sandbox.app import SandboxConfig
from lexsync.sandbox.server import running_sandbox

from .support import NS, Sandbox, account_body, client_body, to_xml


def test_request_counts_and_reset(sb: Sandbox) -> None:
    cid = sb.new_client()
    mid = sb.new_method(cid)
    sb.new_account(cid, mid)
    sb.asmx("GetClientList")
    sb.asmx("GetClientList")
    sb.soap(
        "AddEditClientGroup",
        to_xml("Group", {"ClientGroupUID": -1, "Description": "G", "DisplayOrder": 0}),
    )
    sb.http.get("/_sandbox/dump")
    counts = sb.http.get("/_sandbox/requests").json()
    assert counts == {
        "token": 1,
        "PATCH /v1/clients": 1,
        "PUT /v1/delivery/{ClientUID}/methods": 1,
        "PUT /v1/delivery/{ClientUID}/accounts": 1,
        "GetClientList": 2,
        "AddEditClientGroup": 1,
    }
    sb.http.post("/_sandbox/requests/reset")
    assert sb.http.get("/_sandbox/requests").json() == {}


def test_reset_restores_seed_and_counters(sb: Sandbox) -> None:
    first = sb.new_client()
    sb.http.post("/_sandbox/reset")
    assert sb.dump() == {"groups": [], "clients": [], "methods": [], "accounts": []}
    sb._token = None
    assert sb.new_client() == first  # ID counters restart too


def test_mutate_for_drift(sb: Sandbox) -> None:
    cid = sb.new_client()
    mid = sb.new_method(cid)
    aid = sb.new_account(cid, mid)
    r = sb.http.post(
        "/_sandbox/mutate", json={"table": "accounts", "id": aid, "set": {"Price": 30}}
    )
    assert r.status_code == 200 and r.json()["Price"] == 30
    acc = ET.fromstring(sb.asmx("GetClientAccount", ClientUID=cid, AccountUID=aid).text)
    assert acc.findtext(f"{{{NS}}}Price") == "30"
    r = sb.http.post(
        "/_sandbox/mutate",
        json={"table": "clients", "id": cid, "set": {"FieldData": {"3": "Smith"}}},
    )
    assert r.status_code == 200
    assert {"ClientFieldUID": 3, "Value": "Smith"} in sb.dump()["clients"][0]["FieldData"]
    setting_id = sb.dump()["methods"][0]["FieldSettings"][0]["DeliverySettingUID"]
    r = sb.http.post(
        "/_sandbox/mutate", json={"table": "settings", "id": setting_id, "delete": True}
    )
    assert r.status_code == 200 and sb.dump()["methods"][0]["FieldSettings"] == []
    assert (
        sb.http.post("/_sandbox/mutate", json={"table": "accounts", "id": 1, "set": {}}).status_code
        == 404
    )
    assert sb.http.post("/_sandbox/mutate", json={"table": "nope", "id": 1}).status_code == 400
    r = sb.http.post(
        "/_sandbox/mutate", json={"table": "accounts", "id": aid, "set": {"ClientAccountUID": 1}}
    )
    assert r.status_code == 400


def test_expire_tokens_endpoint(sb: Sandbox) -> None:
    headers = sb.auth()
    sb.http.post("/_sandbox/tokens/expire")
    r = sb.http.patch("/v1/clients", json=client_body(), headers=headers)
    assert r.status_code == 401 and r.json() == {"error": "invalid_token"}


def test_token_expiry() -> None:
    with running_sandbox(SandboxConfig(token_ttl_seconds=0.3)) as url:
        sb = Sandbox(url)
        headers = sb.auth()
        assert sb.http.patch("/v1/clients", json=client_body(), headers=headers).status_code == 200
        time.sleep(0.4)
        r = sb.http.patch("/v1/clients", json=client_body(username="late"), headers=headers)
        assert r.status_code == 401 and r.json()["error"] == "invalid_token"
        sb.close()


def test_custom_credentials_and_file_db(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.db"
    config = SandboxConfig(db_path=str(db), api_key="k2", client_id="id2", client_secret="s2")
    with running_sandbox(config) as url, httpx.Client(base_url=url) as http:
        r = http.post(
            "/v1/authorization/token",
            json={"client_id": "id2", "client_secret": "s2", "grant_type": "client_credentials"},
        )
        token = r.json()["access_token"]
        r = http.patch(
            "/v1/clients", json=client_body(), headers={"Authorization": f"Bearer {token}"}
        )
        assert r.status_code == 200
        assert (
            http.get("/service.asmx/GetClientList", params={"Key": "sandbox-key"}).status_code
            == 500
        )
    with running_sandbox(config) as url, httpx.Client(base_url=url) as http:
        assert len(http.get("/_sandbox/dump").json()["clients"]) == 1  # survives a restart


def test_concurrent_writers_lose_nothing(sb: Sandbox) -> None:
    cid = sb.new_client("owner")
    mid = sb.new_method(cid)
    headers = sb.auth()
    errors: list[str] = []
    ids: list[int] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        with httpx.Client(base_url=sb.base_url, timeout=30) as http:
            r1 = http.patch("/v1/clients", json=client_body(username=f"user{n}"), headers=headers)
            r2 = http.put(
                f"/v1/delivery/{cid}/accounts",
                json=account_body(cid, mid, Description=f"acc{n}"),
                headers=headers,
            )
            soap = to_xml(
                "Group", {"ClientGroupUID": -1, "Description": f"g{n}", "DisplayOrder": n}
            )
            r3 = http.post(
                "/service.asmx",
                content=f'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
                f'<AddEditClientGroup xmlns="{NS}"><Key>sandbox-key</Key>{soap}</AddEditClientGroup></soap:Body></soap:Envelope>',
                headers={
                    "Content-Type": "text/xml; charset=utf-8",
                    "SOAPAction": f'"{NS}AddEditClientGroup"',
                },
            )
            with lock:
                for r in (r1, r2, r3):
                    if r.status_code != 200:
                        errors.append(r.text)
                ids.extend([int(r1.text), int(r2.text)])

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(ids)) == 40
    dump = sb.dump()
    assert len(dump["clients"]) == 21
    assert sorted(a["Description"] for a in dump["accounts"]) == sorted(
        f"acc{n}" for n in range(20)
    )
    assert len(dump["groups"]) == 20
    assert all(len(a["Criteria"]) == 1 for a in dump["accounts"])
