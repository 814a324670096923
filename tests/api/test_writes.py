"""Writes in both dialects: method, path, headers and body exactly as docs/wire.md says."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from apitest_helpers import (
    API_KEY,
    CLIENT_ID,
    CLIENT_SECRET,
    TOKEN,
    json_body,
    make_api,
    run,
    soap_call,
    soap_fault,
    soap_result,
    token_response,
)

from lexsync.api.protocol import SavedWithoutId
from lexsync.errors import ApiError, AuthError

CLIENT_BODY = {
    "Info": {"ClientUID": 0, "DateAdded": "2020-08-21T16:38:22", "Status": "Active",
             "UserUID": 0, "TimeOffset": -8, "Notes": "a <b> & c", "TimeZoneName": "Pacific",
             "ResellerUID": 0, "GroupUID": 12, "Username": "acme", "Password": "pw-123456",
             "OverrideReassign": True, "DeliveryAccountAutomationType": "Price"},
    "FieldData": [{"ClientFieldUID": 1, "Value": "Acme"}, {"ClientFieldUID": 10, "Value": "5"}],
}

METHOD_BODY = {
    "ClientDeliveryUID": 0, "ClientUID": 1001, "Type": 0, "Name": "Post", "Status": True,
    "DateAdded": "2020-08-25T21:54:05", "inTesting": False, "LeadTypeUID": 3,
    "FTPPassword": "ftp-secret-1", "DeliveryAddress": "https://crm.example/x",
    "FieldSettings": [{
        "DeliverySettingUID": 0, "DeliveryUID": 0, "Delete": False, "Format": "",
        "FieldType": 1, "FieldName": "state", "Value": "", "LeadFieldUID": 44, "Expr": "",
        "hasMap": True,
        "FieldMappings": [{"DeliveryMappingUID": 0, "Delete": False, "DeliverySettingUID": 0,
                           "DeliveryValue": "CA", "FieldValue": "5"}],
    }],
    "DeliveryDays": [{"DeliveryDayUID": 61, "DeliveryUID": 301, "WeekDay": 1,
                      "StaticDate": "1900-01-01T00:00:00", "StartTime": "1900-01-01T08:00:00",
                      "EndTime": "1900-01-01T17:30:00", "Allow": True}],
}

ACCOUNT_BODY = {
    "ClientAccountUID": 0, "ClientUID": 1001, "DeliveryUID": 301, "Price": 25.5,
    "HourMax": -1, "DayMax": 50, "MonthMax": 1000, "WeekMax": 200, "useOrder": False,
    "Status": 12, "DeliveryDelay": 0, "Description": "Auto CA", "RedirectURL": "",
    "AutomationEnabled": True, "AlternatePosting": 0, "AccountType": 0, "AgentName": "",
    "AgentPhone": "", "OfferEnabled": False, "OfferName": "x",
    "Criteria": [{"ClientCriteriaUID": 0, "LeadFieldUID": 44, "Type": "FieldValue",
                  "Expression": "", "Operator": "In", "Value": "5,6"}],
}


class RestServer:
    def __init__(self, answer: str = "4242") -> None:
        self.requests: list[httpx.Request] = []
        self.answer = answer

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/v1/authorization/token":
            return token_response()
        return httpx.Response(200, text=self.answer, headers={"Content-Type": "text/plain"})


class SoapServer:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        method, _ = soap_call(request)
        return soap_result(method, 777)


def test_token_request_shape() -> None:
    server = RestServer()

    async def go() -> int:
        async with make_api(server) as api:
            return await api.write_client(CLIENT_BODY)
    assert run(go()) == 4242
    token_req, write_req = server.requests
    assert token_req.method == "POST" and token_req.url.path == "/v1/authorization/token"
    assert json_body(token_req) == {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                                    "grant_type": "client_credentials"}
    assert write_req.headers["Authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize(("write", "args", "method", "path", "call"), [
    ("write_client", (CLIENT_BODY,), "PATCH", "/v1/clients", "PATCH /v1/clients"),
    ("write_method", (1001, METHOD_BODY), "PUT", "/v1/delivery/1001/methods",
     "PUT /v1/delivery/{ClientUID}/methods"),
    ("write_account", (1001, ACCOUNT_BODY), "PUT", "/v1/delivery/1001/accounts",
     "PUT /v1/delivery/{ClientUID}/accounts"),
])
def test_rest_writes(write: str, args: tuple, method: str, path: str, call: str) -> None:
    server = RestServer()

    async def go() -> tuple[int, dict]:
        async with make_api(server) as api:
            result = await getattr(api, write)(*args)
            return result, dict(api.calls)
    result, calls = run(go())
    assert result == 4242
    request = server.requests[-1]
    assert (request.method, request.url.path) == (method, path)
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert json_body(request) == args[-1]  # the v1 body, unchanged
    assert calls == {"token": 1, call: 1}


def test_soap_client_write() -> None:
    server = SoapServer()

    async def go() -> tuple[int, dict]:
        async with make_api(server, dialect="soap") as api:
            return await api.write_client(CLIENT_BODY), dict(api.calls)
    result, calls = run(go())
    assert result == 777 and calls == {"AddEditClient": 1}
    (request,) = server.requests
    assert request.method == "POST" and request.url.path == "/service.asmx"
    assert request.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert request.headers["SOAPAction"] == '"http://tempuri.org/AddEditClient"'
    method, parts = soap_call(request)
    assert method == "AddEditClient"
    assert parts["Key"] == API_KEY
    client = parts["Client"]
    assert client["ClientUID"] == "-1"  # SOAP "new"
    assert client["Status"] == "Active" and client["Notes"] == "a <b> & c"
    assert client["OverrideReassign"] == "true" and client["TimeOffset"] == "-8"
    assert "DeliveryAccountAutomationType" not in client
    assert parts["FieldData"] == [{"ClientFieldUID": "1", "FieldValue": "Acme"},
                                  {"ClientFieldUID": "10", "FieldValue": "5"}]


def test_soap_method_write() -> None:
    server = SoapServer()

    async def go() -> int:
        async with make_api(server, dialect="soap") as api:
            return await api.write_method(1001, METHOD_BODY)
    assert run(go()) == 777
    method, parts = soap_call(server.requests[0])
    assert method == "AddEditClientDelivery"
    assert server.requests[0].headers["SOAPAction"] == '"http://tempuri.org/AddEditClientDelivery"'
    delivery = parts["delivery"]
    assert delivery["ClientDeliveryUID"] == "-1" and delivery["ClientUID"] == "1001"
    assert delivery["Status"] == "true" and delivery["inTesting"] == "false"
    (setting,) = delivery["FieldSettings"]
    assert setting["DeliverySettingUID"] == "-1" and setting["FieldType"] == "1"
    assert setting["Delete"] == "false" and setting["LeadFieldUID"] == "44"
    assert setting["FieldMappings"] == [{"DeliveryMappingUID": "-1", "Delete": "false",
                                         "DeliverySettingUID": "0", "DeliveryValue": "CA",
                                         "FieldValue": "5"}]
    (day,) = delivery["DeliveryDays"]
    assert day["DeliveryDayUID"] == "61" and day["WeekDay"] == "1" and day["Allow"] == "true"


def test_soap_account_write_drops_rest_only_fields() -> None:
    server = SoapServer()

    async def go() -> int:
        async with make_api(server, dialect="soap") as api:
            return await api.write_account(1001, {**ACCOUNT_BODY, "DeliveryDetails": {"x": 1}})
    assert run(go()) == 777
    method, parts = soap_call(server.requests[0])
    assert method == "AddEditClientAccount"
    account = parts["account"]
    for dropped in ("WeekMax", "AlternatePosting", "OfferEnabled", "OfferName",
                    "DeliveryDetails"):
        assert dropped not in account
    assert account["ClientAccountUID"] == "-1" and account["Price"] == "25.5"
    assert account["HourMax"] == "-1" and account["Status"] == "12"
    assert account["Criteria"] == [{"ClientCriteriaUID": "-1", "LeadFieldUID": "44",
                                    "Type": "FieldValue", "Expression": "", "Operator": "In",
                                    "Value": "5,6"}]


@pytest.mark.parametrize("dialect", ["rest", "soap"])
def test_group_write_is_soap_in_both_dialects(dialect: str) -> None:
    server = SoapServer()

    async def go() -> tuple[int, dict]:
        async with make_api(server, dialect=dialect) as api:
            result = await api.write_group({"ClientGroupUID": 0, "Description": "Premium",
                                            "DisplayOrder": 1})
            return result, dict(api.calls)
    result, calls = run(go())
    assert result == 777 and calls == {"AddEditClientGroup": 1}
    method, parts = soap_call(server.requests[0])
    assert method == "AddEditClientGroup"
    assert parts["Group"] == {"ClientGroupUID": "-1", "Description": "Premium",
                              "DisplayOrder": "1"}


def test_soap_fault_is_api_error_with_faultstring() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return soap_fault("account.Status: 13 is not a valid account status")

    async def go() -> int:
        async with make_api(handler, dialect="soap") as api:
            return await api.write_account(1001, ACCOUNT_BODY)
    with pytest.raises(ApiError) as info:
        run(go())
    err = info.value
    assert err.call == "AddEditClientAccount" and err.status == 500
    assert "account.Status: 13 is not a valid account status" in err.answer
    assert not err.maybe_committed and not isinstance(err, AuthError)


def test_soap_fault_wrong_key_is_auth_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return soap_fault("Invalid API key.")

    async def go() -> int:
        async with make_api(handler, dialect="soap") as api:
            return await api.write_group({"ClientGroupUID": 0, "Description": "x"})
    with pytest.raises(AuthError) as info:
        run(go())
    assert info.value.call == "AddEditClientGroup"


def test_soap_envelope_without_a_response_is_api_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<soap:Envelope xmlns:soap='http://schemas.xmlsoap.org/"
                                        "soap/envelope/'><soap:Body/></soap:Envelope>")

    async def go() -> int:
        async with make_api(handler, dialect="soap") as api:
            return await api.write_client(CLIENT_BODY)
    with pytest.raises(ApiError, match="no AddEditClientResponse") as info:
        run(go())
    assert info.value.maybe_committed  # 200: something may have been saved


VOID = ("<soap:Envelope xmlns:soap='http://schemas.xmlsoap.org/soap/envelope/'><soap:Body>"
        "<{m}Response xmlns='http://tempuri.org/'{rest}</soap:Body></soap:Envelope>")


@pytest.mark.parametrize("answer", [
    VOID.format(m="AddEditClient", rest=" />"),  # "No return properties available"
    VOID.format(m="AddEditClient", rest="><AddEditClientResult /></AddEditClientResponse>"),
    VOID.format(m="AddEditClient", rest="><AddEditClientResult>true</AddEditClientResult>"
                                        "</AddEditClientResponse>"),
    "",
])
def test_a_soap_create_answered_without_an_id_is_saved_without_id(answer: str) -> None:
    async def go() -> int:
        async with make_api(lambda request: httpx.Response(200, text=answer),
                            dialect="soap") as api:
            try:
                return await api.write_client(CLIENT_BODY)
            finally:
                assert api.seen.saved_ids == {"AddEditClient": False}
    with pytest.raises(SavedWithoutId) as info:
        run(go())
    assert info.value.maybe_committed and info.value.call == "AddEditClient"


def test_a_soap_update_answered_without_an_id_answers_the_id_sent() -> None:
    updated = {**CLIENT_BODY, "Info": {**CLIENT_BODY["Info"], "ClientUID": 1007}}

    async def groups() -> None:
        async with make_api(lambda r: httpx.Response(200, text=VOID.format(
                m="AddEditClientGroup", rest=" />")), dialect="soap") as api:
            assert await api.write_group({"ClientGroupUID": 101, "Description": "G",
                                          "DisplayOrder": 1}) == 101
            with pytest.raises(SavedWithoutId):
                await api.write_group({"ClientGroupUID": 0, "Description": "G",
                                       "DisplayOrder": 1})
    run(groups())

    async def client() -> int:
        async with make_api(lambda r: httpx.Response(200, text=VOID.format(
                m="AddEditClient", rest=" />")), dialect="soap") as api:
            return await api.write_client(updated)
    assert run(client()) == 1007


def test_rest_model_state_lists_field_messages() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return token_response()
        return httpx.Response(400, json={"Message": "The request is invalid.", "ModelState": {
            "FieldSettings[0].FieldType": ["The value 9 is not valid."],
            "Info.Status": ["Required", "Unknown status"]}})

    async def go() -> int:
        async with make_api(handler) as api:
            return await api.write_method(1001, METHOD_BODY)
    with pytest.raises(ApiError) as info:
        run(go())
    err = info.value
    assert err.status == 400 and err.call == "PUT /v1/delivery/{ClientUID}/methods"
    assert "FieldSettings[0].FieldType: The value 9 is not valid." in err.answer
    assert "Info.Status: Required; Info.Status: Unknown status" in err.answer
    assert not err.maybe_committed


@pytest.mark.parametrize("answer", ["<html>oops</html>", "", "0", "true"])
def test_rest_create_answered_without_an_id_is_saved_without_id(answer: str) -> None:
    async def go() -> int:
        async with make_api(RestServer(answer=answer)) as api:
            return await api.write_client(CLIENT_BODY)
    with pytest.raises(SavedWithoutId) as info:
        run(go())
    assert info.value.maybe_committed


def soap_tree(request: httpx.Request) -> Any:
    from defusedxml.ElementTree import fromstring
    return fromstring(request.content)


def local_tags(element: Any) -> list[str]:
    return [child.tag.rsplit("}", 1)[-1] for child in element]


def test_soap_list_items_are_named_as_leadexec_is_known_to_name_them() -> None:
    """The seed texts name no list item elements: lexsync's guess, unless a measurement
    (state) or this session's answers say otherwise, or a probe is trying a name."""
    from lexsync.api.behaviour import WireBehaviour

    server = SoapServer()

    async def go() -> None:
        async with make_api(server, dialect="soap") as api:
            await api.write_account(1001, ACCOUNT_BODY)  # lexsync's guess
            api.use_behaviour(WireBehaviour.from_state({
                "item.Criteria": {"value": "Criterion", "source": "doctor", "at": "x"}}))
            await api.write_account(1001, ACCOUNT_BODY)  # measured
            api.seen.items["ClientCriteriaType"] = "ClientCriteria"
            await api.write_account(1001, ACCOUNT_BODY)  # answered this session
            api.trying = {"Criteria": "Probe"}
            await api.write_account(1001, ACCOUNT_BODY)  # tried
    run(go())
    names = []
    for request in server.requests:
        criteria = next(e for e in soap_tree(request).iter() if e.tag.endswith("}Criteria"))
        names += local_tags(criteria)
        # Fields in the reference's order whatever the item's name.
        assert local_tags(criteria[0])[:2] == ["ClientCriteriaUID", "LeadFieldUID"]
    assert names == ["ClientCriteriaType", "Criterion", "ClientCriteria", "Probe"]


def test_value_mappings_go_under_the_name_leadexec_answered() -> None:
    server = SoapServer()

    async def go() -> None:
        async with make_api(server, dialect="soap") as api:
            api.seen.aliases["FieldMappings"] = "Mappings"
            await api.write_method(1001, METHOD_BODY)
    run(go())
    [setting] = [e for e in soap_tree(server.requests[0]).iter()
                 if e.tag.endswith("}DeliverySettingType")]
    assert "Mappings" in local_tags(setting) and "FieldMappings" not in local_tags(setting)


def test_v1_lists_go_under_the_tables_names_once_measured() -> None:
    from lexsync.api.behaviour import WireBehaviour

    server = RestServer()

    async def go() -> None:
        async with make_api(server) as api:
            api.use_behaviour(WireBehaviour.from_state({
                "rest_lists": {"value": "table", "source": "doctor", "at": "x"}}))
            await api.write_method(1001, METHOD_BODY)
    run(go())
    body = json_body(server.requests[-1])
    assert "FieldSettings" not in body and body["Settings"][0]["Mappings"][0]["DeliveryValue"] == "CA"


def test_an_empty_field_data_list_is_not_sent() -> None:
    """Nothing to say about a client's fields: no list at all, which every reading keeps
    (an empty one would clear them where FieldData replaces)."""
    rest, soap = RestServer(), SoapServer()
    body = {**CLIENT_BODY, "FieldData": []}

    async def go() -> None:
        async with make_api(rest) as api:
            await api.write_client(body)
        async with make_api(soap, dialect="soap") as api:
            await api.write_client(body)
    run(go())
    assert "FieldData" not in json_body(rest.requests[-1])
    assert soap_call(soap.requests[-1])[1].keys() == {"Key", "Client"}


def test_where_omitted_fields_are_cleared_an_update_keeps_the_password_it_read() -> None:
    from apitest_helpers import CLIENT_LIST_XML, xml_response

    from lexsync.api.behaviour import WireBehaviour

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/GetClientList"):
            return xml_response(CLIENT_LIST_XML)
        return RestServer()(request)

    update = {"Info": {k: v for k, v in CLIENT_BODY["Info"].items() if k != "Password"},
              "FieldData": []}
    update["Info"]["ClientUID"] = 1001
    sent: list[dict] = []

    def record(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/clients":
            sent.append(json_body(request)["Info"])
        return handler(request)

    async def go(clear: bool) -> None:
        async with make_api(record) as api:
            if clear:
                api.use_behaviour(WireBehaviour.from_state({
                    "omitted_fields": {"value": "clear", "source": "doctor", "at": "x"}}))
            [password] = [r["Password"] for r in await api.get_client_list()
                          if r["ClientUID"] == 1001]
            assert password
            await api.write_client(update)
            assert sent[-1].get("Password") == (password if clear else None)
    run(go(False))
    run(go(True))
