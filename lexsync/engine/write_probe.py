"""`lexsync doctor --write-probe`: measure the write behaviours the seed texts leave open.

Everything is written under one dedicated probe client (username `lexsync-doctor-probe`),
created Inactive and Closed at the end, reused by later probes. Its delivery method is
disabled and its account Closed with caps of 0, so nothing is ever delivered to it. A client
group cannot be retired in LeadExec: the probe keeps one, `lexsync doctor probe`, reused.

What is measured (names as in `api.behaviour.OPEN_POINTS`):
- saved_id.*: whether each SOAP write's answer carries the saved ID;
- client_status: GetClientList's status for the probe's Inactive (5 from 0, 6 from 1, a name);
- omitted_fields: an update without Notes, then Notes read back;
- field_data: FieldData of one entry, then the client's other field read back;
- criteria_lists, day_lists: a list of one new item written twice, then counted;
- item.* / mapping_list (soap) and rest_lists (rest): the element names LeadExec keeps, each
  candidate written until the list comes back.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from lexsync.api.behaviour import ITEM_ALTERNATIVES, ITEM_DEFAULTS, SOAP_WRITES, WireBehaviour
from lexsync.api.client import LeadExecApi
from lexsync.api.protocol import SavedWithoutId
from lexsync.engine.doctor import FAIL, INFO, OK, PROBE_USERNAME, WARN, DoctorReport
from lexsync.errors import ApiError

PROBE_GROUP = "lexsync doctor probe"
PROBE_METHOD = "lexsync-doctor-probe"
PROBE_ACCOUNT = "lexsync doctor probe"
PROBE_SETTING = "lexsync_probe"
NOTES = "lexsync doctor write probe: never delivered to"
CLOSED = 9  # account status
PACIFIC = ZoneInfo("America/Los_Angeles")
# A validation fault about an element or member name: nothing was saved, another name may do.
_NAME_REFUSALS = ("Could not find member", "Expected element", "was not expected", "not in namespace")

RestApi = Callable[[], LeadExecApi | None]


def _now() -> str:
    return datetime.now(PACIFIC).strftime("%Y-%m-%dT%H:%M:%S")


def _names_refused(exc: ApiError) -> bool:
    return any(text in exc.answer for text in _NAME_REFUSALS)


class Probe:
    """One write probe through `api` (the configured dialect); `rest_api` opens a rest-dialect
    API when credentials allow, for a method SOAP cannot tell the ID of."""

    def __init__(self, api: LeadExecApi, report: DoctorReport, rest_api: RestApi) -> None:
        self.api = api
        self.report = report
        self.rest_api = rest_api
        self.found = WireBehaviour()
        self.dialect = api.settings.dialect
        self.client_uid = 0
        self.method_uid = 0
        self.account_uid = 0
        self.lead_type = 0
        self.field_uid = 0
        self.old_settings: list[int] = []  # the probe method's settings from earlier writes

    def note(self, name: str, value: str, detail: str) -> None:
        self.found.note(name, value, "doctor", detail)

    async def run(self) -> WireBehaviour:
        api = self.api
        types = await api.get_lead_types()
        if not types:
            self.report.add("write probe", FAIL, "LeadExec has no lead type to probe with")
            return self.found
        self.lead_type = int(types[0]["LeadTypeUID"])
        fields = await api.get_lead_fields(self.lead_type)
        plain = [f for f in fields if not f.get("isState")]
        self.field_uid = int((plain or fields)[0]["LeadFieldUID"]) if fields else 0
        try:
            await self._group()
            await self._client()
            if await self._method_and_account():
                await self._list_semantics()
                if self.dialect == "soap":
                    await self._rest_list_names()
        finally:
            await self._retire()
        for method in SOAP_WRITES:
            answered = api.seen.saved_ids.get(method)
            if answered is not None:
                self.note(f"saved_id.{method}", "yes" if answered else "no",
                          f"{method} answered {'an' if answered else 'no'} ID")
        if api.tokens.issued:
            self.note("token_encoding", api.tokens.encoding, "the token request that worked")
        self.report.measured = self.found
        return self.found

    # --- group and client ---------------------------------------------------------------
    async def _group(self) -> None:
        groups = await self.api.get_client_groups()
        mine = next((g for g in groups if g.get("Description") == PROBE_GROUP), None)
        body = {"ClientGroupUID": int(mine["ClientGroupUID"]) if mine else 0,
                "Description": PROBE_GROUP, "DisplayOrder": 0}
        with contextlib.suppress(SavedWithoutId):  # saved either way: its ID is not needed
            await self.api.write_group(body)
        self.report.add("probe group", OK, f"{PROBE_GROUP!r} written (a group cannot be retired: "
                                           "it stays, and later probes reuse it)")

    def _client_body(self, status: str, notes: str | None, fields: dict[int, str]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "ClientUID": self.client_uid, "DateAdded": _now(), "Status": status, "UserUID": 0,
            "TimeOffset": -8, "TimeZoneName": "Pacific Standard Time", "ResellerUID": 0,
            "GroupUID": 0, "Username": PROBE_USERNAME, "Password": secrets.token_urlsafe(18),
            "OverrideReassign": False, "DeliveryAccountAutomationType": "Price"}
        if notes is not None:
            info["Notes"] = notes
        return {"Info": info, "FieldData": [{"ClientFieldUID": uid, "Value": value}
                                            for uid, value in sorted(fields.items())]}

    async def _find_client(self) -> dict[str, Any] | None:
        for row in await self.api.get_client_list():
            if str(row.get("Username", "")).lower() == PROBE_USERNAME:
                return row
        return None

    async def _write_client(self, body: dict[str, Any]) -> None:
        candidates = [{}] if self.dialect == "rest" else _item_schemes(self.api, ("FieldData",))
        for index, trying in enumerate(candidates):
            self.api.trying = trying
            try:
                self.client_uid = await self.api.write_client(body)
                return
            except SavedWithoutId:
                found = await self._find_client()
                if found is None:
                    raise ApiError("AddEditClient", "saved the probe client without an ID, and "
                                   "it cannot be found by its username") from None
                self.client_uid = int(found["ClientUID"])
                return
            except ApiError as exc:
                if not _names_refused(exc) or index == len(candidates) - 1:
                    raise
            finally:
                self.api.trying = {}

    async def _client(self) -> None:
        existing = await self._find_client()
        self.client_uid = int(existing["ClientUID"]) if existing else 0
        company, email = 1, 4  # standard client field IDs (docs/wire.md)
        await self._write_client(self._client_body("Inactive", NOTES, {company: "lexsync probe",
                                                                        email: "probe@lexsync.invalid"}))
        self.report.add("probe client", OK, f"{PROBE_USERNAME} (ID {self.client_uid}), Inactive")
        body = self._client_body("Inactive", None, {company: "lexsync probe 2"})
        await self._write_client(body)
        row = await self._find_client()
        data = {int(f["ClientFieldUID"]): f.get("FieldValue", "")
                for f in await self.api.get_client_data(self.client_uid)}
        if row is not None:
            raw = self.api.seen.client_status.get(self.client_uid)
            status = {5: "index0", 6: "index1"}.get(raw) if isinstance(raw, int) else "name"
            if status is not None:
                self.note("client_status", status, f"Inactive answered as {raw!r}")
            else:
                self.report.add("client status", WARN, f"Inactive answered as {raw!r}: neither "
                                                       "its position from 0 nor from 1")
            self.note("omitted_fields", "keep" if row.get("Notes") == NOTES else "clear",
                      "Notes after an update without it")
        if data.get(company) == "lexsync probe 2":
            self.note("field_data", "merge" if data.get(email) == "probe@lexsync.invalid"
                      else "replace", "the other field after FieldData of one entry")
            if self.dialect == "soap":
                self.note("item.FieldData", self.api.item_tags()["FieldData"], "kept")
        else:
            self.report.add("client fields", FAIL, "LeadExec kept none of the FieldData sent")

    # --- method and account -------------------------------------------------------------
    def _method_body(self, days: list[dict[str, Any]], with_setting: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ClientDeliveryUID": self.method_uid, "ClientUID": self.client_uid, "Type": 0,
            "Name": PROBE_METHOD, "Status": False, "DateAdded": _now(), "inTesting": True,
            "LeadTypeUID": self.lead_type, "XML": "", "EmailTemplate": "", "EmailSubject": "",
            "FTPUser": "", "FTPPassword": "", "FTPPath": "", "EmailAddress": "", "useRegEx": False,
            "ResponseSearch": "", "DeliveryAddress": "https://probe.invalid/", "SMTPServer": "",
            "SMTPAuth": False, "SMTPUsername": "", "SMTPPassword": "", "fAddress": "",
            "tAddress": "", "EmailNotify": False, "NotifyCC": "", "NotifyBCC": "",
            "NotifyEmail": "", "LeadCatUID": 0, "ClientEmail": "", "DeliveryDays": days}
        if with_setting:
            body["FieldSettings"] = [{
                "DeliverySettingUID": 0, "DeliveryUID": self.method_uid, "Delete": False,
                "Format": "", "FieldType": 0, "FieldName": PROBE_SETTING, "Value": "probe",
                "LeadFieldUID": 0, "Expr": "", "hasMap": True,
                "FieldMappings": [{"DeliveryMappingUID": 0, "Delete": False,
                                   "DeliverySettingUID": 0, "DeliveryValue": "b",
                                   "FieldValue": "a"}]}]
            body["FieldSettings"] += [{
                "DeliverySettingUID": uid, "DeliveryUID": self.method_uid, "Delete": True,
                "Format": "", "FieldType": 0, "FieldName": PROBE_SETTING, "Value": "",
                "LeadFieldUID": 0, "Expr": "", "hasMap": False, "FieldMappings": []}
                for uid in self.old_settings]
        return body

    def _day(self, weekday: int) -> dict[str, Any]:
        # An empty window that denies: nothing could be delivered even were the rest open.
        return {"DeliveryDayUID": 0, "DeliveryUID": self.method_uid, "WeekDay": weekday,
                "StaticDate": "1900-01-01T00:00:00", "StartTime": "1900-01-01T00:00:00",
                "EndTime": "1900-01-01T00:00:00", "Allow": False}

    def _account_body(self, criteria: list[dict[str, Any]]) -> dict[str, Any]:
        return {"ClientAccountUID": self.account_uid, "ClientUID": self.client_uid,
                "DeliveryUID": self.method_uid, "Price": 0.0, "HourMax": 0, "DayMax": 0,
                "MonthMax": 0, "WeekMax": 0, "useOrder": False, "Status": CLOSED,
                "DeliveryDelay": 0, "Description": PROBE_ACCOUNT, "RedirectURL": "",
                "AutomationEnabled": False, "AlternatePosting": 0, "AccountType": 0,
                "AgentName": "", "AgentPhone": "", "Criteria": criteria}

    def _criterion(self, value: str) -> dict[str, Any]:
        return {"ClientCriteriaUID": 0, "LeadFieldUID": self.field_uid, "Type": "FieldValue",
                "Expression": "", "Operator": "Equal", "Value": value}

    async def _probe_account(self) -> dict[str, Any] | None:
        for account in await self.api.get_client_accounts(self.client_uid):
            if account.get("Description") == PROBE_ACCOUNT:
                details = account.get("DeliveryDetails") or {}
                self.old_settings = [int(s["DeliverySettingUID"])
                                     for s in details.get("FieldSettings") or ()]
                return account
        return None

    async def _write_method(self, body: dict[str, Any]) -> None:
        try:
            self.method_uid = await self.api.write_method(self.client_uid, body)
        except SavedWithoutId:
            # A method is seen only through an account: the rest dialect tells its ID (created
            # bare there, its lists then written in the dialect being probed).
            rest = self.rest_api()
            if rest is None:
                raise
            async with rest:
                bare = {k: v for k, v in body.items() if k not in ("FieldSettings", "DeliveryDays")}
                self.method_uid = await rest.write_method(self.client_uid, bare)
            await self.api.write_method(self.client_uid, {**body, "ClientDeliveryUID":
                                                          self.method_uid})

    async def _write_account(self, body: dict[str, Any]) -> None:
        try:
            self.account_uid = await self.api.write_account(self.client_uid, body)
        except SavedWithoutId:
            found = await self._probe_account()
            if found is None:
                raise ApiError("AddEditClientAccount", "saved the probe account without an "
                               "ID, and it cannot be found by its description") from None
            self.account_uid = int(found["ClientAccountUID"])

    async def _method_and_account(self) -> bool:
        """Write the probe method (a setting with a value mapping, a day) and account (a
        criterion) under each naming candidate until LeadExec keeps every list; True when the
        probe has both objects."""
        existing = await self._probe_account()
        if existing is not None:
            self.account_uid = int(existing["ClientAccountUID"])
            self.method_uid = int(existing.get("DeliveryUID") or 0)
        lists = ("FieldSettings", "FieldMappings", "DeliveryDays", "Criteria")
        kept: dict[str, str] = {}
        schemes = _rest_schemes() if self.dialect == "rest" else \
            _item_schemes(self.api, lists, with_mapping_list=True)
        for trying in schemes:
            self.api.trying = trying
            try:
                await self._write_method(self._method_body([self._day(0)], True))
                await self._write_account(self._account_body([self._criterion("probe")]))
            except SavedWithoutId:
                self.report.add("probe method", WARN, "AddEditClientDelivery answers no ID and "
                                "no v1 credentials are set to create it another way: lists "
                                "and their names not measured")
                return False
            except ApiError as exc:
                if not _names_refused(exc):
                    raise
                continue  # refused for a name: nothing saved, try the next
            finally:
                names = self.api.item_tags() | {
                    "mapping_list": trying.get("mapping_list") or self.api.behaviour.get(
                        "mapping_list"),
                    "rest_lists": trying.get("rest_lists") or self.api.behaviour.get("rest_lists")}
                self.api.trying = {}
            account = await self._probe_account()
            if account is None:
                continue
            for name in _kept_lists(account):
                kept.setdefault(name, names["rest_lists"] if self.dialect == "rest" and
                                name in ("FieldSettings", "FieldMappings") else
                                names["mapping_list"] if name == "mapping_list" else names[name])
            if all(name in kept for name in (*lists, "mapping_list")):
                break
        self._note_names(kept, lists)
        return bool(self.method_uid and self.account_uid)

    def _note_names(self, kept: dict[str, str], lists: tuple[str, ...]) -> None:
        missing = [name for name in lists if name not in kept]
        if self.dialect == "rest":
            if "FieldSettings" in kept:
                self.note("rest_lists", kept["FieldSettings"], "the v1 list names LeadExec kept")
        else:
            for name in lists:
                if name in kept:
                    self.note(f"item.{name}", kept[name], "the item element LeadExec kept")
            if "mapping_list" in kept:
                self.note("mapping_list", kept["mapping_list"], "the list name LeadExec kept")
        if missing:
            self.report.add("list names", FAIL, "LeadExec kept no " + ", ".join(missing)
                            + " under any name tried; lexsync cannot write them")
        else:
            self.report.add("list names", OK, "every list kept (names recorded)")

    async def _rest_list_names(self) -> None:
        """The v1 list names, measured in the soap dialect too when v1 credentials are set:
        lexsync's advice for a method SOAP cannot tell the ID of is the rest dialect."""
        for trying in _rest_schemes():
            rest = self.rest_api()
            if rest is None:
                return
            async with rest:
                rest.use_behaviour(self.api.behaviour)
                rest.trying = trying
                try:
                    await rest.write_method(self.client_uid, self._method_body([], True))
                except ApiError as exc:
                    if not _names_refused(exc):
                        raise
                    continue
                names = trying.get("rest_lists") or rest.behaviour.get("rest_lists")
            account = await self._probe_account()
            if account is not None and "FieldSettings" in _kept_lists(account):
                self.note("rest_lists", names, "the v1 list names LeadExec kept")
                return

    async def _list_semantics(self) -> None:
        """A list of one new item, twice: two items after means merged, one replaced."""
        await self._write_account(self._account_body([self._criterion("probe-1")]))
        first = await self._probe_account()
        await self._write_account(self._account_body([self._criterion("probe-2")]))
        second = await self._probe_account()
        if first is not None and second is not None:
            before, after = len(first.get("Criteria") or []), len(second.get("Criteria") or [])
            self.note("criteria_lists", "merge" if after > 1 and after == before + 1
                      else "replace", f"{before} then {after} criteria")
        await self._write_method(self._method_body([self._day(1)], False))
        first = await self._probe_account()
        await self._write_method(self._method_body([self._day(2)], False))
        second = await self._probe_account()
        if first is not None and second is not None:
            before = len((first.get("DeliveryDetails") or {}).get("DeliveryDays") or [])
            after = len((second.get("DeliveryDetails") or {}).get("DeliveryDays") or [])
            self.note("day_lists", "merge" if after > 1 and after == before + 1 else "replace",
                      f"{before} then {after} days")

    # --- the end ------------------------------------------------------------------------
    async def _retire(self) -> None:
        """Account Closed (it always was), method disabled (it always was), client Closed."""
        if not self.client_uid:
            return
        try:
            await self._write_client(self._client_body("Closed", NOTES, {}))
        except ApiError as exc:
            self.report.add("probe client", FAIL, f"could not be set Closed: {exc.answer}")
            return
        self.report.add("probe retired", INFO, f"client {PROBE_USERNAME} Closed, its method "
                                                "disabled, its account Closed")


def _kept_lists(account: dict[str, Any]) -> list[str]:
    """Which probe lists an account read shows."""
    kept = []
    if account.get("Criteria"):
        kept.append("Criteria")
    details = account.get("DeliveryDetails") or {}
    if details.get("DeliveryDays"):
        kept.append("DeliveryDays")
    setting = next((s for s in details.get("FieldSettings") or ()
                    if s.get("FieldName") == PROBE_SETTING), None)
    if setting is not None:
        kept.append("FieldSettings")
        if setting.get("FieldMappings"):
            kept += ["FieldMappings", "mapping_list"]
    return kept


def _item_schemes(api: LeadExecApi, lists: tuple[str, ...],
                  with_mapping_list: bool = False) -> list[dict[str, str]]:
    """The SOAP names to try, what lexsync knows first: then every item named without the
    `Type` suffix, then with it (each with both names of the value-mapping list)."""
    schemes: list[dict[str, str]] = [{}]
    for items in (ITEM_ALTERNATIVES, ITEM_DEFAULTS):
        for mapping_list in (("Mappings", "FieldMappings") if with_mapping_list else ("",)):
            scheme = {name: items[name] for name in lists}
            if mapping_list:
                scheme["mapping_list"] = mapping_list
            if scheme not in schemes:
                schemes.append(scheme)
    return schemes


def _rest_schemes() -> list[dict[str, str]]:
    return [{}, {"rest_lists": "table"}, {"rest_lists": "example"}]


async def measure(api: LeadExecApi, report: DoctorReport, rest_api: RestApi) -> None:
    """The write probe, its failure a row of the report (never a traceback)."""
    probe = Probe(api, report, rest_api)
    try:
        found = await probe.run()
    except ApiError as exc:
        report.add("write probe", FAIL, str(exc))
        report.measured = probe.found
        return
    for line in found.summary(sources=False):
        report.add("measured", INFO, line)


Measure = Callable[[LeadExecApi, DoctorReport], Awaitable[None]]
