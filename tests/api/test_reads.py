"""ASMX reads: request shape and typed decoding of realistic answers."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from apitest_helpers import (
    API_KEY,
    CLIENT_ACCOUNTS_XML,
    CLIENT_DATA_XML,
    CLIENT_GROUPS_XML,
    CLIENT_LIST_XML,
    LEAD_FIELDS_XML,
    LEAD_TYPES_XML,
    SINGLE_ACCOUNT_XML,
    STATES_XML,
    form,
    make_api,
    run,
    xml_response,
)
from hypothesis import given
from hypothesis import strategies as st

from lexsync.api.xmlcodec import decode_scalar, encode_scalar
from lexsync.errors import ApiError, AuthError

ANSWERS = {
    "GetClientList": CLIENT_LIST_XML,
    "GetClientData": CLIENT_DATA_XML,
    "GetClientGroups": CLIENT_GROUPS_XML,
    "GetClientAccounts": CLIENT_ACCOUNTS_XML,
    "GetClientAccount": SINGLE_ACCOUNT_XML,
    "GetAllCriteriaAccounts": CLIENT_ACCOUNTS_XML,
    "GetLeadTypes": LEAD_TYPES_XML,
    "GetLeadFields": LEAD_FIELDS_XML,
    "GetStateList": STATES_XML,
    "isUsernameUnique": '<boolean xmlns="http://tempuri.org/">true</boolean>',
}


class Recorder:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        method = request.url.path.rsplit("/", 1)[-1]
        return xml_response(ANSWERS[method])


async def read_all(api_handler: Recorder) -> dict:
    async with make_api(api_handler) as api:
        return {
            "list": await api.get_client_list(),
            "data": await api.get_client_data(1001),
            "groups": await api.get_client_groups(),
            "accounts": await api.get_client_accounts(1001),
            "account": await api.get_client_account(1001, 501),
            "criteria": await api.get_all_criteria_accounts(3, 44, "5"),
            "types": await api.get_lead_types(),
            "fields": await api.get_lead_fields(3),
            "states": await api.get_state_list(),
            "unique": await api.is_username_unique("acme"),
            "calls": dict(api.calls),
        }


def test_reads_send_key_in_form_body_and_parameters() -> None:
    rec = Recorder()
    result = run(read_all(rec))
    for request in rec.requests:
        assert request.method == "POST"
        assert request.url.path.startswith("/service.asmx/")
        assert request.url.query == b""  # the key never goes in a URL
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        assert form(request)["Key"] == API_KEY
    by_method = {r.url.path.rsplit("/", 1)[-1]: form(r) for r in rec.requests}
    assert by_method["GetClientData"]["ClientUID"] == "1001"
    assert by_method["GetClientAccount"] == {"Key": API_KEY, "ClientUID": "1001",
                                             "AccountUID": "501"}
    assert by_method["GetAllCriteriaAccounts"] == {"Key": API_KEY, "LeadTypeUID": "3",
                                                   "LeadFieldUID": "44", "Value": "5"}
    assert by_method["GetLeadTypes"]["LeadTypeUID"] == "0"
    assert by_method["GetLeadFields"]["LeadTypeUID"] == "3"
    assert by_method["isUsernameUnique"]["Username"] == "acme"
    assert result["calls"] == {m: 1 for m in ANSWERS}


def test_reads_decode_types() -> None:
    r = run(read_all(Recorder()))
    first, second = r["list"]
    # Status answered as a number (0-based position) reaches lexsync as its name.
    assert first["ClientUID"] == 1001 and first["Status"] == "Active" and first["TimeOffset"] == -8
    assert first["ResellerUID"] == -1
    assert first["Notes"] == "Best buyer & friend"
    # Obsolete fields are read to be sent back as read.
    assert first["OverrideReassign"] is True and first["IsLocked"] is False
    assert first["DateAdded"] == "2020-08-25T14:23:40.877"
    assert first["AutomationType"] == "RoundRobin"
    assert "Image" not in first
    assert second == {"ClientUID": 1002, "DateAdded": "2021-01-02T03:04:05", "Status": "New",
                      "OverrideReassign": False}  # missing elements -> absent keys

    assert r["data"][0]["FieldValue"] == "Acme Insurance"
    assert r["data"][1] == {"ClientFieldUID": 10, "Descriptor": "State", "DataType": "Int",
                            "Required": False, "SpecialBit": "State", "isState": True,
                            "FieldValue": ""}
    assert r["groups"] == [{"ClientGroupUID": 12, "Description": "Premium",
                            "DisplayOrder": 1, "ClientCount": 4}]
    assert r["types"][0]["LeadTypeUID"] == 3 and "Status" not in r["types"][0]  # obsolete
    assert r["fields"][0]["isState"] is True and "FieldEnums" not in r["fields"][0]
    assert r["states"][1] == {"StateUID": 6, "Name": "Colorado", "Abbr": "CO"}
    assert r["unique"] is True


def test_account_nesting() -> None:
    r = run(read_all(Recorder()))
    (account,) = r["accounts"]
    assert r["account"] == account
    assert r["criteria"] == [account]
    assert account["Price"] == 25.5 and isinstance(account["Price"], float)
    assert account["HourMax"] == -1 and account["Status"] == 12
    assert account["useOrder"] is False and account["RedirectURL"] == ""
    assert account["Criteria"] == [{"ClientCriteriaUID": 901, "LeadFieldUID": 44,
                                    "Type": "FieldValue", "Expression": "", "Operator": "In",
                                    "Value": "5,6"}]
    delivery = account["DeliveryDetails"]
    assert delivery["ClientDeliveryUID"] == 301 and delivery["Status"] is True
    assert delivery["Type"] == 0 and delivery["inTesting"] is False
    (setting,) = delivery["FieldSettings"]
    assert setting["FieldType"] == 1 and setting["LeadFieldUID"] == 44
    assert setting["hasMap"] is True
    assert setting["FieldMappings"] == [{"DeliveryMappingUID": 81, "DeliverySettingUID": 71,
                                         "DeliveryValue": "CA", "FieldValue": "5"}]
    assert delivery["DeliveryDays"] == [{"DeliveryDayUID": 61, "DeliveryUID": 301,
                                         "WeekDay": 1, "StaticDate": "1900-01-01T00:00:00",
                                         "StartTime": "1900-01-01T08:00:00",
                                         "EndTime": "1900-01-01T17:30:00", "Allow": True}]


def _read_with(answer: httpx.Response, method: str = "get_client_accounts") -> object:
    async def go() -> object:
        async with make_api(lambda request: answer) as api:
            fn = getattr(api, method)
            return await (fn(1001) if method == "get_client_accounts" else fn())
    return run(go())


def test_empty_lists_and_nil_account() -> None:
    empty = '<ArrayOfClientAccountType xmlns="http://tempuri.org/" />'
    assert _read_with(xml_response(empty)) == []
    nil = ('<ClientAccountType xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           'xsi:nil="true" xmlns="http://tempuri.org/" />')

    async def go() -> object:
        async with make_api(lambda request: xml_response(nil)) as api:
            return await api.get_client_account(1, 2)
    assert run(go()) is None


def test_absent_nested_lists_decode_as_empty() -> None:
    xml = ('<ArrayOfClientAccountType xmlns="http://tempuri.org/"><ClientAccountType>'
           "<ClientAccountUID>5</ClientAccountUID><DeliveryDetails>"
           "<ClientDeliveryUID>9</ClientDeliveryUID></DeliveryDetails>"
           "</ClientAccountType></ArrayOfClientAccountType>")
    (account,) = _read_with(xml_response(xml))  # type: ignore[misc]
    assert account["Criteria"] == []
    assert account["DeliveryDetails"] == {"ClientDeliveryUID": 9, "FieldSettings": [],
                                          "DeliveryDays": []}


@pytest.mark.parametrize(("xml", "fragment"), [
    ("<ArrayOfClientAccountType><ClientAccountType>", "malformed XML"),
    ("not xml at all", "malformed XML"),
    ('<ArrayOfClientAccountType xmlns="http://tempuri.org/"><ClientAccountType>'
     "<ClientAccountUID>abc</ClientAccountUID></ClientAccountType></ArrayOfClientAccountType>",
     "ClientAccountUID: 'abc' is not an integer"),
    ('<ArrayOfClientAccountType xmlns="http://tempuri.org/"><ClientAccountType>'
     "<Price>1.0</Price></ClientAccountType></ArrayOfClientAccountType>",
     "lacks required element(s) ClientAccountUID"),
    ('<ArrayOfClientAccountType xmlns="http://tempuri.org/"><ClientAccountType>'
     "<ClientAccountUID>1</ClientAccountUID><useOrder>yes</useOrder></ClientAccountType>"
     "</ArrayOfClientAccountType>", "'yes' is not a boolean"),
    ('<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" />',
     "a SOAP envelope where bare XML was expected"),
    ('<ArrayOfX xmlns="urn:any"><ClientAccount><ClientAccountUID>1</ClientAccountUID>'
     "<Price>cheap</Price></ClientAccount></ArrayOfX>",
     "/ArrayOfX/ClientAccount[1]/Price: 'cheap' is not a number"),
    ('<!DOCTYPE x [<!ENTITY a "aaaa">]><ArrayOfClientAccountType>&a;</ArrayOfClientAccountType>',
     "malformed XML"),
])
def test_bad_answers_raise_api_error(xml: str, fragment: str) -> None:
    with pytest.raises(ApiError) as info:
        _read_with(httpx.Response(200, text=xml))
    assert info.value.call == "GetClientAccounts"
    assert fragment in str(info.value)
    assert "GetClientAccounts" in str(info.value)


def test_wrong_key_is_auth_error_without_retry() -> None:
    seen: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(1)
        return httpx.Response(500, text="System.InvalidOperationException: Invalid API key.")
    with pytest.raises(AuthError) as info:
        _read_with_handler(handler)
    assert info.value.call == "GetClientList"
    assert len(seen) == 1


def test_unknown_method_answer_is_api_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, text="Not found")
    with pytest.raises(ApiError) as info:
        _read_with_handler(handler)
    assert info.value.status == 404 and "GetClientList" in str(info.value)


def _read_with_handler(handler) -> object:  # noqa: ANN001
    async def go() -> object:
        async with make_api(handler) as api:
            return await api.get_client_list()
    return run(go())


def test_unknown_method_is_not_retried() -> None:
    seen: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(1)
        return httpx.Response(500, text="System.InvalidOperationException: GetClientList "
                                        "Web Service method name is not valid.")
    with pytest.raises(ApiError, match="method name is not valid"):
        _read_with_handler(handler)
    assert len(seen) == 1


def test_concurrency_is_bounded_by_parallelism() -> None:
    active, peak = 0, 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.01)
        active -= 1
        return xml_response(CLIENT_GROUPS_XML)

    async def go() -> None:
        async with make_api(handler, parallelism=3) as api:  # type: ignore[arg-type]
            await asyncio.gather(*(api.get_client_groups() for _ in range(12)))
    run(go())
    assert peak == 3


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_int_round_trip(value: int) -> None:
    assert decode_scalar("int", encode_scalar(value)) == value


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_round_trip(value: float) -> None:
    assert decode_scalar("float", encode_scalar(value)) == value


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"))))
def test_string_escaping_round_trip(value: str) -> None:
    from defusedxml.ElementTree import fromstring

    from lexsync.api.xmlcodec import encode_element
    assert (fromstring(encode_element("Notes", value, {})).text or "") == value


def test_accounts_sharing_a_method_each_carry_it_decoded() -> None:
    method = ("<DeliveryDetails><ClientDeliveryUID>9</ClientDeliveryUID><Name>post</Name>"
              "</DeliveryDetails>")
    account = "<ClientAccountType><ClientAccountUID>{}</ClientAccountUID>" + method + "</ClientAccountType>"
    xml = ('<ArrayOfClientAccountType xmlns="http://tempuri.org/">'
           + account.format(5) + account.format(6) + "</ArrayOfClientAccountType>")
    for method_name in ("get_client_accounts", "get_all_criteria_accounts"):
        async def go(name: str = method_name) -> object:
            async with make_api(lambda request: xml_response(xml)) as api:
                fn = getattr(api, name)
                return await (fn(1001) if name == "get_client_accounts" else fn(1, 2, "x"))
        first, second = run(go())  # type: ignore[misc]
        assert first["DeliveryDetails"] == {"ClientDeliveryUID": 9, "Name": "post",
                                            "FieldSettings": [], "DeliveryDays": []}
        assert second["DeliveryDetails"] == first["DeliveryDetails"]
        assert second["DeliveryDetails"] is not first["DeliveryDetails"]  # no shared object
