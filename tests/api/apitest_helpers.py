"""Shared helpers for the API tests: a MockTransport-backed LeadExecApi and XML fixtures."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import parse_qs

import httpx
from defusedxml.ElementTree import fromstring

from lexsync.api import ApiSettings, LeadExecApi

NS = "http://tempuri.org/"
API_KEY = "KEY-s3cr3t-abcdef"
CLIENT_ID = "lexsync-test"
CLIENT_SECRET = "CS-very-secret-123"
TOKEN = "TOKEN-aaaa-1111"

Handler = Callable[[httpx.Request], httpx.Response]


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


class FakeTime:
    """A clock that moves only when the injected sleep is awaited."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make_api(handler: Handler, *, dialect: str = "rest", time: FakeTime | None = None,
             **overrides: Any) -> LeadExecApi:
    settings = ApiSettings(base_url="https://api.example.test", dialect=dialect,  # type: ignore[arg-type]
                           api_key=API_KEY, client_id=CLIENT_ID,
                           client_secret=CLIENT_SECRET, **overrides)
    time = time or FakeTime()
    return LeadExecApi(settings, httpx.MockTransport(handler), sleep=time.sleep,
                       clock=time.clock, rand=lambda: 1.0)


def form(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode(), keep_blank_values=True).items()}


def xml_response(body: str, status: int = 200) -> httpx.Response:
    return httpx.Response(status, content=('<?xml version="1.0" encoding="utf-8"?>\n' + body)
                          .encode(), headers={"Content-Type": "text/xml; charset=utf-8"})


def token_response(token: str = TOKEN, expires_in: int = 3600) -> httpx.Response:
    return httpx.Response(200, json={"access_token": token, "token_type": "Bearer",
                                     "expires_in": expires_in})


def soap_result(method: str, value: int) -> httpx.Response:
    return xml_response(
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soap:Body>'
        f'<{method}Response xmlns="{NS}"><{method}Result>{value}</{method}Result>'
        f"</{method}Response></soap:Body></soap:Envelope>")


def soap_fault(message: str, code: str = "soap:Client") -> httpx.Response:
    return xml_response(
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        f"<soap:Fault><faultcode>{code}</faultcode><faultstring>"
        f"System.Web.Services.Protocols.SoapException: {message}</faultstring>"
        "<detail /></soap:Fault></soap:Body></soap:Envelope>", status=500)


def element_to_obj(element: Any) -> Any:
    """A parsed SOAP element -> dict/list/str for assertions (lists: repeated children)."""
    children = list(element)
    if not children:
        return element.text or ""
    tags = [c.tag.rsplit("}", 1)[-1] for c in children]
    if len(set(tags)) == 1 and tags[0].endswith("Type"):
        return [element_to_obj(c) for c in children]
    return {t: element_to_obj(c) for t, c in zip(tags, children, strict=True)}


def soap_call(request: httpx.Request) -> tuple[str, dict[str, Any]]:
    """(method, {part: value}) of a SOAP request we sent."""
    root = fromstring(request.content)
    body = root.find("{http://schemas.xmlsoap.org/soap/envelope/}Body")
    assert body is not None
    method = body[0]
    assert method.tag.startswith("{" + NS + "}")
    name = method.tag.rsplit("}", 1)[-1]
    return name, {c.tag.rsplit("}", 1)[-1]: element_to_obj(c) for c in method}


def json_body(request: httpx.Request) -> Any:
    return json.loads(request.content)


ARRAY_HEAD = ('xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
              'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns="http://tempuri.org/"')

CLIENT_LIST_XML = f"""<ArrayOfClientItemType {ARRAY_HEAD}>
  <ClientItemType>
    <ClientUID>1001</ClientUID>
    <AccountUID>7</AccountUID>
    <DateAdded>2020-08-25T14:23:40.877</DateAdded>
    <Status>6</Status>
    <InternalUID>0</InternalUID>
    <UserUID>3</UserUID>
    <TimeOffset>-8</TimeOffset>
    <Image />
    <Notes>Best buyer &amp; friend</Notes>
    <IsLocked>false</IsLocked>
    <TimeZoneName>Pacific Standard Time</TimeZoneName>
    <ResellerUID>-1</ResellerUID>
    <GroupUID>12</GroupUID>
    <AutomationType>RoundRobin</AutomationType>
    <Priority>2</Priority>
    <Username>acme</Username>
    <Password>portal-pw-999</Password>
    <UseDeliveryTiers>true</UseDeliveryTiers>
    <OverrideReassign>true</OverrideReassign>
  </ClientItemType>
  <ClientItemType>
    <ClientUID>1002</ClientUID>
    <DateAdded>2021-01-02T03:04:05</DateAdded>
    <Status>0</Status>
    <OverrideReassign>false</OverrideReassign>
  </ClientItemType>
</ArrayOfClientItemType>"""

CLIENT_DATA_XML = f"""<ArrayOfClientFieldType {ARRAY_HEAD}>
  <ClientFieldType>
    <ClientFieldUID>1</ClientFieldUID><Descriptor>Company</Descriptor><DataType>Varchar</DataType>
    <Required>true</Required><SpecialBit>Company</SpecialBit><isState>false</isState>
    <FieldValue>Acme Insurance</FieldValue>
  </ClientFieldType>
  <ClientFieldType>
    <ClientFieldUID>10</ClientFieldUID><Descriptor>State</Descriptor><DataType>Int</DataType>
    <Required>false</Required><SpecialBit>State</SpecialBit><isState>true</isState>
    <FieldValue />
  </ClientFieldType>
</ArrayOfClientFieldType>"""

CLIENT_GROUPS_XML = f"""<ArrayOfClientGroupType {ARRAY_HEAD}>
  <ClientGroupType><ClientGroupUID>12</ClientGroupUID><Description>Premium</Description>
    <DisplayOrder>1</DisplayOrder><ClientCount>4</ClientCount></ClientGroupType>
</ArrayOfClientGroupType>"""

ACCOUNT_XML = """<ClientAccountType{attrs}>
    <ClientAccountUID>501</ClientAccountUID>
    <ClientUID>1001</ClientUID>
    <DeliveryUID>301</DeliveryUID>
    <Price>25.5</Price>
    <HourMax>-1</HourMax><DayMax>50</DayMax><MonthMax>1000</MonthMax>
    <useOrder>false</useOrder>
    <Status>12</Status>
    <DeliveryDelay>0</DeliveryDelay>
    <Description>Auto CA</Description>
    <RedirectURL />
    <AutomationEnabled>true</AutomationEnabled>
    <AccountType>0</AccountType>
    <AgentName /><AgentPhone />
    <Criteria>
      <ClientCriteriaType><ClientCriteriaUID>901</ClientCriteriaUID><LeadFieldUID>44</LeadFieldUID>
        <Type>FieldValue</Type><Expression /><Operator>In</Operator><Value>5,6</Value>
      </ClientCriteriaType>
    </Criteria>
    <DeliveryDetails>
      <ClientDeliveryUID>301</ClientDeliveryUID><ClientUID>1001</ClientUID><Type>0</Type>
      <Name>Post to CRM</Name><Status>true</Status><DateAdded>2020-08-25T14:23:40.877</DateAdded>
      <inTesting>false</inTesting><LeadTypeUID>3</LeadTypeUID>
      <FTPPassword>ftp-pw-777</FTPPassword><SMTPAuth>false</SMTPAuth><LeadCatUID>0</LeadCatUID>
      <DeliveryAddress>https://crm.example/leads</DeliveryAddress>
      <FieldSettings>
        <DeliverySettingType><DeliverySettingUID>71</DeliverySettingUID><DeliveryUID>301</DeliveryUID>
          <Format /><FieldType>1</FieldType><FieldName>first</FieldName><Value />
          <LeadFieldUID>44</LeadFieldUID><Expr /><hasMap>true</hasMap>
          <FieldMappings>
            <DeliveryMappingType><DeliveryMappingUID>81</DeliveryMappingUID>
              <DeliverySettingUID>71</DeliverySettingUID><DeliveryValue>CA</DeliveryValue>
              <FieldValue>5</FieldValue></DeliveryMappingType>
          </FieldMappings>
        </DeliverySettingType>
      </FieldSettings>
      <DeliveryDays>
        <DeliveryDayType><DeliveryDayUID>61</DeliveryDayUID><DeliveryUID>301</DeliveryUID>
          <WeekDay>1</WeekDay><StaticDate>1900-01-01T00:00:00</StaticDate>
          <StartTime>1900-01-01T08:00:00</StartTime><EndTime>1900-01-01T17:30:00</EndTime>
          <Allow>true</Allow></DeliveryDayType>
      </DeliveryDays>
    </DeliveryDetails>
  </ClientAccountType>"""

CLIENT_ACCOUNTS_XML = (f"<ArrayOfClientAccountType {ARRAY_HEAD}>"
                       + ACCOUNT_XML.format(attrs="") + "</ArrayOfClientAccountType>")
SINGLE_ACCOUNT_XML = ACCOUNT_XML.format(attrs=" " + ARRAY_HEAD)

LEAD_TYPES_XML = f"""<ArrayOfLeadTypeType {ARRAY_HEAD}>
  <LeadTypeType><LeadTypeUID>3</LeadTypeUID><AccountUID>7</AccountUID><InQC>0</InQC>
    <Descriptor>Auto Insurance</Descriptor><Status>true</Status><TypeUID>2</TypeUID></LeadTypeType>
</ArrayOfLeadTypeType>"""

LEAD_FIELDS_XML = f"""<ArrayOfLeadFieldType {ARRAY_HEAD}>
  <LeadFieldType><LeadFieldUID>44</LeadFieldUID><LeadTypeUID>3</LeadTypeUID>
    <Descriptor>State</Descriptor><FieldDataType>Int</FieldDataType><Required>true</Required>
    <isState>true</isState><ColSpan>1</ColSpan><SpecialBit>State</SpecialBit>
    <FieldEnums /><Delete>false</Delete></LeadFieldType>
</ArrayOfLeadFieldType>"""

STATES_XML = f"""<ArrayOfStateType {ARRAY_HEAD}>
  <StateType><StateUID>5</StateUID><Name>California</Name><Abbr>CA</Abbr></StateType>
  <StateType><StateUID>6</StateUID><Name>Colorado</Name><Abbr>CO</Abbr></StateType>
</ArrayOfStateType>"""
