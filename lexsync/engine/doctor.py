"""`lexsync doctor`: can lexsync work with this LeadExec, and how does it answer?

Read-only: the route (TLS, proxy), both dialects' credentials (the API key, the v1 token and
the encoding its request took), the shape of every read lexsync uses (the element names the
seed texts leave open, the elements lexsync does not know), and the lead types and fields.
`write_probe.measure` adds the write behaviours, with one dedicated probe client.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from lexsync.api.behaviour import WireBehaviour
from lexsync.api.client import LeadExecApi
from lexsync.api.httpclient import proxy_for, trust_source
from lexsync.api.settings import ApiSettings
from lexsync.api.wiretypes import LIST_ITEM_TAGS
from lexsync.errors import ApiError, AuthError, LexsyncError

OK, FAIL, WARN, INFO, SKIP = "ok", "fail", "warn", "info", "skip"
PROBE_USERNAME = "lexsync-doctor-probe"  # also what isUsernameUnique is asked about


@dataclass
class Row:
    check: str
    status: str  # OK, FAIL, WARN, INFO or SKIP
    detail: str


@dataclass
class DoctorReport:
    rows: list[Row] = field(default_factory=list)
    lead_types: dict[str, list[str]] = field(default_factory=dict)  # name -> its field names
    measured: WireBehaviour | None = None  # from the write probe

    @property
    def ok(self) -> bool:
        return not any(row.status == FAIL for row in self.rows)

    def add(self, check: str, status: str, detail: str) -> None:
        self.rows.append(Row(check, status, detail))


async def diagnose(settings: ApiSettings, *, known: WireBehaviour,
                   transport: httpx.AsyncBaseTransport | None = None,
                   probe: Callable[[LeadExecApi, DoctorReport], Awaitable[None]] | None = None
                   ) -> DoctorReport:
    """Every check, in order; `probe` (the write probe) runs last, only if the reads worked."""
    report = DoctorReport()
    report.add("endpoint", INFO, f"{settings.root} (writes in the {settings.dialect} dialect)")
    if transport is None:
        route = proxy_for(settings.root)
        report.add("proxy", INFO, f"through {route}" if route else "none: a direct connection")
    async with LeadExecApi(settings, transport=transport) as api:
        api.use_behaviour(known)
        types = await _reachable(api, settings, report)
        if types is None:
            return report
        await _token(api, settings, report)
        clients = await _read_shapes(api, report, types)
        if clients is not None and probe is not None:
            await probe(api, report)
    return report


async def _reachable(api: LeadExecApi, settings: ApiSettings, report: DoctorReport
                     ) -> list[dict[str, Any]] | None:
    """The first read: reachability, TLS and the API key at once; the lead types, or None."""
    try:
        types = await api.get_lead_types()
    except AuthError as exc:
        report.add("reachable", OK, "LeadExec answered")
        report.add("API key", FAIL, exc.answer)
        return None
    except LexsyncError as exc:  # ApiError, SettingsError (a proxy or CA setting)
        report.add("reachable", FAIL, str(exc))
        return None
    report.add("reachable", OK, "service.asmx answered")
    if settings.root.startswith("https://"):
        source, path = trust_source(settings.ca_bundle)
        report.add("TLS", OK, f"certificate verified against {source}"
                   + (f" ({path})" if path else ""))
    else:
        report.add("TLS", WARN, "plain http: allowed only for a loopback sandbox")
    report.add("API key", OK, "accepted (ASMX reads, SOAP writes)")
    try:
        fields = await asyncio.gather(*(api.get_lead_fields(int(t["LeadTypeUID"]))
                                        for t in types))
    except ApiError as exc:
        report.add("GetLeadFields", FAIL, exc.answer)
        return None
    report.lead_types = {str(t.get("Descriptor", t["LeadTypeUID"])):
                         [str(f.get("Descriptor", f["LeadFieldUID"])) for f in found]
                         for t, found in zip(types, fields, strict=True)}
    return types


async def _token(api: LeadExecApi, settings: ApiSettings, report: DoctorReport) -> None:
    if not settings.client_id or not settings.client_secret:
        status = FAIL if settings.dialect == "rest" else SKIP
        report.add("v1 token", status, "client_id and client_secret are not set (the rest "
                                       "dialect needs them)")
        return
    try:
        await api.tokens.get()
    except ApiError as exc:
        report.add("v1 token", FAIL if settings.dialect == "rest" else WARN, exc.answer)
        return
    how = "form-encoded" if api.tokens.encoding == "form" else "JSON"
    note = " (the other encoding was refused first)" if api.tokens.fell_back else ""
    report.add("v1 token", OK, f"issued for a {how} request{note}")


READS = ("GetLeadTypes", "GetLeadFields", "GetStateList", "GetClientList", "GetClientGroups",
         "GetClientData", "GetClientAccounts", "GetClientAccount", "GetAllCriteriaAccounts",
         "isUsernameUnique", "GetClientsforCriteriaAdvanced")


async def _read_shapes(api: LeadExecApi, report: DoctorReport, types: list[dict[str, Any]]
                       ) -> list[dict[str, Any]] | None:
    """Each read lexsync uses once, its answer's shape reported; None when one fails."""
    failed = False

    async def read(call: str, run: Callable[[], Awaitable[Any]]) -> Any:
        nonlocal failed
        try:
            return await run()
        except ApiError as exc:
            failed = True
            report.add(call, FAIL, exc.answer)
            return None

    await read("GetStateList", api.get_state_list)
    clients = await read("GetClientList", api.get_client_list) or []
    await read("GetClientGroups", api.get_client_groups)
    probe = next((c for c in clients if str(c.get("Username", "")).lower() == PROBE_USERNAME), None)
    someone = probe or (clients[0] if clients else None)
    uid = int(someone["ClientUID"]) if someone else 0
    await read("GetClientData", lambda: api.get_client_data(uid))
    accounts = await read("GetClientAccounts", lambda: api.get_client_accounts(uid)) or []
    account_uid = int(accounts[0]["ClientAccountUID"]) if accounts else 0
    await read("GetClientAccount", lambda: api.get_client_account(uid, account_uid))
    type_uid = int(types[0]["LeadTypeUID"]) if types else 0
    await read("GetAllCriteriaAccounts",
               lambda: api.get_all_criteria_accounts(type_uid, 0, "lexsync-doctor"))
    await read("isUsernameUnique", lambda: api.is_username_unique(PROBE_USERNAME))
    # The buyers for a lead of no known values (what `lexsync test --live` asks): read-only.
    await read("GetClientsforCriteriaAdvanced",
               lambda: api.get_clients_for_criteria_advanced(type_uid, []))
    for call in READS:
        if any(row.check == call for row in report.rows):
            continue  # failed above
        report.add(call, WARN if api.seen.unknown.get(call) else OK, shape(api, call))
    items = {field: api.seen.items[tag] for field, tag in LIST_ITEM_TAGS.items()
             if tag in api.seen.items}
    if items:
        report.add("list items", INFO, ", ".join(f"{field} holds <{name}>"
                                                 for field, name in sorted(items.items()))
                   + " (lexsync's SOAP writes use these names)")
    if api.seen.aliases:
        report.add("list names", INFO, ", ".join(f"{v} for {k}" for k, v in
                                                 sorted(api.seen.aliases.items())))
    statuses = {type(v).__name__ for v in api.seen.client_status.values()}
    if statuses:
        form = "names" if statuses == {"str"} else "numbers" if statuses == {"int"} else "both"
        report.add("client status", INFO, f"GetClientList answers {form}")
    return None if failed else clients


def shape(api: LeadExecApi, call: str) -> str:
    seen = api.seen
    root = seen.roots.get(call, "?")
    namespace = seen.namespaces.get(call) or "no namespace"
    text = f"<{root}> in {namespace}"
    unknown = sorted(seen.unknown.get(call, ()))
    if unknown:
        text += "; unknown elements, ignored: " + ", ".join(unknown)
    return text
