"""Reads are tolerant of what the seed texts leave open: element names, the namespace, a
client's status as a number or a name; unknown elements are ignored and noted."""

from __future__ import annotations

import logging

import httpx
import pytest
from apitest_helpers import make_api, run, xml_response

from lexsync.api import wiretypes, xmlcodec
from lexsync.api.behaviour import WireBehaviour
from lexsync.errors import ApiError
from lexsync.sandbox import views, xmlio
from lexsync.sandbox.asmx import naming
from lexsync.sandbox.config import SandboxConfig

NS = "http://tempuri.org/"
ACCOUNT = {
    "ClientAccountUID": 6001, "ClientUID": 1001, "DeliveryUID": 2001, "Price": 25.5,
    "HourMax": 10, "DayMax": -1, "MonthMax": -1, "useOrder": False, "Status": 12,
    "DeliveryDelay": 0, "Description": "acme-ca", "RedirectURL": "", "AutomationEnabled": True,
    "AccountType": 0, "AgentName": "", "AgentPhone": "",
    "Criteria": [{"ClientCriteriaUID": 7001, "LeadFieldUID": 107, "Type": "FieldValue",
                  "Expression": "", "Operator": "In", "Value": "5,28"}],
    "DeliveryDetails": {
        "ClientDeliveryUID": 2001, "ClientUID": 1001, "Type": 0, "Name": "acme-post",
        "Status": True, "LeadTypeUID": 1,
        "FieldSettings": [{"DeliverySettingUID": 3001, "DeliveryUID": 2001, "Format": "",
                           "FieldType": 1, "FieldName": "st", "Value": "", "LeadFieldUID": 107,
                           "Expr": "", "hasMap": True,
                           "FieldMappings": [{"DeliveryMappingUID": 4001,
                                              "DeliverySettingUID": 3001,
                                              "DeliveryValue": "CA", "FieldValue": "5"}]}],
        "DeliveryDays": [{"DeliveryDayUID": 5001, "DeliveryUID": 2001, "WeekDay": 1,
                          "StaticDate": "1900-01-01T00:00:00", "StartTime": "1900-01-01T08:00:00",
                          "EndTime": "1900-01-01T18:00:00", "Allow": True}],
    },
}


def accounts_answer(profile: str, namespace: str = NS) -> bytes:
    config = SandboxConfig.for_profile(profile)
    return xmlio.array_document("ClientAccountType", [dict(ACCOUNT)], namespace, views.ACCOUNT,
                                naming(config))


@pytest.mark.parametrize(("profile", "namespace"), [
    ("today", NS), ("literal", NS), ("literal", ""), ("today", "urn:elsewhere")])
def test_an_answer_decodes_the_same_whatever_its_element_names(profile: str,
                                                                namespace: str) -> None:
    expected = xmlcodec.decode_array("GetClientAccounts",
                                     xmlcodec.parse("x", accounts_answer("today")),
                                     wiretypes.CLIENT_ACCOUNT)
    notes = xmlcodec.Notes()
    rows = xmlcodec.decode_array("GetClientAccounts",
                                 xmlcodec.parse("x", accounts_answer(profile, namespace)),
                                 wiretypes.CLIENT_ACCOUNT, notes)
    assert rows == expected
    assert rows[0]["DeliveryDetails"]["FieldSettings"][0]["FieldMappings"][0]["DeliveryValue"] == "CA"
    assert notes.namespace == namespace
    if profile == "literal":
        assert notes.items["ClientCriteriaType"] == "ClientCriteria"
        assert notes.items["DeliverySettingType"] == "DeliverySetting"
        assert notes.items["DeliveryMappingType"] == "DeliveryMapping"
        assert notes.aliases == {"FieldMappings": "Mappings"}
    else:
        assert notes.items["ClientCriteriaType"] == "ClientCriteriaType" and not notes.aliases


def test_an_empty_array_names_its_item_by_its_root() -> None:
    notes = xmlcodec.Notes()
    root = xmlcodec.parse("x", f'<ArrayOfClientField xmlns="{NS}" />')
    assert xmlcodec.decode_array("GetClientData", root, wiretypes.CLIENT_FIELD, notes) == []
    assert notes.root == "ArrayOfClientField" and notes.items == {"ClientFieldType": "ClientField"}


def test_unknown_elements_are_ignored_and_noted() -> None:
    text = (f'<ArrayOfStateType xmlns="{NS}"><State><StateUID>5</StateUID><Name>California'
            "</Name><Abbr>CA</Abbr><Capital>Sacramento</Capital><Extra><A>1</A></Extra>"
            "</State></ArrayOfStateType>")
    notes = xmlcodec.Notes()
    rows = xmlcodec.decode_array("GetStateList", xmlcodec.parse("x", text), wiretypes.STATE, notes)
    assert rows == [{"StateUID": 5, "Name": "California", "Abbr": "CA"}]
    assert notes.unknown_paths() == ["State/Capital", "State/Extra"]


def test_a_needed_field_missing_or_malformed_names_its_element_path() -> None:
    bad = (f'<ArrayOfClientType xmlns="{NS}"><ClientType><ClientUID>1</ClientUID></ClientType>'
           "<ClientType><ClientUID>two</ClientUID></ClientType></ArrayOfClientType>")
    with pytest.raises(ApiError) as caught:
        xmlcodec.decode_array("GetClientList", xmlcodec.parse("x", bad), wiretypes.CLIENT_ITEM)
    assert "/ArrayOfClientType/ClientType[2]/ClientUID: 'two' is not an integer" in str(caught.value)
    missing = f'<ArrayOfX xmlns="{NS}"><Y><Name>n</Name><Abbr>A</Abbr></Y></ArrayOfX>'
    with pytest.raises(ApiError, match=r"/ArrayOfX/Y\[1\] lacks required element\(s\) StateUID"):
        xmlcodec.decode_array("GetStateList", xmlcodec.parse("x", missing), wiretypes.STATE)


def test_an_obsolete_field_garbled_does_not_fail_the_answer() -> None:
    text = (f'<ArrayOfClientItemType xmlns="{NS}"><ClientItemType><ClientUID>1</ClientUID>'
            "<IsLocked>maybe</IsLocked><InternalUID>x</InternalUID><Status>6</Status>"
            "</ClientItemType></ArrayOfClientItemType>")
    rows = xmlcodec.decode_array("GetClientList", xmlcodec.parse("x", text), wiretypes.CLIENT_ITEM)
    # Kept as their text: obsolete fields are only ever sent back as read.
    assert rows == [{"ClientUID": 1, "Status": 6, "IsLocked": "maybe", "InternalUID": "x"}]


def client_list(status: str) -> str:
    return (f'<ArrayOfClientType xmlns="{NS}"><ClientType><ClientUID>1</ClientUID>'
            f"<Status>{status}</Status><Username>a</Username><Password>pw-1</Password>"
            "</ClientType></ArrayOfClientType>")


@pytest.mark.parametrize(("answered", "numbering", "name"), [
    ("6", "index0", "Active"), ("7", "index1", "Active"), ("0", "index0", "New"),
    ("Active", "index0", "Active"), ("inactive", "index1", "Inactive"), ("42", "index0", 42)])
def test_a_client_status_is_read_as_a_number_or_a_name(answered: str, numbering: str,
                                                       name: object) -> None:
    async def go() -> object:
        async with make_api(lambda r: xml_response(client_list(answered))) as api:
            api.use_behaviour(WireBehaviour.from_state({"client_status": {
                "value": numbering, "source": "doctor", "at": "2024-01-01T00:00:00Z"}}))
            [row] = await api.get_client_list()
            assert api.seen.client_status == {1: int(answered) if answered.isdigit() else answered}
            return row["Status"]
    assert run(go()) == name


def test_unknown_elements_are_listed_with_lexsync_debug_once(caplog: pytest.LogCaptureFixture) -> None:
    text = (f'<ArrayOfStateType xmlns="{NS}"><StateType><StateUID>1</StateUID><Name>Alabama'
            "</Name><Abbr>AL</Abbr><Capital>x</Capital></StateType></ArrayOfStateType>")

    async def go() -> None:
        async with make_api(lambda r: xml_response(text)) as api:
            await api.get_state_list()
            await api.get_state_list()
            assert api.seen.unknown == {"GetStateList": {"StateType/Capital"}}
    with caplog.at_level(logging.DEBUG, logger="lexsync.api"):
        run(go())
    lines = [r.getMessage() for r in caplog.records if "lexsync does not know" in r.getMessage()]
    assert lines == ["GetStateList: ignored elements lexsync does not know: StateType/Capital"]


def test_a_scalar_answer_is_read_whatever_its_root() -> None:
    async def go() -> bool:
        async with make_api(lambda r: xml_response("<Boolean>false</Boolean>")) as api:
            return await api.is_username_unique("x")
    assert run(go()) is False


def test_an_answer_in_another_protocol_is_refused() -> None:
    async def go() -> object:
        async with make_api(lambda r: httpx.Response(200, text="<html><body>login</body></html>")) as api:
            return await api.get_state_list()
    with pytest.raises(ApiError, match="an HTML page where bare XML was expected"):
        run(go())


def test_doctor_names_the_proxy_in_use_without_its_credentials(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from lexsync.api.httpclient import proxy_for

    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY",
                 "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert proxy_for("https://api.leadexec.net") is None
    monkeypatch.setenv("HTTPS_PROXY", "http://user:hunter2@proxy.corp:3128")
    assert proxy_for("https://api.leadexec.net") == "HTTPS_PROXY (http://proxy.corp:3128)"
    monkeypatch.setenv("NO_PROXY", "leadexec.net")
    assert proxy_for("https://api.leadexec.net") is None
