"""SOAP 1.1 writes: envelopes in, IDs or faults out, same semantics as REST."""

from __future__ import annotations

import defusedxml.ElementTree as ET
import pytest

from .support import (
    NS,
    Sandbox,
    account_body,
    criterion,
    envelope,
    mapping,
    method_body,
    setting,
    to_xml,
)

SOAP = "{http://schemas.xmlsoap.org/soap/envelope/}"


def _result(text: str, method: str) -> int:
    root = ET.fromstring(text)
    value = root.findtext(f"{SOAP}Body/{{{NS}}}{method}Response/{{{NS}}}{method}Result")
    assert value is not None, text
    return int(value)


def _fault(text: str) -> tuple[str, str]:
    root = ET.fromstring(text)
    fault = root.find(f"{SOAP}Body/{SOAP}Fault")
    assert fault is not None, text
    return fault.findtext("faultcode") or "", fault.findtext("faultstring") or ""


def _client_xml(uid: int = -1, username: str = "soapy", **extra: object) -> str:
    client = {
        "ClientUID": uid,
        "DateAdded": "2024-01-02T03:04:05",
        "Status": "Active",
        "UserUID": 0,
        "TimeOffset": -8,
        "Notes": "from soap",
        "TimeZoneName": "Pacific Standard Time",
        "ResellerUID": -1,
        "GroupUID": 0,
        "Username": username,
        "Password": "pw",
        "OverrideReassign": True,
        **extra,
    }
    return to_xml("Client", client) + to_xml("FieldData", {}).replace(
        "<FieldData></FieldData>",
        "<FieldData><ClientFieldType><ClientFieldUID>2</ClientFieldUID><FieldValue>Ann</FieldValue>"
        "</ClientFieldType></FieldData>",
    )


def _soap_method(client_uid: int, uid: int = -1, **kw: object) -> dict:
    body = method_body(client_uid, uid=uid, **kw)
    for s in body["FieldSettings"]:
        if not s["Delete"]:
            del s["Delete"]  # optional in SOAP
    return body


def _soap_account(client_uid: int, delivery_uid: int, uid: int = -1, **kw: object) -> dict:
    body = account_body(client_uid, delivery_uid, uid=uid, **kw)
    del body["WeekMax"], body["AlternatePosting"]
    return body


def test_add_edit_client_and_group(sb: Sandbox) -> None:
    r = sb.soap(
        "AddEditClientGroup",
        to_xml("Group", {"ClientGroupUID": -1, "Description": "Gold", "DisplayOrder": 1}),
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/xml")
    gid = _result(r.text, "AddEditClientGroup")
    r = sb.soap("AddEditClient", _client_xml(GroupUID=gid))
    cid = _result(r.text, "AddEditClient")
    dump = sb.dump()
    assert dump["groups"] == [{"ClientGroupUID": gid, "Description": "Gold", "DisplayOrder": 1}]
    [client] = dump["clients"]
    assert client["ClientUID"] == cid and client["GroupUID"] == gid and client["ResellerUID"] == -1
    assert client["FieldData"] == [{"ClientFieldUID": 2, "Value": "Ann"}]
    groups = ET.fromstring(sb.asmx("GetClientGroups").text)
    assert groups.findtext(f"{{{NS}}}ClientGroupType/{{{NS}}}ClientCount") == "1"
    # Update keeps the REST-only automation type; rename the group.
    assert (
        _result(
            sb.soap("AddEditClient", _client_xml(uid=cid, Status="Closed")).text, "AddEditClient"
        )
        == cid
    )
    assert sb.dump()["clients"][0]["Status"] == "Closed"
    r = sb.soap(
        "AddEditClientGroup",
        to_xml("Group", {"ClientGroupUID": gid, "Description": "Platinum", "DisplayOrder": 2}),
    )
    assert _result(r.text, "AddEditClientGroup") == gid
    assert sb.dump()["groups"][0]["Description"] == "Platinum"


def test_add_edit_delivery_and_account(sb: Sandbox) -> None:
    cid = sb.new_client()
    body = _soap_method(cid, FieldSettings=[setting(hasMap=True, FieldMappings=[mapping()])])
    for s in body["FieldSettings"]:
        s.pop("Delete", None)
        for m in s["FieldMappings"]:
            m.pop("Delete")
    mid = _result(
        sb.soap("AddEditClientDelivery", to_xml("delivery", body)).text, "AddEditClientDelivery"
    )
    method = sb.dump()["methods"][0]
    assert method["ClientDeliveryUID"] == mid
    sid = method["FieldSettings"][0]["DeliverySettingUID"]
    # Delete flag removes a setting over SOAP too.
    upd = _soap_method(cid, uid=mid, FieldSettings=[setting(uid=sid, DeliveryUID=mid, Delete=True)])
    assert (
        _result(
            sb.soap("AddEditClientDelivery", to_xml("delivery", upd)).text, "AddEditClientDelivery"
        )
        == mid
    )
    assert sb.dump()["methods"][0]["FieldSettings"] == []
    acc = _soap_account(cid, mid, Criteria=[criterion()], DeliveryDetails={"Name": "ignored"})
    aid = _result(
        sb.soap("AddEditClientAccount", to_xml("account", acc)).text, "AddEditClientAccount"
    )
    stored = sb.dump()["accounts"][0]
    assert stored["ClientAccountUID"] == aid and stored["Price"] == 25.5 and stored["WeekMax"] == -1
    # A REST-set WeekMax survives a SOAP update (which cannot carry it).
    sb.put_account(cid, account_body(cid, mid, uid=aid, WeekMax=70))
    acc2 = _soap_account(cid, mid, uid=aid, Price=40, Criteria=[])
    assert (
        _result(
            sb.soap("AddEditClientAccount", to_xml("account", acc2)).text, "AddEditClientAccount"
        )
        == aid
    )
    stored = sb.dump()["accounts"][0]
    assert stored["WeekMax"] == 70 and stored["Price"] == 40 and stored["Criteria"] == []


def test_wrong_key_is_soap_fault(sb: Sandbox) -> None:
    r = sb.soap("AddEditClient", _client_xml(), key="bad")
    assert r.status_code == 500
    code, message = _fault(r.text)
    assert code == "soap:Client"
    assert message.startswith("System.Web.Services.Protocols.SoapException: ")
    assert sb.dump()["clients"] == []


@pytest.mark.parametrize(
    ("inner", "needle"),
    [
        (_client_xml(Status="Open"), "Client.Status"),
        (_client_xml(AutomationType="Price"), "Client.AutomationType"),
        (_client_xml(ClientUID="x"), "Client.ClientUID"),
        (_client_xml(Username=""), "Client.Username"),
        (_client_xml(GroupUID=77), "Client.GroupUID"),
        (_client_xml(OverrideReassign="maybe"), "Client.OverrideReassign"),
    ],
)
def test_invalid_client_is_fault_naming_field(sb: Sandbox, inner: str, needle: str) -> None:
    r = sb.soap("AddEditClient", inner)
    assert r.status_code == 500
    code, message = _fault(r.text)
    assert code == "soap:Client" and f"SoapException: {needle}:" in message
    assert sb.dump()["clients"] == []


def test_duplicate_username_soap(sb: Sandbox) -> None:
    sb.new_client("soapy")
    _, message = _fault(sb.soap("AddEditClient", _client_xml(username="soapy")).text)
    assert "Client.Username" in message


def test_invalid_account_and_delivery_faults(sb: Sandbox) -> None:
    a = sb.new_client("a")
    b = sb.new_client("b")
    mid = sb.new_method(a)
    before = sb.dump()
    cases = [
        (to_xml("account", {**_soap_account(a, mid), "WeekMax": 5}), "account.WeekMax"),
        (
            to_xml("account", {**_soap_account(a, mid), "OfferEnabled": True}),
            "account.OfferEnabled",
        ),
        (to_xml("account", _soap_account(a, mid, Status=5)), "account.Status"),
        (to_xml("account", _soap_account(b, mid)), "account.DeliveryUID"),
        (
            to_xml("account", _soap_account(a, mid, Criteria=[criterion(field=301)])),
            "account.Criteria[0].LeadFieldUID",
        ),
    ]
    for inner, needle in cases:
        r = sb.soap("AddEditClientAccount", inner)
        assert r.status_code == 500, inner
        assert f"{needle}:" in _fault(r.text)[1]
    bad_setting = _soap_method(a, FieldSettings=[setting(FieldType=10)])
    bad_setting["FieldSettings"][0].pop("Delete", None)
    r = sb.soap("AddEditClientDelivery", to_xml("delivery", bad_setting))
    assert "delivery.FieldSettings[0].FieldType:" in _fault(r.text)[1]
    assert sb.dump() == before


def test_protocol_errors(sb: Sandbox) -> None:
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{NS}DropAllTables"'}
    r = sb.http.post("/service.asmx", content=envelope("DropAllTables", ""), headers=headers)
    assert r.status_code == 500 and "SOAPAction" in _fault(r.text)[1]
    headers["SOAPAction"] = f'"{NS}AddEditClient"'
    r = sb.http.post("/service.asmx", content=b"<not-xml", headers=headers)
    assert r.status_code == 500 and "unable to read request" in _fault(r.text)[1]
    r = sb.http.post("/service.asmx", content=envelope("AddEditClientGroup", ""), headers=headers)
    assert r.status_code == 500 and "does not match" in _fault(r.text)[1]
    entity = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    r = sb.http.post("/service.asmx", content=entity, headers=headers)
    assert r.status_code == 500
    wrong_ns = envelope("AddEditClient", _client_xml()).replace(
        f'xmlns="{NS}"', 'xmlns="urn:other"'
    )
    r = sb.http.post("/service.asmx", content=wrong_ns, headers=headers)
    assert r.status_code == 500
    assert sb.dump()["clients"] == []
