"""Where the sandbox's reads return what writes store (issue 14): every field the seed texts
put in a read type comes back from GetClientList and GetClientAccounts, the account fields
that no read type has (WeekMax, AlternatePosting, Offer*) never do, and neither dialect's
write loses what the other stored."""

from __future__ import annotations

import defusedxml.ElementTree as ET

from .support import NS, Sandbox, account_body, day, envelope, to_xml

Q = f"{{{NS}}}"
OBSOLETE = {"InternalUID": "77", "IsLocked": "true", "LockedBy": "5",
            "DateLocked": "2024-02-03T04:05:06", "LockedReason": "audit", "OutLookUID": "ol-1"}


def _client_row(sb: Sandbox, uid: int) -> dict[str, str]:
    root = ET.fromstring(sb.asmx("GetClientList").text)
    for item in root.findall(Q + "ClientItemType"):
        if item.findtext(Q + "ClientUID") == str(uid):
            return {child.tag.removeprefix(Q): child.text or "" for child in item}
    raise AssertionError(f"client {uid} not listed")


def test_the_client_list_returns_the_obsolete_fields_a_soap_write_stored(sb: Sandbox) -> None:
    client = {"ClientUID": -1, "DateAdded": "2024-01-02T03:04:05", "Status": "Active",
              "UserUID": 3, "TimeOffset": -8, "Notes": "", "TimeZoneName": "Pacific Standard Time",
              "ResellerUID": 9, "GroupUID": 0, "Username": "old-timer", "Password": "pw",
              "OverrideReassign": False, **OBSOLETE}
    answer = sb.http.post("/service.asmx", content=envelope("AddEditClient", to_xml("Client", client)),
                          headers={"Content-Type": "text/xml; charset=utf-8",
                                   "SOAPAction": f'"{NS}AddEditClient"'})
    assert answer.status_code == 200, answer.text
    [uid] = [c["ClientUID"] for c in sb.dump()["clients"] if c["Username"] == "old-timer"]
    row = _client_row(sb, uid)
    for key, value in OBSOLETE.items():
        assert row[key] == value, key
    assert (row["UserUID"], row["ResellerUID"]) == ("3", "9")
    order = list(row)
    assert order.index("InternalUID") < order.index("UserUID") < order.index("IsLocked") \
        < order.index("TimeZoneName")
    # A REST write has no such fields: it keeps them.
    assert sb.patch_client({"Info": {"ClientUID": uid, "DateAdded": "2024-01-02T03:04:05",
                                     "Status": "Inactive"}}).status_code == 200
    assert _client_row(sb, uid)["LockedReason"] == "audit"


def test_account_reads_return_the_method_whole_and_never_the_write_only_fields(sb: Sandbox) -> None:
    cid = sb.new_client()
    static = {**day(weekday=3, start="00:00", end="23:59"), "StaticDate": "2030-12-25T00:00:00"}
    mid = sb.new_method(cid, tAddress="t@x.example", LeadCatUID=12, ClientEmail="Thanks",
                        EmailNotify=True, NotifyEmail="n@x.example", DeliveryDays=[static])
    offer = {"OfferEnabled": True, "OfferName": "Spring", "OfferDuration": 1}
    aid = sb.new_account(cid, mid, WeekMax=400, **offer)
    [account] = ET.fromstring(sb.asmx("GetClientAccounts", ClientUID=cid).text)
    names = [child.tag.removeprefix(Q) for child in account]
    assert not {"WeekMax", "AlternatePosting"} & set(names)
    assert not [n for n in names if n.startswith("Offer")]
    details = account.find(Q + "DeliveryDetails")
    assert details is not None
    for key, value in (("tAddress", "t@x.example"), ("LeadCatUID", "12"), ("ClientEmail", "Thanks"),
                       ("EmailNotify", "true"), ("NotifyEmail", "n@x.example")):
        assert details.findtext(Q + key) == value, key
    assert details.findtext(f"{Q}DeliveryDays/{Q}DeliveryDayType/{Q}StaticDate") == "2030-12-25T00:00:00"
    # A SOAP account write cannot carry them: the stored values stay.
    soap = {k: v for k, v in account_body(cid, mid, uid=aid, Price=30).items()
            if k not in ("WeekMax", "AlternatePosting")}
    answer = sb.soap("AddEditClientAccount", to_xml("account", soap))
    assert answer.status_code == 200, answer.text
    [stored] = [a for a in sb.dump()["accounts"] if a["ClientAccountUID"] == aid]
    assert (stored["Price"], stored["WeekMax"], stored["OfferName"], stored["OfferDuration"]) == \
        (30, 400, "Spring", 1)
