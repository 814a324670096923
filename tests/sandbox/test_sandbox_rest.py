"""REST v1 over a real socket: token, clients, methods, accounts, validation."""

from __future__ import annotations

import pytest

from .support import (
    Sandbox,
    account_body,
    client_body,
    criterion,
    day,
    mapping,
    method_body,
    setting,
)


def test_token_wrong_credentials_is_401(sb: Sandbox) -> None:
    r = sb.http.post(
        "/v1/authorization/token",
        json={"client_id": "sandbox", "client_secret": "nope", "grant_type": "client_credentials"},
    )
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"


def test_token_shape(sb: Sandbox) -> None:
    r = sb.http.post(
        "/v1/authorization/token",
        json={
            "client_id": "sandbox",
            "client_secret": "sandbox-secret",
            "grant_type": "client_credentials",
        },
    )
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["access_token"]


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic abc"])
def test_write_without_valid_bearer_is_401(sb: Sandbox, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    r = sb.http.patch("/v1/clients", json=client_body(), headers=headers)
    assert r.status_code == 401
    assert r.json() == {"error": "invalid_token"}
    assert sb.dump()["clients"] == []


def test_create_and_update_client(sb: Sandbox) -> None:
    r = sb.patch_client(client_body())
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    uid = int(r.text)
    stored = sb.dump()["clients"][0]
    assert stored["ClientUID"] == uid and stored["Status"] == "Active"
    assert stored["FieldData"] == [{"ClientFieldUID": 1, "Value": "Acme Corp"}]
    # PATCH: fields and field data not sent keep their values; no Username needed on update.
    body = client_body(uid=uid, Status="Suspended")
    del body["Info"]["Username"], body["Info"]["Password"], body["Info"]["Notes"]
    body["FieldData"] = [{"ClientFieldUID": 4, "Value": "ops@acme.test"}]
    r = sb.patch_client(body)
    assert r.text == str(uid)
    stored = sb.dump()["clients"][0]
    assert stored["Status"] == "Suspended" and stored["Username"] == "acme"
    assert stored["FieldData"] == [
        {"ClientFieldUID": 1, "Value": "Acme Corp"},
        {"ClientFieldUID": 4, "Value": "ops@acme.test"},
    ]


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda b: b["Info"].pop("Status"), "Info.Status"),
        (lambda b: b["Info"].update(Status="Open"), "Info.Status"),
        (lambda b: b["Info"].update(Status=6), "Info.Status"),
        (lambda b: b["Info"].update(UserUID="7"), "Info.UserUID"),
        (lambda b: b["Info"].update(OverrideReassign="yes"), "Info.OverrideReassign"),
        (lambda b: b["Info"].update(DateAdded="yesterday"), "Info.DateAdded"),
        (
            lambda b: b["Info"].update(DeliveryAccountAutomationType="Cheapest"),
            "Info.DeliveryAccountAutomationType",
        ),
        (lambda b: b["Info"].update(Colour="red"), "Info.Colour"),
        (lambda b: b["Info"].update(Username=""), "Info.Username"),
        (lambda b: b["Info"].pop("Password"), "Info.Password"),
        (lambda b: b["Info"].update(GroupUID=999), "Info.GroupUID"),
        (lambda b: b["Info"].update(ClientUID=424242), "Info.ClientUID"),
        (
            lambda b: b.update(FieldData=[{"ClientFieldUID": 99, "Value": "x"}]),
            "FieldData[0].ClientFieldUID",
        ),
        (lambda b: b.update(FieldData=[{"ClientFieldUID": 1}]), "FieldData[0].Value"),
        (lambda b: b.update(Extra=1), "Extra"),
    ],
)
def test_invalid_client_is_400_naming_the_field(sb: Sandbox, mutate, path: str) -> None:
    body = client_body()
    mutate(body)
    before = sb.dump()
    r = sb.patch_client(body)
    assert r.status_code == 400, r.text
    assert r.json()["Message"] == "The request is invalid."
    assert list(r.json()["ModelState"]) == [path]
    assert sb.dump() == before


def test_duplicate_username_rejected(sb: Sandbox) -> None:
    sb.new_client("acme")
    r = sb.patch_client(client_body(username="ACME"))
    assert r.status_code == 400
    assert "Info.Username" in r.json()["ModelState"]
    other = sb.new_client("globex")
    r = sb.patch_client(client_body(uid=other, username="acme"))
    assert r.status_code == 400
    assert len(sb.dump()["clients"]) == 2


def test_method_with_settings_mappings_days(sb: Sandbox) -> None:
    cid = sb.new_client()
    body = method_body(
        cid,
        FieldSettings=[
            setting(hasMap=True, FieldMappings=[mapping()]),
            setting(name="state", lead_field="107"),
        ],
    )
    r = sb.put_method(cid, body)
    assert r.status_code == 200, r.text
    mid = int(r.text)
    method = sb.dump()["methods"][0]
    assert method["ClientDeliveryUID"] == mid and method["ClientUID"] == cid
    first, second = method["FieldSettings"]
    assert first["DeliveryUID"] == mid and first["LeadFieldUID"] == 101
    assert second["LeadFieldUID"] == 107  # numeric string accepted, stored as int
    assert first["FieldMappings"][0]["DeliverySettingUID"] == first["DeliverySettingUID"]
    assert method["DeliveryDays"][0]["StartTime"] == "1900-01-01T08:00:00"


def test_sub_object_ids_stable_and_delete_flag(sb: Sandbox) -> None:
    cid = sb.new_client()
    body = method_body(
        cid,
        FieldSettings=[
            setting(
                name="a",
                hasMap=True,
                FieldMappings=[mapping(delivery="Y"), mapping(delivery="N", field="no")],
            ),
            setting(name="b"),
        ],
        DeliveryDays=[day(weekday=1), day(weekday=2)],
    )
    mid = int(sb.put_method(cid, body).text)
    first = sb.dump()["methods"][0]
    s_a, s_b = first["FieldSettings"]
    m_y, m_n = s_a["FieldMappings"]
    d1, d2 = first["DeliveryDays"]
    # Update: rename a, delete b, delete mapping N, keep day 1 (changed), drop day 2, add day 3.
    update = method_body(
        cid,
        uid=mid,
        Name="Renamed",
        FieldSettings=[
            setting(
                uid=s_a["DeliverySettingUID"],
                name="a2",
                DeliveryUID=mid,
                hasMap=True,
                FieldMappings=[
                    mapping(uid=m_y["DeliveryMappingUID"], delivery="YES"),
                    mapping(uid=m_n["DeliveryMappingUID"], Delete=True),
                ],
            ),
            setting(uid=s_b["DeliverySettingUID"], Delete=True),
        ],
        DeliveryDays=[day(uid=d1["DeliveryDayUID"], weekday=1, end="18:00"), day(weekday=3)],
    )
    assert sb.put_method(cid, update).text == str(mid)
    after = sb.dump()["methods"][0]
    assert after["Name"] == "Renamed"
    [s] = after["FieldSettings"]
    assert s["DeliverySettingUID"] == s_a["DeliverySettingUID"] and s["FieldName"] == "a2"
    assert s["FieldMappings"] == [
        {**m_y, "DeliveryValue": "YES"},
    ]
    days = after["DeliveryDays"]
    assert [d["WeekDay"] for d in days] == [1, 3]
    assert (
        days[0]["DeliveryDayUID"] == d1["DeliveryDayUID"]
        and days[0]["EndTime"] == "1900-01-01T18:00:00"
    )
    assert d2["DeliveryDayUID"] not in {d["DeliveryDayUID"] for d in days}
    # Settings not mentioned are kept.
    keep = method_body(cid, uid=mid, FieldSettings=[setting(name="c")])
    del keep["DeliveryDays"]
    sb.put_method(cid, keep)
    after2 = sb.dump()["methods"][0]
    assert [x["FieldName"] for x in after2["FieldSettings"]] == ["a2", "c"]
    assert after2["DeliveryDays"] == days


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda b: b.update(Type=12), "Type"),
        (lambda b: b.update(Status="true"), "Status"),
        (lambda b: b.pop("ClientEmail"), "ClientEmail"),
        (lambda b: b.update(LeadTypeUID=9), "LeadTypeUID"),
        (lambda b: b.update(ClientUID=1), "ClientUID"),
        (lambda b: b.update(Settings=[]), "Settings"),
        (lambda b: b["FieldSettings"][0].update(FieldType=9), "FieldSettings[0].FieldType"),
        (lambda b: b["FieldSettings"][0].pop("Delete"), "FieldSettings[0].Delete"),
        (lambda b: b["FieldSettings"][0].update(LeadFieldUID=201), "FieldSettings[0].LeadFieldUID"),
        (
            lambda b: b["FieldSettings"][0].update(LeadFieldUID="abc"),
            "FieldSettings[0].LeadFieldUID",
        ),
        (
            lambda b: b["FieldSettings"][0].update(DeliverySettingUID=3999),
            "FieldSettings[0].DeliverySettingUID",
        ),
        (lambda b: b["FieldSettings"][0].update(Mappings=[]), "FieldSettings[0].Mappings"),
        (
            lambda b: b["FieldSettings"][0].update(FieldMappings=[{"DeliveryMappingUID": 0}]),
            "FieldSettings[0].FieldMappings[0].Delete",
        ),
        (lambda b: b["DeliveryDays"][0].update(WeekDay=7), "DeliveryDays[0].WeekDay"),
        (lambda b: b["DeliveryDays"][0].update(StartTime="8am"), "DeliveryDays[0].StartTime"),
        (
            lambda b: b["DeliveryDays"][0].update(DeliveryDayUID=5999),
            "DeliveryDays[0].DeliveryDayUID",
        ),
    ],
)
def test_invalid_method_is_400_and_writes_nothing(sb: Sandbox, mutate, path: str) -> None:
    cid = sb.new_client()
    body = method_body(cid)
    mutate(body)
    before = sb.dump()
    r = sb.put_method(cid, body)
    assert r.status_code == 400, r.text
    assert list(r.json()["ModelState"]) == [path]
    assert sb.dump() == before


def test_stored_sub_object_sent_twice_or_under_another_parent_is_400(sb: Sandbox) -> None:
    cid = sb.new_client()
    body = method_body(cid, FieldSettings=[
        setting(name="a", hasMap=True, FieldMappings=[mapping(delivery="Y")]), setting(name="b")])
    mid = int(sb.put_method(cid, body).text)
    s_a, s_b = sb.dump()["methods"][0]["FieldSettings"]
    sid, other = s_a["DeliverySettingUID"], s_b["DeliverySettingUID"]
    mapping_uid = s_a["FieldMappings"][0]["DeliveryMappingUID"]
    before = sb.dump()
    cases = [
        ([setting(uid=sid, name="a", DeliveryUID=mid), setting(uid=sid, name="a", DeliveryUID=mid)],
         "FieldSettings[1].DeliverySettingUID", f"Field setting {sid} is sent twice."),
        ([setting(uid=sid, name="a", DeliveryUID=mid, hasMap=True, FieldMappings=[
            mapping(uid=mapping_uid, DeliverySettingUID=sid),
            mapping(uid=mapping_uid, DeliverySettingUID=sid)])],
         "FieldSettings[0].FieldMappings[1].DeliveryMappingUID",
         f"Value mapping {mapping_uid} is sent twice."),
        ([setting(uid=other, name="b", DeliveryUID=mid, hasMap=True, FieldMappings=[
            mapping(uid=mapping_uid, DeliverySettingUID=other)])],
         "FieldSettings[0].FieldMappings[0].DeliveryMappingUID",
         f"Value mapping {mapping_uid} does not exist on field setting {other}."),
    ]
    for settings, path, message in cases:
        r = sb.put_method(cid, method_body(cid, uid=mid, FieldSettings=settings))
        assert r.status_code == 400, r.text
        assert r.json()["ModelState"] == {path: [message]}
        assert sb.dump() == before


def test_bad_sub_object_after_good_ones_does_not_half_write(sb: Sandbox) -> None:
    cid = sb.new_client()
    mid = sb.new_method(cid)
    before = sb.dump()
    body = method_body(
        cid, uid=mid, Name="changed", FieldSettings=[setting(name="ok"), setting(lead_field=999)]
    )
    r = sb.put_method(cid, body)
    assert r.status_code == 400
    assert sb.dump() == before


def test_method_of_another_client_rejected(sb: Sandbox) -> None:
    a = sb.new_client("a")
    b = sb.new_client("b")
    mid = sb.new_method(a)
    r = sb.put_method(b, method_body(b, uid=mid))
    assert r.status_code == 400
    assert r.json()["ModelState"] == {
        "ClientDeliveryUID": [f"Delivery method {mid} does not exist for client {b}."]}


def test_account_of_another_client_rejected(sb: Sandbox) -> None:
    a = sb.new_client("a")
    b = sb.new_client("b")
    aid = sb.new_account(a, sb.new_method(a))
    r = sb.put_account(b, account_body(b, sb.new_method(b), uid=aid))
    assert r.status_code == 400
    assert r.json()["ModelState"] == {
        "ClientAccountUID": [f"Delivery account {aid} does not exist for client {b}."]}


def test_account_create_update_and_criteria_replaced(sb: Sandbox) -> None:
    cid = sb.new_client()
    mid = sb.new_method(cid)
    r = sb.put_account(
        cid,
        account_body(
            cid,
            mid,
            Criteria=[criterion(), criterion(field=109, op="GreaterOrEqual", value="25")],
            OfferEnabled=True,
            OfferAmount="9.99",
        ),
    )
    assert r.status_code == 200, r.text
    aid = int(r.text)
    acc = sb.dump()["accounts"][0]
    assert acc["ClientAccountUID"] == aid and acc["WeekMax"] == 200 and acc["OfferAmount"] == "9.99"
    c_state, c_age = acc["Criteria"]
    body = account_body(
        cid,
        mid,
        uid=aid,
        Price=30,
        Criteria=[
            criterion(uid=c_age["ClientCriteriaUID"], field=109, op="Less", value="65"),
            criterion(field=105, op="Equal", value="Austin"),
        ],
    )
    assert sb.put_account(cid, body).text == str(aid)
    acc = sb.dump()["accounts"][0]
    assert acc["Price"] == 30 and acc["OfferEnabled"] is True and acc["OfferAmount"] == "9.99"
    assert [c["LeadFieldUID"] for c in acc["Criteria"]] == [109, 105]
    assert acc["Criteria"][0]["ClientCriteriaUID"] == c_age["ClientCriteriaUID"]
    assert c_state["ClientCriteriaUID"] not in {c["ClientCriteriaUID"] for c in acc["Criteria"]}
    # Trailing slash accepted; empty list clears the criteria.
    r = sb.http.put(
        f"/v1/delivery/{cid}/accounts/",
        json=account_body(cid, mid, uid=aid, Criteria=[]),
        headers=sb.auth(),
    )
    assert r.status_code == 200
    assert sb.dump()["accounts"][0]["Criteria"] == []


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda b: b.update(Status=0), "Status"),
        (lambda b: b.update(AccountType=4), "AccountType"),
        (lambda b: b.update(Price="25"), "Price"),
        (lambda b: b.update(HourMax=-2), "HourMax"),
        (lambda b: b.update(DayMax=2**31), "DayMax"),
        (lambda b: b.pop("WeekMax"), "WeekMax"),
        (lambda b: b.pop("AlternatePosting"), "AlternatePosting"),
        (lambda b: b.update(AlternatePosting=2999), "AlternatePosting"),
        (lambda b: b.update(OfferEnabled="no"), "OfferEnabled"),
        (lambda b: b.update(OfferStartDate="soon"), "OfferStartDate"),
        (lambda b: b.update(ClientUID=b["ClientUID"] + 1), "ClientUID"),
        (lambda b: b.update(ClientAccountUID=6999), "ClientAccountUID"),
        (lambda b: b["Criteria"][0].update(Operator="Like"), "Criteria[0].Operator"),
        (lambda b: b["Criteria"][0].update(Type="Regex"), "Criteria[0].Type"),
        (lambda b: b["Criteria"][0].update(LeadFieldUID=201), "Criteria[0].LeadFieldUID"),
        (lambda b: b["Criteria"][0].update(Value="CA,TX"), "Criteria[0].Value"),
        (
            lambda b: b["Criteria"][0].update(ClientCriteriaUID=7999),
            "Criteria[0].ClientCriteriaUID",
        ),
    ],
)
def test_invalid_account_is_400_and_writes_nothing(sb: Sandbox, mutate, path: str) -> None:
    cid = sb.new_client()
    mid = sb.new_method(cid)
    body = account_body(cid, mid)
    mutate(body)
    before = sb.dump()
    r = sb.put_account(cid, body)
    assert r.status_code == 400, r.text
    assert list(r.json()["ModelState"]) == [path]
    assert sb.dump() == before


def test_delivery_uid_of_another_client_rejected(sb: Sandbox) -> None:
    a = sb.new_client("a")
    b = sb.new_client("b")
    mid_a = sb.new_method(a)
    r = sb.put_account(b, account_body(b, mid_a))
    assert r.status_code == 400
    assert "DeliveryUID" in r.json()["ModelState"]
    assert sb.dump()["accounts"] == []


def test_path_client_must_exist_and_match(sb: Sandbox) -> None:
    cid = sb.new_client()
    r = sb.put_method(999999, method_body(999999))
    assert r.status_code == 400 and "ClientUID" in r.json()["ModelState"]
    r = sb.put_method(cid + 1, method_body(cid))
    assert r.status_code == 400 and "ClientUID" in r.json()["ModelState"]


def test_non_json_body_is_400_and_wrong_media_type_415(sb: Sandbox) -> None:
    r = sb.http.patch(
        "/v1/clients", content=b"{nope", headers={**sb.auth(), "Content-Type": "application/json"}
    )
    assert r.status_code == 400
    r = sb.http.patch(
        "/v1/clients", content=b"x=1", headers={**sb.auth(), "Content-Type": "text/plain"}
    )
    assert r.status_code == 415
