"""GetClientsforCriteriaAdvanced (SOAP: its Criteria parameter is an array): the buyers the
store's clients, methods and accounts offer a lead, by the rules `lexsync route` uses.

The rules are `lexsync.routing.rules` (pure, importing nothing of the client side) with their
default readings (docs/routing.md); the moment is the sandbox's clock (`/_sandbox/clock`).
Between clients: Price, highest first, then ClientUID; one row per client (no tier delivery).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring
from zoneinfo import ZoneInfo

from lexsync.routing import rules
from lexsync.sandbox import seed, xmlio
from lexsync.sandbox.store import Reader
from lexsync.sandbox.validation import local_name

METHOD = "GetClientsforCriteriaAdvanced"
PLATFORM_ZONE = ZoneInfo("America/Los_Angeles")  # LeadExec's: API dates are Pacific Time
ANSWER_ITEM = "ClientScanType"  # the reference names no element: docs/wire.md
_STATE_ABBR = {str(s["StateUID"]): s["Abbr"] for s in seed.STATES}
# Client field IDs (docs/wire.md) of the answer's contact columns.
_CONTACT = (("ContactFirstName", 2), ("ContactLastName", 3), ("Address", 8), ("City", 9),
            ("State", 10), ("PostalCode", 11), ("PhoneNumber", 5), ("Email", 4))


class ScanRequestError(ValueError):
    """A request the service would refuse: `path: message`."""


def parse_request(call: Element, namespace: str) -> tuple[int, list[tuple[str, str]]]:
    """(LeadTypeUID, [(Name, Value)]) from the <GetClientsforCriteriaAdvanced> element. The
    item element name of Criteria is not in the reference: any name is read."""
    lead_type = call.find(f"{{{namespace}}}LeadTypeUID")
    text = (lead_type.text or "").strip() if lead_type is not None else ""
    if not text.lstrip("-").isdigit():
        raise ScanRequestError(f"LeadTypeUID: {text!r} is not an Int64." if text
                               else "LeadTypeUID: The LeadTypeUID field is required.")
    pairs: list[tuple[str, str]] = []
    criteria = call.find(f"{{{namespace}}}Criteria")
    for index, item in enumerate(criteria if criteria is not None else []):
        values = {local_name(child.tag): child.text or "" for child in item}
        if not values.get("Name"):
            raise ScanRequestError(f"Criteria[{index}].Name: The Name field is required.")
        pairs.append((values["Name"], values.get("Value", "")))
    return int(text), pairs


def scan(tx: Reader, lead_type: int, pairs: list[tuple[str, str]], now: datetime,
         options: rules.RuleOptions | None = None) -> list[dict[str, Any]]:
    """The answer's rows, one per client, in scan order."""
    options = options or rules.RuleOptions()
    values = {rules.name_key(name): value for name, value in pairs}
    clients = {c["ClientUID"]: c for c in tx.all("clients")}
    methods = {m["ClientDeliveryUID"]: m for m in tx.all("methods")
               if m.get("LeadTypeUID") == lead_type}
    days = tx.children_of("days", methods)
    accounts = [a for a in tx.all("accounts") if a.get("DeliveryUID") in methods]
    criteria = tx.children_of("criteria", (a["ClientAccountUID"] for a in accounts))
    candidates = []
    for account in accounts:
        client = clients.get(account.get("ClientUID"))
        method = methods[account["DeliveryUID"]]
        if client is None or not _takes_leads(client, method, account, days, now, options):
            continue
        if all(_passes(c, values, now, options) for c in criteria.get(account["ClientAccountUID"], [])):
            candidates.append(rules.Candidate(
                client["ClientUID"], client["ClientUID"], account["ClientAccountUID"],
                account["ClientAccountUID"], float(account.get("Price", 0)),
                str(client.get("DeliveryAccountAutomationType") or "Price"), extra=client))
    ordered = rules.order_candidates(candidates, "Price", None)
    return [_row(c.extra, c.price) for c, buyer in ordered if buyer]  # type: ignore[arg-type]


def _takes_leads(client: dict[str, Any], method: dict[str, Any], account: dict[str, Any],
                 days: dict[int, list[dict[str, Any]]], now: datetime,
                 options: rules.RuleOptions) -> bool:
    blocker = rules.account_blocker(
        client_status=str(client.get("Status")),
        account_status=rules.ACCOUNT_STATUS_NAMES.get(account.get("Status", -1), "#?"),
        automation_enabled=bool(account.get("AutomationEnabled", True)),
        account_type=rules.ACCOUNT_TYPE_NAMES.get(account.get("AccountType", 0), "#?"),
        method_enabled=bool(method.get("Status", True)),
        in_testing=bool(method.get("inTesting", False)),
        use_order=bool(account.get("useOrder", False)),
        caps={"hour": account.get("HourMax"), "day": account.get("DayMax"),
              "week": account.get("WeekMax"), "month": account.get("MonthMax")},
        options=options)
    if blocker is not None:
        return False
    zone = rules.client_zone(client.get("TimeZoneName"), client.get("TimeOffset"), PLATFORM_ZONE)
    windows = [rules.window_from_wire(day) for day in days.get(method["ClientDeliveryUID"], [])]
    return rules.schedule_open(windows, now.astimezone(zone), options)


def _passes(stored: dict[str, Any], values: dict[str, str], now: datetime,
            options: rules.RuleOptions) -> bool:
    field = seed.LEAD_FIELDS_BY_UID.get(stored.get("LeadFieldUID", 0))
    if field is None:
        return False
    value = str(stored.get("Value") or "")
    if field["isState"]:  # stored as StateUIDs
        value = ",".join(_STATE_ABBR.get(item.strip(), item.strip()) for item in value.split(","))
    criterion = rules.Criterion(field["Descriptor"], str(stored.get("Operator") or "Equal"), value,
                                str(stored.get("Type") or "FieldValue"), bool(field["isState"]))
    test = rules.compile_criterion(criterion, options)
    return test(values.get(rules.name_key(field["Descriptor"])), now).passed


def _row(client: dict[str, Any], price: float) -> dict[str, Any]:
    fields: dict[str, str] = client.get("FieldData", {})
    row: dict[str, Any] = {"ClientUID": client["ClientUID"],
                           "ClientName": fields.get("1") or client.get("Username", "")}
    for name, uid in _CONTACT:
        row[name] = fields.get(str(uid), "")
    row.update({"Address2": "", "Country": "", "Price": price, "Website": fields.get("16", "")})
    order = ("ClientUID", "ClientName", "ContactFirstName", "ContactLastName", "Address",
             "Address2", "City", "State", "Country", "PostalCode", "PhoneNumber", "Email",
             "Price", "Website")
    return {key: row[key] for key in order}


def soap_answer(rows: list[dict[str, Any]], namespace: str) -> bytes:
    envelope = Element("soap:Envelope", {"xmlns:soap": xmlio.SOAP_ENV, "xmlns:xsi": xmlio.XSI,
                                         "xmlns:xsd": xmlio.XSD})
    body = SubElement(envelope, "soap:Body")
    response = SubElement(body, f"{METHOD}Response", {"xmlns": namespace})
    result = SubElement(response, f"{METHOD}Result")
    for row in rows:
        item = SubElement(result, ANSWER_ITEM)
        for key, value in row.items():
            SubElement(item, key).text = xmlio.scalar_text(value)
    text = tostring(envelope, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + text).encode("utf-8")


def answer(ctx: Any, call: Element, namespace: str) -> tuple[bytes | None, str | None]:
    """(SOAP answer, None) or (None, a fault's message) for one request."""
    try:
        lead_type, pairs = parse_request(call, namespace)
    except ScanRequestError as exc:
        return None, str(exc)
    now = ctx.now().astimezone(PLATFORM_ZONE)  # DateCompare's "today" is the platform's
    with ctx.store.reading() as tx:
        rows = scan(tx, lead_type, pairs, now)
    return soap_answer(rows, namespace), None
