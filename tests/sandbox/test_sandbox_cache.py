"""The read-answer cache: every kind of write shows in the next read, and cached answers
are still counted, delayed and faulted like any other."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import defusedxml.ElementTree as ET
import httpx
import pytest

from lexsync.sandbox.store import Reader, Store

from .support import NS, Sandbox, account_body, client_body, method_body, to_xml

Q = f"{{{NS}}}"


def _texts(answer: httpx.Response, path: str) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [el.text or "" for el in ET.fromstring(answer.text).iterfind(path)]


def _accounts(sb: Sandbox, cid: int, field: str) -> list[str]:
    return _texts(sb.asmx("GetClientAccounts", ClientUID=cid), f"{Q}ClientAccountType/{Q}{field}")


def _method_names(sb: Sandbox, cid: int) -> list[str]:
    path = f"{Q}ClientAccountType/{Q}DeliveryDetails/{Q}Name"
    return _texts(sb.asmx("GetClientAccounts", ClientUID=cid), path)


def _notes(sb: Sandbox) -> list[str]:
    return _texts(sb.asmx("GetClientList"), f"{Q}ClientItemType/{Q}Notes")


def _ok(answer: httpx.Response) -> None:
    assert answer.status_code == 200, answer.text


def _setup(sb: Sandbox) -> tuple[int, int, int]:
    cid = sb.new_client(Notes="before")
    mid = sb.new_method(cid, Name="before")
    aid = sb.new_account(cid, mid, Price=10)
    return cid, mid, aid


def _soap_client(cid: int) -> str:
    client = {
        "ClientUID": cid, "DateAdded": "2024-01-02T03:04:05", "Status": "Active", "UserUID": 0,
        "TimeOffset": -8, "Notes": "after", "TimeZoneName": "Pacific Standard Time",
        "ResellerUID": 0, "GroupUID": 0, "Username": "acme", "Password": "pw",
        "OverrideReassign": False,
    }  # fmt: skip
    return to_xml("Client", client) + "<FieldData />"


def _soap_method(cid: int, mid: int) -> str:
    body = method_body(cid, uid=mid, Name="after")
    for s in body["FieldSettings"]:
        del s["Delete"]  # optional in SOAP
    return to_xml("delivery", body)


def _soap_account(cid: int, mid: int, aid: int) -> str:
    body = account_body(cid, mid, uid=aid, Price=99)
    del body["WeekMax"], body["AlternatePosting"]
    return to_xml("account", body)


# Each write kind, and a read that shows what it changed ("99" or "after").
WRITES: dict[str, Callable[[Sandbox, int, int, int], None]] = {
    "REST client PATCH": lambda sb, cid, mid, aid: _ok(
        sb.patch_client(client_body(uid=cid, Notes="after"))
    ),
    "REST method PUT": lambda sb, cid, mid, aid: _ok(
        sb.put_method(cid, method_body(cid, uid=mid, Name="after"))
    ),
    "REST account PUT": lambda sb, cid, mid, aid: _ok(
        sb.put_account(cid, account_body(cid, mid, uid=aid, Price=99))
    ),
    "SOAP AddEditClient": lambda sb, cid, mid, aid: _ok(
        sb.soap("AddEditClient", _soap_client(cid))
    ),
    "SOAP AddEditClientDelivery": lambda sb, cid, mid, aid: _ok(
        sb.soap("AddEditClientDelivery", _soap_method(cid, mid))
    ),
    "SOAP AddEditClientAccount": lambda sb, cid, mid, aid: _ok(
        sb.soap("AddEditClientAccount", _soap_account(cid, mid, aid))
    ),
    "admin mutate": lambda sb, cid, mid, aid: _ok(
        sb.http.post("/_sandbox/mutate", json={"table": "accounts", "id": aid, "set": {"Price": 99}})
    ),
}
READS: dict[str, Callable[[Sandbox, int], list[str]]] = {
    "REST client PATCH": lambda sb, cid: _notes(sb),
    "REST method PUT": _method_names,
    "REST account PUT": lambda sb, cid: _accounts(sb, cid, "Price"),
    "SOAP AddEditClient": lambda sb, cid: _notes(sb),
    "SOAP AddEditClientDelivery": _method_names,
    "SOAP AddEditClientAccount": lambda sb, cid: _accounts(sb, cid, "Price"),
    "admin mutate": lambda sb, cid: _accounts(sb, cid, "Price"),
}


@pytest.mark.parametrize("kind", sorted(WRITES))
def test_every_write_shows_in_the_next_read(sb: Sandbox, kind: str) -> None:
    cid, mid, aid = _setup(sb)
    read = READS[kind]
    before = read(sb, cid)
    assert read(sb, cid) == before  # answered from the cache
    WRITES[kind](sb, cid, mid, aid)
    after = read(sb, cid)
    assert after != before and after in (["99"], ["after"]), (before, after)


def test_group_write_and_reset_show_in_the_next_read(sb: Sandbox) -> None:
    def groups() -> list[str]:
        return _texts(sb.asmx("GetClientGroups"), f"{Q}ClientGroupType/{Q}Description")

    group = {"ClientGroupUID": -1, "Description": "Gold", "DisplayOrder": 1}
    _ok(sb.soap("AddEditClientGroup", to_xml("Group", group)))
    assert groups() == groups() == ["Gold"]
    gid = sb.dump()["groups"][0]["ClientGroupUID"]
    group = {"ClientGroupUID": gid, "Description": "Platinum", "DisplayOrder": 1}
    _ok(sb.soap("AddEditClientGroup", to_xml("Group", group)))
    assert groups() == ["Platinum"]
    sb.http.post("/_sandbox/reset").raise_for_status()
    assert groups() == []


def test_a_lost_answer_still_commits_and_shows(sb: Sandbox) -> None:
    cid, mid, aid = _setup(sb)
    assert _accounts(sb, cid, "Price") == ["10"]
    sb.faults(next={"kind": "lost_answer"}, lost_answer_mode="500")
    assert sb.put_account(cid, account_body(cid, mid, uid=aid, Price=99)).status_code == 500
    assert _accounts(sb, cid, "Price") == ["99"]


def test_cached_reads_are_counted_and_faulted(sb: Sandbox) -> None:
    cid, _, _ = _setup(sb)
    first = sb.asmx("GetClientAccounts", ClientUID=cid)
    assert first.status_code == 200
    sb.http.post("/_sandbox/requests/reset").raise_for_status()
    sb.faults(
        next=[{"kind": "error_500"}, {"kind": "rate_limit_429"}, {"kind": "lost_answer"}],
        lost_answer_mode="500",
    )
    assert sb.asmx("GetClientAccounts", ClientUID=cid).status_code == 500
    assert sb.asmx("GetClientAccounts", ClientUID=cid).status_code == 429
    assert sb.asmx("GetClientAccounts", ClientUID=cid).status_code == 500
    sb.faults(next={"kind": "drop"})
    with pytest.raises(httpx.RemoteProtocolError):
        sb.asmx("GetClientAccounts", ClientUID=cid)
    again = sb.asmx("GetClientAccounts", ClientUID=cid)
    assert again.status_code == 200 and again.content == first.content
    assert sb.http.get("/_sandbox/requests").json() == {"GetClientAccounts": 5}


def test_store_renders_once_per_data_version(tmp_path: Path) -> None:
    db = str(tmp_path / "sandbox.db")
    store, other = Store(db), Store(db)  # `other`: another process on the same file
    renders: list[int] = []

    def render(tx: Reader) -> bytes:
        renders.append(1)
        return str([g["Description"] for g in tx.all("groups")]).encode()

    try:
        assert store.answer("groups", render) == store.answer("groups", render) == b"[]"
        assert len(renders) == 1
        with store.transaction() as tx:
            tx.insert("groups", None, {"Description": "Gold"})
        assert store.answer("groups", render) == b"['Gold']"
        with other.transaction() as tx:
            tx.insert("groups", None, {"Description": "Silver"})
        assert store.answer("groups", render) == b"['Gold', 'Silver']"
        with pytest.raises(RuntimeError), store.transaction() as tx:
            tx.insert("groups", None, {"Description": "Bronze"})
            raise RuntimeError("rolled back")
        assert store.answer("groups", render) == b"['Gold', 'Silver']"
        assert len(renders) == 4
    finally:
        store.close()
        other.close()
