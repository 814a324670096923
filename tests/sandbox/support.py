"""Builders and a thin client shared by the sandbox tests."""

from __future__ import annotations

from typing import Any

import httpx

NS = "http://tempuri.org/"
KEY = "sandbox-key"

_METHOD_STRINGS = [
    "XML",
    "EmailTemplate",
    "EmailSubject",
    "FTPUser",
    "FTPPassword",
    "FTPPath",
    "EmailAddress",
    "ResponseSearch",
    "DeliveryAddress",
    "SMTPServer",
    "SMTPUsername",
    "SMTPPassword",
    "fAddress",
    "tAddress",
    "NotifyCC",
    "NotifyBCC",
    "NotifyEmail",
    "ClientEmail",
]


def client_body(uid: int = 0, username: str = "acme", **info: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "Info": {
            "ClientUID": uid,
            "DateAdded": "2024-01-02T03:04:05",
            "Status": "Active",
            "UserUID": 0,
            "TimeOffset": -8,
            "Notes": "",
            "TimeZoneName": "Pacific Standard Time",
            "ResellerUID": 0,
            "GroupUID": 0,
            "Username": username,
            "Password": "secret",
            "OverrideReassign": False,
            "DeliveryAccountAutomationType": "Price",
        },
        "FieldData": [{"ClientFieldUID": 1, "Value": "Acme Corp"}],
    }
    body["Info"].update(info)
    return body


def setting(
    uid: int = 0, name: str = "first_name", lead_field: Any = 101, **kw: Any
) -> dict[str, Any]:
    return {
        "DeliverySettingUID": uid,
        "DeliveryUID": 0,
        "Delete": False,
        "Format": "",
        "FieldType": 1,
        "FieldName": name,
        "Value": "",
        "LeadFieldUID": lead_field,
        "Expr": "",
        "hasMap": False,
        "FieldMappings": [],
        **kw,
    }


def mapping(uid: int = 0, delivery: str = "Y", field: str = "yes", **kw: Any) -> dict[str, Any]:
    return {
        "DeliveryMappingUID": uid,
        "Delete": False,
        "DeliverySettingUID": 0,
        "DeliveryValue": delivery,
        "FieldValue": field,
        **kw,
    }


def day(uid: int = 0, weekday: int = 1, start: str = "08:00", end: str = "17:00") -> dict[str, Any]:
    return {
        "DeliveryDayUID": uid,
        "DeliveryUID": 0,
        "WeekDay": weekday,
        "StaticDate": "1900-01-01T00:00:00",
        "StartTime": f"1900-01-01T{start}:00",
        "EndTime": f"1900-01-01T{end}:00",
        "Allow": True,
    }


def method_body(client_uid: int, uid: int = 0, **kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ClientDeliveryUID": uid,
        "ClientUID": client_uid,
        "Type": 0,
        "Name": "Post to CRM",
        "Status": True,
        "DateAdded": "2024-01-02T03:04:05",
        "inTesting": False,
        "LeadTypeUID": 1,
        **{k: "" for k in _METHOD_STRINGS},
        "useRegEx": False,
        "SMTPAuth": False,
        "EmailNotify": False,
        "LeadCatUID": 0,
        "FieldSettings": [setting()],
        "DeliveryDays": [day()],
    }
    body["DeliveryAddress"] = "https://crm.example.com/leads"
    body.update(kw)
    return body


def criterion(
    uid: int = 0, field: int = 107, op: str = "In", value: str = "5,10"
) -> dict[str, Any]:
    return {
        "ClientCriteriaUID": uid,
        "LeadFieldUID": field,
        "Type": "FieldValue",
        "Expression": "",
        "Operator": op,
        "Value": value,
    }


def account_body(client_uid: int, delivery_uid: int, uid: int = 0, **kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ClientAccountUID": uid,
        "ClientUID": client_uid,
        "DeliveryUID": delivery_uid,
        "Price": 25.5,
        "HourMax": -1,
        "DayMax": 50,
        "MonthMax": -1,
        "WeekMax": 200,
        "useOrder": False,
        "Status": 12,
        "DeliveryDelay": 0,
        "Description": "CA auto leads",
        "RedirectURL": "",
        "AutomationEnabled": True,
        "AlternatePosting": 0,
        "AccountType": 0,
        "AgentName": "",
        "AgentPhone": "",
        "Criteria": [criterion()],
    }
    body.update(kw)
    return body


def envelope(method: str, inner: str, key: str = KEY) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f'<soap:Body><{method} xmlns="{NS}"><Key>{key}</Key>{inner}</{method}></soap:Body>'
        "</soap:Envelope>"
    )


def to_xml(tag: str, obj: dict[str, Any], items: dict[str, str] | None = None) -> str:
    """Tiny test-side serializer for SOAP bodies (values already strings/numbers/bools)."""
    items = items or {
        "FieldSettings": "DeliverySettingType",
        "FieldMappings": "DeliveryMappingType",
        "DeliveryDays": "DeliveryDayType",
        "Criteria": "ClientCriteriaType",
        "FieldData": "ClientFieldType",
    }
    parts = []
    for key, value in obj.items():
        if isinstance(value, list):
            item = items.get(key, "item")
            inner = "".join(
                to_xml(item, v, items) if isinstance(v, dict) else f"<{item}>{v}</{item}>"
                for v in value
            )
            parts.append(f"<{key}>{inner}</{key}>")
        elif isinstance(value, dict):
            parts.append(to_xml(key, value, items))
        elif isinstance(value, bool):
            parts.append(f"<{key}>{'true' if value else 'false'}</{key}>")
        else:
            parts.append(f"<{key}>{value}</{key}>")
    return f"<{tag}>{''.join(parts)}</{tag}>"


class Sandbox:
    """A thin test client: REST with a fresh token, ASMX reads, SOAP writes, admin calls."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=10)
        self._token: str | None = None

    def close(self) -> None:
        self.http.close()

    def token(self) -> str:
        r = self.http.post(
            "/v1/authorization/token",
            json={
                "client_id": "sandbox",
                "client_secret": "sandbox-secret",
                "grant_type": "client_credentials",
            },
        )
        assert r.status_code == 200, r.text
        return r.json()["access_token"]

    def auth(self) -> dict[str, str]:
        if self._token is None:
            self._token = self.token()
        return {"Authorization": f"Bearer {self._token}"}

    def patch_client(self, body: dict[str, Any]) -> httpx.Response:
        return self.http.patch("/v1/clients", json=body, headers=self.auth())

    def put_method(self, client_uid: int, body: dict[str, Any]) -> httpx.Response:
        return self.http.put(f"/v1/delivery/{client_uid}/methods", json=body, headers=self.auth())

    def put_account(self, client_uid: int, body: dict[str, Any]) -> httpx.Response:
        return self.http.put(f"/v1/delivery/{client_uid}/accounts", json=body, headers=self.auth())

    def asmx(self, method: str, **params: Any) -> httpx.Response:
        return self.http.get(f"/service.asmx/{method}", params={"Key": KEY, **params})

    def soap(self, method: str, inner: str, key: str = KEY) -> httpx.Response:
        return self.http.post(
            "/service.asmx",
            content=envelope(method, inner, key),
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{NS}{method}"'},
        )

    def dump(self) -> dict[str, Any]:
        return self.http.get("/_sandbox/dump").json()

    def faults(self, **config: Any) -> dict[str, Any]:
        r = self.http.post("/_sandbox/faults", json=config)
        assert r.status_code == 200, r.text
        return r.json()

    # Convenience: build the usual client → method → account chain over REST.
    def new_client(self, username: str = "acme", **info: Any) -> int:
        r = self.patch_client(client_body(username=username, **info))
        assert r.status_code == 200, r.text
        return int(r.text)

    def new_method(self, client_uid: int, **kw: Any) -> int:
        r = self.put_method(client_uid, method_body(client_uid, **kw))
        assert r.status_code == 200, r.text
        return int(r.text)

    def new_account(self, client_uid: int, delivery_uid: int, **kw: Any) -> int:
        r = self.put_account(client_uid, account_body(client_uid, delivery_uid, **kw))
        assert r.status_code == 200, r.text
        return int(r.text)
