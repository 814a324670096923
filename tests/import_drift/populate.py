"""Fill the sandbox with an account "configured by hand": raw REST and SOAP calls per
docs/wire.md, never through lexsync, so import meets shapes lexsync did not write itself."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import httpx

SOAP_NS = "http://tempuri.org/"
DATE = "2024-03-01T09:30:00"
STATES = {"CA": 5, "NV": 29, "TX": 44, "FL": 10, "NY": 33, "OR": 38}
AUTO_FIELDS = {"FirstName": 101, "LastName": 102, "Email": 103, "Phone": 104, "State": 107,
               "Zip": 108, "Age": 109, "VehicleYear": 111}
HOME_FIELDS = {"FirstName": 201, "State": 207, "HomeValue": 211}
COMPANIES = ["Acme Insurance", "Blue Sky Auto", "Coastal Home", "Delta Leads", "Evergreen",
             "Fairway Insurance", "Granite Mutual", "Harbor Point", "Ironwood", "Juniper & Co.",
             "Keystone", "Lakeside Auto", "Meridian", "Northstar", "Oakridge", "Pinnacle",
             "Quarry Lane", "Redwood", "Summit Auto", "Acme Insurance", "", ""]


@dataclass
class Populated:
    client_ids: list[int] = field(default_factory=list)
    passwords: dict[int, str] = field(default_factory=dict)  # ClientUID → portal password
    ftp_passwords: dict[int, str] = field(default_factory=dict)  # ClientDeliveryUID → password
    account_ids: list[int] = field(default_factory=list)
    method_ids: list[int] = field(default_factory=list)
    group_ids: list[int] = field(default_factory=list)


class RawLeadExec:
    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=10)
        answer = self.http.post("/v1/authorization/token", json={
            "client_id": "sandbox", "client_secret": "sandbox-secret", "grant_type": "client_credentials"})
        answer.raise_for_status()
        self.headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}

    def _id(self, answer: httpx.Response) -> int:
        assert answer.status_code == 200, answer.text
        return int(answer.text.strip().strip('"'))

    def group(self, description: str, order: int) -> int:
        envelope = (
            '<?xml version="1.0" encoding="utf-8"?><soap:Envelope '
            'xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
            f'<AddEditClientGroup xmlns="{SOAP_NS}"><Key>sandbox-key</Key><Group>'
            f"<ClientGroupUID>-1</ClientGroupUID><Description>{description}</Description>"
            f"<DisplayOrder>{order}</DisplayOrder></Group></AddEditClientGroup></soap:Body></soap:Envelope>")
        answer = self.http.post("/service.asmx", content=envelope.encode(), headers={
            "Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{SOAP_NS}AddEditClientGroup"'})
        assert answer.status_code == 200, answer.text
        match = re.search(r"<AddEditClientGroupResult>(\d+)<", answer.text)
        assert match, answer.text
        return int(match.group(1))

    def client(self, info: dict[str, Any], fields: dict[int, str]) -> int:
        body = {"Info": {"ClientUID": 0, "DateAdded": DATE, **info},
                "FieldData": [{"ClientFieldUID": k, "Value": v} for k, v in fields.items()]}
        return self._id(self.http.patch("/v1/clients", json=body, headers=self.headers))

    def method(self, client_uid: int, **values: Any) -> int:
        body = {"ClientDeliveryUID": 0, "ClientUID": client_uid, "Type": 0, "Name": "", "Status": True,
                "DateAdded": DATE, "inTesting": False, "LeadTypeUID": 1, "XML": "", "EmailTemplate": "",
                "EmailSubject": "", "FTPUser": "", "FTPPassword": "", "FTPPath": "", "EmailAddress": "",
                "useRegEx": False, "ResponseSearch": "", "DeliveryAddress": "", "SMTPServer": "",
                "SMTPAuth": False, "SMTPUsername": "", "SMTPPassword": "", "fAddress": "", "tAddress": "",
                "EmailNotify": False, "NotifyCC": "", "NotifyBCC": "", "NotifyEmail": "", "LeadCatUID": 0,
                "ClientEmail": "", "FieldSettings": [], "DeliveryDays": [], **values}
        return self._id(self.http.put(f"/v1/delivery/{client_uid}/methods", json=body, headers=self.headers))

    def account(self, client_uid: int, delivery_uid: int, **values: Any) -> int:
        body = {"ClientAccountUID": 0, "ClientUID": client_uid, "DeliveryUID": delivery_uid, "Price": 10.0,
                "HourMax": -1, "DayMax": -1, "MonthMax": -1, "WeekMax": -1, "useOrder": False, "Status": 12,
                "DeliveryDelay": 0, "Description": "", "RedirectURL": "", "AutomationEnabled": True,
                "AlternatePosting": 0, "AccountType": 0, "AgentName": "", "AgentPhone": "", "Criteria": [],
                **values}
        return self._id(self.http.put(f"/v1/delivery/{client_uid}/accounts", json=body, headers=self.headers))


def setting(name: str, field_type: int, *, lead_field: int = 0, value: str = "", expr: str = "",
            fmt: str = "", value_map: dict[str, str] | None = None) -> dict[str, Any]:
    return {"DeliverySettingUID": 0, "DeliveryUID": 0, "Delete": False, "Format": fmt,
            "FieldType": field_type, "FieldName": name, "Value": value, "LeadFieldUID": lead_field,
            "Expr": expr, "hasMap": bool(value_map),
            "FieldMappings": [{"DeliveryMappingUID": 0, "Delete": False, "DeliverySettingUID": 0,
                               "DeliveryValue": d, "FieldValue": f} for f, d in (value_map or {}).items()]}


def day(weekday: int, start: str, end: str, allow: bool = True) -> dict[str, Any]:
    return {"DeliveryDayUID": 0, "DeliveryUID": 0, "WeekDay": weekday, "StaticDate": "1900-01-01T00:00:00",
            "StartTime": f"1900-01-01T{start}:00", "EndTime": f"1900-01-01T{end}", "Allow": allow}


def criterion(field_uid: int, op: str, value: str, kind: str = "FieldValue", expression: str = "") -> dict[str, Any]:
    return {"ClientCriteriaUID": 0, "LeadFieldUID": field_uid, "Type": kind, "Expression": expression,
            "Operator": op, "Value": value}


def populate(url: str, count: int = 22) -> Populated:
    """`count` clients of varied shape: groups or none, statuses, custom time zones, passwords,
    several delivery types, every mapping source lexsync models, schedules with blackouts,
    criteria on state and number fields, caps, closed and on-hold accounts."""
    raw = RawLeadExec(url)
    out = Populated()
    out.group_ids = [raw.group("Premium buyers", 1), raw.group("Standard", 2), raw.group("Trial", 0)]
    statuses = ["Active", "Active", "Active", "Inactive", "Suspended", "Closed", "Pending"]
    for i in range(count):
        company = COMPANIES[i % len(COMPANIES)]
        password = f"pw-{i}-x9"
        info: dict[str, Any] = {
            "Status": statuses[i % len(statuses)], "Username": f"buyer{i:02d}@example.com",
            "Password": password, "GroupUID": out.group_ids[i % 4] if i % 4 < 3 else 0,
            "TimeOffset": -8 + (i % 4), "TimeZoneName": ["Pacific Standard Time", "Mountain Standard Time",
                                                          "Central Standard Time", "Eastern Standard Time"][i % 4],
            "Notes": f"hand-made buyer {i}" if i % 2 else "", "OverrideReassign": i % 5 == 0,
            "DeliveryAccountAutomationType": ["Price", "Priority", "RoundRobin"][i % 3],
        }
        fields = {1: company, 4: f"ops{i}@example.com"} if company else {4: f"ops{i}@example.com"}
        if i % 4 == 1:
            fields[9] = "Springfield"
        uid = raw.client(info, fields)
        out.client_ids.append(uid)
        if password:
            out.passwords[uid] = password
        if i % 7 == 6:
            continue  # a buyer with no delivery at all
        auto = i % 5 != 4
        fields_of = AUTO_FIELDS if auto else HOME_FIELDS
        settings = [setting("first_name", 1, lead_field=fields_of["FirstName"]),
                    setting("source", 0, value=f"lexsync-{i}")]
        if auto:
            settings += [setting("st", 1, lead_field=AUTO_FIELDS["State"],
                                 value_map={"California": "CA", "Nevada": "NV"} if i % 2 else None),
                         setting("phone", 4, lead_field=AUTO_FIELDS["Phone"], expr="0,3"),
                         setting("when", 2, value="DateAdded", fmt="yyyy-MM-dd")]
        days = [day(d, "08:00", "18:00") for d in (1, 2, 3, 4, 5)]
        if i % 3 == 0:
            days += [day(6, "10:00", "14:00"), day(3, "12:00", "13:00", allow=False)]
        method_type = [0, 1, 0, 5, 4][i % 5]
        extra: dict[str, Any] = {}
        if method_type == 5:
            extra = {"EmailAddress": f"leads{i}@example.com", "EmailSubject": "New lead"}
        if method_type == 4:
            extra = {"FTPUser": f"ftp{i}", "FTPPassword": f"ftp-secret-{i}", "FTPPath": "/in"}
        mid = raw.method(uid, Name=f"{(company or 'buyer').split()[0].lower()}-post", Type=method_type,
                         LeadTypeUID=1 if auto else 2, DeliveryAddress=f"https://buyer{i}.example/leads",
                         ResponseSearch="accepted" if i % 2 else "", inTesting=i % 6 == 1,
                         FieldSettings=settings, DeliveryDays=days, **extra)
        out.method_ids.append(mid)
        if method_type == 4:
            out.ftp_passwords[mid] = f"ftp-secret-{i}"
        criteria = [criterion(fields_of["State"], "In", ",".join(str(STATES[s]) for s in ("CA", "NV", "TX")[: 1 + i % 3]))]
        if auto:
            criteria.append(criterion(AUTO_FIELDS["Age"], "Between", f"{20 + i % 5},65"))
        out.account_ids.append(raw.account(
            uid, mid, Description=f"{company or 'Buyer'} main {i}", Price=10.0 + i * 1.25,
            HourMax=5 + i if i % 2 else -1, DayMax=50 + i, MonthMax=-1 if i % 3 else 900,
            Status=[12, 12, 11, 10, 9][i % 5], Criteria=criteria, AgentName="Pat" if i % 4 == 0 else "",
            DeliveryDelay=30 if i % 6 == 0 else 0, AccountType=1 if i % 8 == 3 else 0,
            RedirectURL="https://r.example/x" if i % 8 == 3 else "", AutomationEnabled=i % 9 != 0))
        if i % 4 == 0:
            out.account_ids.append(raw.account(
                uid, mid, Description=f"{company or 'Buyer'} overflow", Price=5.5, useOrder=True,
                Criteria=[criterion(fields_of["State"], "NotIn", str(STATES["NY"]))] if auto else []))
        if i % 5 == 0:
            # a second method no account uses: LeadExec cannot show it
            out.method_ids.append(raw.method(uid, Name="unused-backup", LeadTypeUID=1 if auto else 2,
                                             DeliveryAddress="https://backup.example"))
    raw.http.close()
    return out
