"""service.asmx reads over GET and form POST: shapes, seed data, key and parameter errors."""

from __future__ import annotations

import defusedxml.ElementTree as ET
import pytest

from .support import KEY, NS, Sandbox, account_body, client_body, criterion

Q = f"{{{NS}}}"


def _items(text: str, item: str) -> list[dict[str, str]]:
    root = ET.fromstring(text)
    return [{c.tag.removeprefix(Q): (c.text or "") for c in el} for el in root.findall(Q + item)]


def test_seed_lead_types_fields_states(sb: Sandbox) -> None:
    r = sb.asmx("GetLeadTypes", LeadTypeUID=0)
    assert r.status_code == 200 and r.headers["content-type"] == "text/xml; charset=utf-8"
    root = ET.fromstring(r.text)
    assert root.tag == Q + "ArrayOfLeadTypeType"
    types = _items(r.text, "LeadTypeType")
    assert [(t["LeadTypeUID"], t["Descriptor"]) for t in types] == [
        ("1", "Auto Insurance"), ("2", "Home Insurance"), ("3", "Solar"), ("4", "Debt"),
    ]  # fmt: skip
    assert len(_items(sb.asmx("GetLeadTypes", LeadTypeUID=3).text, "LeadTypeType")) == 1
    all_uids: set[str] = set()
    for type_uid in (1, 2, 3, 4):
        fields = _items(sb.asmx("GetLeadFields", LeadTypeUID=type_uid).text, "LeadFieldType")
        by_name = {f["Descriptor"]: f for f in fields}
        for name in (
            "FirstName",
            "LastName",
            "Email",
            "Phone",
            "Address",
            "City",
            "State",
            "Zip",
            "Age",
            "DateOfBirth",
        ):
            assert name in by_name
        assert (
            by_name["State"]["isState"] == "true" and by_name["State"]["FieldDataType"] == "Varchar"
        )
        assert by_name["Age"]["FieldDataType"] == "Int"
        assert by_name["DateOfBirth"]["FieldDataType"] == "DateTime"
        uids = {f["LeadFieldUID"] for f in fields}
        assert not uids & all_uids
        all_uids |= uids
    solar = {
        f["Descriptor"]: f
        for f in _items(sb.asmx("GetLeadFields", LeadTypeUID=3).text, "LeadFieldType")
    }
    assert (
        solar["MonthlyBill"]["FieldDataType"] == "Money"
        and solar["HomeOwner"]["FieldDataType"] == "Bit"
    )
    states = _items(sb.asmx("GetStateList").text, "StateType")
    assert len(states) == 51
    assert {"StateUID": "5", "Name": "California", "Abbr": "CA"} in states
    assert any(s["Abbr"] == "DC" for s in states)


def test_client_reads(sb: Sandbox) -> None:
    cid = sb.new_client(TimeOffset=-5)
    [item] = _items(sb.asmx("GetClientList").text, "ClientItemType")
    assert (
        item["ClientUID"] == str(cid)
        and item["Status"] == "6"
        and item["AutomationType"] == "Price"
    )
    assert (
        item["Username"] == "acme"
        and item["TimeOffset"] == "-5"
        and item["OverrideReassign"] == "false"
    )
    data = _items(sb.asmx("GetClientData", ClientUID=cid).text, "ClientFieldType")
    assert [d["ClientFieldUID"] for d in data] == [str(i) for i in range(1, 18)]
    assert data[0]["FieldValue"] == "Acme Corp" and data[1]["FieldValue"] == ""
    assert data[9]["SpecialBit"] == "State" and data[9]["isState"] == "true"


def test_username_unique(sb: Sandbox) -> None:
    sb.new_client("acme")
    r = sb.asmx("isUsernameUnique", Username="acme")
    root = ET.fromstring(r.text)
    assert root.tag == Q + "boolean" and root.text == "false"
    assert ET.fromstring(sb.asmx("isUsernameUnique", Username="other").text).text == "true"
    assert ET.fromstring(sb.asmx("isUsernameUnique", Username="ACME").text).text == "false"


def test_username_taken_in_any_case_is_refused_but_kept_by_its_client(sb: Sandbox) -> None:
    uid = sb.new_client("Acme-Portal")
    other = sb.new_client("beta")
    r = sb.patch_client(client_body(username="acme-PORTAL"))
    assert r.status_code == 400 and "Username 'acme-PORTAL' is already in use." in r.text
    r = sb.patch_client(client_body(uid=other, username="ACME-portal"))
    assert r.status_code == 400 and "already in use" in r.text
    r = sb.patch_client(client_body(uid=uid, username="acme-portal"))  # its own, recased
    assert r.status_code == 200, r.text


def test_account_reads_carry_delivery_details(sb: Sandbox) -> None:
    cid = sb.new_client()
    mid = sb.new_method(cid)
    aid = sb.new_account(cid, mid, OfferEnabled=True)
    r = sb.asmx("GetClientAccounts", ClientUID=cid)
    root = ET.fromstring(r.text)
    [acc] = root.findall(Q + "ClientAccountType")
    assert acc.findtext(Q + "ClientAccountUID") == str(aid)
    assert acc.findtext(Q + "Price") == "25.5"
    for absent in ("WeekMax", "AlternatePosting", "OfferEnabled"):
        assert acc.find(Q + absent) is None
    crit = acc.find(f"{Q}Criteria/{Q}ClientCriteriaType")
    assert (
        crit is not None
        and crit.findtext(Q + "Operator") == "In"
        and crit.findtext(Q + "Value") == "5,10"
    )
    details = acc.find(Q + "DeliveryDetails")
    assert details is not None and details.findtext(Q + "ClientDeliveryUID") == str(mid)
    setting = details.find(f"{Q}FieldSettings/{Q}DeliverySettingType")
    assert setting is not None and setting.findtext(Q + "LeadFieldUID") == "101"
    assert setting.find(Q + "FieldMappings") is not None
    d = details.find(f"{Q}DeliveryDays/{Q}DeliveryDayType")
    assert d is not None and d.findtext(Q + "StartTime") == "1900-01-01T08:00:00"
    single = ET.fromstring(sb.asmx("GetClientAccount", ClientUID=cid, AccountUID=aid).text)
    assert (
        single.tag == Q + "ClientAccountType"
        and single.findtext(Q + "Description") == "CA auto leads"
    )
    missing = ET.fromstring(sb.asmx("GetClientAccount", ClientUID=cid, AccountUID=1).text)
    assert missing.get("{http://www.w3.org/2001/XMLSchema-instance}nil") == "true"


def test_get_all_criteria_accounts(sb: Sandbox) -> None:
    cid = sb.new_client()
    mid = sb.new_method(cid)
    a1 = sb.new_account(cid, mid)
    r = sb.put_account(
        cid, account_body(cid, mid, Criteria=[criterion(field=109, op="Less", value="65")])
    )
    a2 = int(r.text)

    def found(**params: object) -> list[str]:
        text = sb.asmx("GetAllCriteriaAccounts", **params).text
        return [i["ClientAccountUID"] for i in _items(text, "ClientAccountType")]

    assert found(LeadTypeUID=1, LeadFieldUID=107, Value="") == [str(a1)]
    assert found(LeadTypeUID=1, LeadFieldUID=109, Value="65") == [str(a2)]
    assert found(LeadTypeUID=1, LeadFieldUID=109, Value="70") == []
    assert found(LeadTypeUID=2, LeadFieldUID=107, Value="") == []


def test_form_post_and_case_insensitive_params(sb: Sandbox) -> None:
    r = sb.http.post("/service.asmx/GetLeadFields", data={"key": KEY, "leadtypeuid": "2"})
    assert r.status_code == 200
    assert len(_items(r.text, "LeadFieldType")) == 12


@pytest.mark.parametrize("key", [None, "", "wrong"])
def test_wrong_key_is_aspnet_500(sb: Sandbox, key: str | None) -> None:
    params = {} if key is None else {"Key": key}
    r = sb.http.get("/service.asmx/GetClientList", params=params)
    assert r.status_code == 500
    assert r.headers["content-type"].startswith("text/plain")
    assert r.text == "System.InvalidOperationException: Invalid API key."


def test_missing_and_bad_parameters(sb: Sandbox) -> None:
    r = sb.asmx("GetClientData")
    assert (
        r.status_code == 500
        and r.text == "System.InvalidOperationException: Missing parameter: ClientUID."
    )
    r = sb.asmx("GetClientData", ClientUID="abc")
    assert r.status_code == 500 and r.text.startswith(
        "System.ArgumentException: Cannot convert abc to System.Int64."
    )


def test_unknown_method(sb: Sandbox) -> None:
    r = sb.asmx("GetEverything")
    assert r.status_code == 500
    assert (
        r.text
        == "System.InvalidOperationException: GetEverything Web Service method name is not valid."
    )
