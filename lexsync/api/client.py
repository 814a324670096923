"""LeadExecApi: the one object the rest of lexsync uses to talk to LeadExec."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter
from collections.abc import Callable
from types import TracebackType
from typing import Any

import httpx

from lexsync.api import xmlcodec
from lexsync.api.asmx import AsmxReader
from lexsync.api.auth import TokenProvider
from lexsync.api.behaviour import WireBehaviour, WireSeen
from lexsync.api.httpclient import open_client
from lexsync.api.protocol import SavedWithoutId
from lexsync.api.redact import Redactor
from lexsync.api.rest import RestWriter
from lexsync.api.settings import ApiSettings
from lexsync.api.soap import SoapWriter
from lexsync.api.transport import Clock, Sender, Sleep
from lexsync.api.wiretypes import (
    CLIENT_ACCOUNT,
    CLIENT_FIELD,
    CLIENT_GROUP,
    CLIENT_ITEM,
    CLIENT_SCAN,
    CLIENT_STATUSES,
    LEAD_FIELD,
    LEAD_TYPE,
    SCAN_CRITERION,
    STATE,
)
from lexsync.errors import ApiError, AuthError

log = logging.getLogger("lexsync.api")
# Names used in `calls` and in ApiError.call for the writes.
CALL_CLIENT_REST = "PATCH /v1/clients"
CALL_METHOD_REST = "PUT /v1/delivery/{ClientUID}/methods"
CALL_ACCOUNT_REST = "PUT /v1/delivery/{ClientUID}/accounts"

# REST-only account fields the SOAP AddEditClientAccount does not carry.
SOAP_ACCOUNT_DROPPED = ("WeekMax", "AlternatePosting")


SECRET_FIELDS = frozenset({"Password", "FTPPassword", "SMTPPassword"})

# The reads every plan makes whatever state holds (`prefetch`): method and parameters, as
# `get_client_list` and `get_lead_types` send them.
PREFETCHED: tuple[tuple[str, dict[str, object]], ...] = (
    ("GetClientList", {}), ("GetLeadTypes", {"LeadTypeUID": 0}))


def secret_values(value: Any) -> list[str]:
    """Values of password fields anywhere in a write body (masked if LeadExec echoes them)."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in SECRET_FIELDS and isinstance(item, str) and item:
                found.append(item)
            else:
                found.extend(secret_values(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(secret_values(item))
    return found


def _new_id(obj: dict[str, Any], key: str) -> dict[str, Any]:
    if obj.get(key) == 0:
        obj = {**obj, key: -1}
    return obj


def soap_delivery(body: dict[str, Any]) -> dict[str, Any]:
    """A v1 method body as the SOAP <delivery> element (same nested names per docs/wire.md)."""
    out = _new_id(dict(body), "ClientDeliveryUID")
    settings = []
    for setting in body.get("FieldSettings") or []:
        setting = _new_id(dict(setting), "DeliverySettingUID")
        if "FieldMappings" in setting:
            setting["FieldMappings"] = [_new_id(dict(m), "DeliveryMappingUID")
                                        for m in setting["FieldMappings"] or []]
        settings.append(setting)
    if "FieldSettings" in body:
        out["FieldSettings"] = settings
    if "DeliveryDays" in body:
        out["DeliveryDays"] = [_new_id(dict(d), "DeliveryDayUID")
                               for d in body["DeliveryDays"] or []]
    return out


def soap_account(body: dict[str, Any]) -> dict[str, Any]:
    """A v1 account body as the SOAP <account>: no WeekMax, AlternatePosting, Offer*,
    DeliveryDetails (ignored on write)."""
    out = {k: v for k, v in body.items()
           if k not in SOAP_ACCOUNT_DROPPED and not k.startswith("Offer")
           and k != "DeliveryDetails"}
    out = _new_id(out, "ClientAccountUID")
    if "Criteria" in out:
        out["Criteria"] = [_new_id(dict(c), "ClientCriteriaUID") for c in out["Criteria"] or []]
    return out


def soap_client(body: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A v1 client body as SOAP <Client> and <FieldData> (Value -> FieldValue)."""
    info = {k: v for k, v in (body.get("Info") or {}).items()
            if k != "DeliveryAccountAutomationType"}
    info = _new_id(info, "ClientUID")
    fields = [{"ClientFieldUID": f["ClientFieldUID"], "FieldValue": f.get("Value", "")}
              for f in body.get("FieldData") or []]
    return info, fields


class LeadExecApi:
    """Async client for LeadExec: ASMX reads, REST or SOAP writes.

    Use as `async with LeadExecApi(settings) as api:`. `sleep`, `clock` and `rand` are
    injectable so tests can observe backoff without waiting.
    """

    def __init__(self, settings: ApiSettings, transport: httpx.AsyncBaseTransport | None = None,
                 *, sleep: Sleep = asyncio.sleep, clock: Clock = time.monotonic,
                 rand: Callable[[], float] = random.random) -> None:
        self.settings = settings
        self.calls: Counter[str] = Counter()
        self._transport = transport
        self._sleep = sleep
        self._clock = clock
        self._rand = rand
        self.redact = Redactor(settings.secrets())
        self._http: httpx.AsyncClient | None = None
        self._sender: Sender | None = None
        # What lexsync knows of this LeadExec's open points (from state), and what its
        # answers showed this session.
        self.behaviour = WireBehaviour()
        self.seen = WireSeen()
        # Names to send whatever else is known (doctor's write probe tries each candidate):
        # list field -> item element name, "mapping_list" and "rest_lists".
        self.trying: dict[str, str] = {}
        # Reads started by `prefetch`, not yet taken: (method, parameters) -> the parsed answer.
        self._prefetched: dict[tuple[str, tuple[tuple[str, object], ...]], asyncio.Task[Any]] = {}

    async def __aenter__(self) -> LeadExecApi:
        self._http = open_client(self.settings, self._transport)
        sender = Sender(self._http, self.settings, self.redact, self.calls, sleep=self._sleep,
                        clock=self._clock, rand=self._rand)
        self._sender = sender
        self.tokens = TokenProvider(sender, self.settings, self._clock)
        self.tokens.encoding = self.behaviour.get("token_encoding")
        self._asmx = AsmxReader(sender, self.settings)
        self._soap = SoapWriter(sender, self.settings)
        self._rest = RestWriter(sender, self.settings, self.tokens)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        prefetched, self._prefetched = list(self._prefetched.values()), {}
        for task in prefetched:  # never taken (the plan failed first): stopped, outcome dropped
            task.cancel()
        await asyncio.gather(*prefetched, return_exceptions=True)
        if self._http is not None:
            await self._http.aclose()
        self._http = None
        self._sender = None

    # --- what lexsync knows of this LeadExec ---

    def use_behaviour(self, behaviour: WireBehaviour) -> None:
        self.behaviour = behaviour
        if self._sender is not None and not self.tokens.fell_back:
            self.tokens.encoding = behaviour.get("token_encoding")

    def item_tags(self) -> dict[str, str]:
        """The SOAP item element name of each list field: the one LeadExec's answers used this
        session, else the measured one, else lexsync's guess."""
        from lexsync.api.behaviour import ITEM_DEFAULTS
        from lexsync.api.wiretypes import LIST_ITEM_TAGS

        tags = {}
        for list_field, default in ITEM_DEFAULTS.items():
            seen = self.seen.items.get(LIST_ITEM_TAGS[list_field])
            tags[list_field] = (self.trying.get(list_field) or seen
                                or self.behaviour.item_name(list_field) or default)
        return tags

    def _ready(self, body: Any = None) -> None:
        if self._sender is None:
            raise RuntimeError("use LeadExecApi inside 'async with'")
        for secret in secret_values(body):
            self.redact.add(secret)

    # --- reads ---

    def _noted(self, method: str, notes: xmlcodec.Notes) -> None:
        fresh = self.seen.add(method, notes)
        if fresh:
            log.debug("%s: ignored elements lexsync does not know: %s", method, ", ".join(fresh))

    def prefetch(self) -> None:
        """Start the reads every plan makes first, whatever state holds (`PREFETCHED`: the
        client list and the lead types), so that they travel while state loads. The next
        `get_client_list()` and `get_lead_types()` take these answers, or their failures, as
        their own; later ones read again. Answers not taken are dropped on close."""
        self._ready()
        for method, params in PREFETCHED:
            key = (method, tuple(params.items()))  # as `_array` looks it up
            if key not in self._prefetched:
                self._prefetched[key] = asyncio.ensure_future(self._asmx.call(method, params))

    async def _array(self, method: str, item: Any, **params: object) -> list[dict[str, Any]]:
        self._ready()
        key = (method, tuple(params.items()))
        prefetched = self._prefetched.pop(key, None) if self._prefetched else None
        if prefetched is not None:
            root = await prefetched
            # Answered already, it is decoded once the calls made beside this one have gone
            # out: decoding a large answer holds the loop (~0.06 s at 10,000 buyers).
            await asyncio.sleep(0)
        else:
            root = await self._asmx.call(method, params)
        notes = xmlcodec.Notes()
        rows = xmlcodec.decode_array(method, root, item, notes)
        self._noted(method, notes)
        return rows

    async def get_client_list(self) -> list[dict[str, Any]]:
        rows = await self._array("GetClientList", CLIENT_ITEM)
        numbering = self.behaviour.get("client_status")
        for row in rows:
            if "Status" in row:
                raw = row["Status"]
                self.seen.client_status[int(row["ClientUID"])] = raw
                row["Status"] = client_status_name(raw, numbering)
            if row.get("Password"):
                self.seen.passwords[int(row["ClientUID"])] = row["Password"]
        return rows

    async def get_client_data(self, client_uid: int) -> list[dict[str, Any]]:
        return await self._array("GetClientData", CLIENT_FIELD, ClientUID=client_uid)

    async def get_client_groups(self) -> list[dict[str, Any]]:
        return await self._array("GetClientGroups", CLIENT_GROUP)

    async def get_client_accounts(self, client_uid: int) -> list[dict[str, Any]]:
        return await self._array("GetClientAccounts", CLIENT_ACCOUNT, ClientUID=client_uid)

    async def get_client_account(self, client_uid: int, account_uid: int
                                 ) -> dict[str, Any] | None:
        self._ready()
        method = "GetClientAccount"
        root = await self._asmx.call(method, {"ClientUID": client_uid, "AccountUID": account_uid})
        notes = xmlcodec.Notes()
        account = xmlcodec.decode_single(method, root, CLIENT_ACCOUNT, notes)
        self._noted(method, notes)
        return account

    async def get_all_criteria_accounts(self, lead_type_uid: int, lead_field_uid: int,
                                        value: str) -> list[dict[str, Any]]:
        return await self._array("GetAllCriteriaAccounts", CLIENT_ACCOUNT,
                                 LeadTypeUID=lead_type_uid, LeadFieldUID=lead_field_uid,
                                 Value=value)

    async def get_lead_types(self) -> list[dict[str, Any]]:
        return await self._array("GetLeadTypes", LEAD_TYPE, LeadTypeUID=0)

    async def get_lead_fields(self, lead_type_uid: int) -> list[dict[str, Any]]:
        return await self._array("GetLeadFields", LEAD_FIELD, LeadTypeUID=lead_type_uid)

    async def get_state_list(self) -> list[dict[str, Any]]:
        return await self._array("GetStateList", STATE)

    async def get_clients_for_criteria_advanced(self, lead_type_uid: int,
                                                criteria: list[tuple[str, str]]
                                                ) -> list[dict[str, Any]]:
        """The buyers LeadExec offers, now, a lead of this type with these (field name, value)
        pairs. Read-only; a SOAP call because its Criteria parameter is an array."""
        from lexsync.api.asmx import key_refused
        from lexsync.api.soap import find_fault, request_text

        self._ready()
        method = "GetClientsforCriteriaAdvanced"
        settings = self.settings
        if not settings.api_key:
            raise AuthError(method, "reads need an API key (api_key is not set)")
        tags, order = {"Criteria": SCAN_CRITERION.tag}, {SCAN_CRITERION.tag: tuple(SCAN_CRITERION.fields)}
        parts = (("Key", settings.api_key), ("LeadTypeUID", int(lead_type_uid)),
                 ("Criteria", [{"Name": name, "Value": value} for name, value in criteria]))
        content = request_text(method, settings.namespace, parts, tags, order).encode()
        headers = {"Content-Type": "text/xml; charset=utf-8",
                   "SOAPAction": f'"{settings.soap_action_prefix}{method}"'}
        sender = self._sender
        assert sender is not None

        def answer(response: httpx.Response) -> Any:
            try:
                root = xmlcodec.parse(method, response.content)
            except ApiError:
                return None
            fault = find_fault(root)
            if fault is not None:
                message = sender.redact(fault[1]) or "(empty faultstring)"
                error = AuthError if key_refused(message) else ApiError
                raise error(method, message, response.status_code)
            return root

        def check(response: httpx.Response) -> None:
            if not response.is_success:
                answer(response)  # a SOAP fault is final; anything else, the retry policy decides

        response = await sender.send(
            method, lambda: sender.build_request("POST", f"{settings.root}/service.asmx",
                                                 content=content, headers=headers),
            write=False, check=check)
        root = answer(response) if response.is_success else None
        if root is None:
            raise ApiError(method, sender.answer_text(response), response.status_code)
        result = None
        for element in root.iter():
            if isinstance(element.tag, str) and xmlcodec.local(element.tag) == f"{method}Result":
                result = element
                break
        if result is None:
            raise ApiError(method, f"{method} answered no {method}Result", response.status_code)
        notes = xmlcodec.Notes()
        notes.root = f"{method}Result"
        notes.namespace = xmlcodec.namespace(result.tag)
        try:
            rows = xmlcodec.decode_items(result, CLIENT_SCAN, f"/{method}Result", notes)
            self._noted(method, notes)
            return rows
        except xmlcodec.DecodeError as exc:
            raise ApiError(method, f"{method} answered XML that does not match the reference: "
                           f"{exc}", 200) from None

    async def is_username_unique(self, username: str) -> bool:
        self._ready()
        method = "isUsernameUnique"
        root = await self._asmx.call(method, {"Username": username})
        notes = xmlcodec.Notes()
        unique = bool(xmlcodec.decode_value(method, root, "bool", notes))
        self._noted(method, notes)
        return unique

    # --- writes: each returns the ID LeadExec saved ---

    def _saved(self, call: str, saved: int | None, sent: Any) -> int:
        """The saved ID; for an update whose answer carries none, the ID sent. A create whose
        answer carries none raises SavedWithoutId: the object is saved, to be found by its
        natural key and never sent again."""
        self.seen.saved_ids[call] = saved is not None
        if saved is not None:
            return saved
        if isinstance(sent, int) and sent > 0:
            return sent
        raise SavedWithoutId(call)

    def _rest_lists(self, body: dict[str, Any]) -> dict[str, Any]:
        """A method body with its lists under the v1 table's names (Settings, Mappings)
        when LeadExec is known to take those, not the example's."""
        names = self.trying.get("rest_lists") or self.behaviour.get("rest_lists")
        if names != "table" or "FieldSettings" not in body:
            return body
        body = {("Settings" if k == "FieldSettings" else k): v for k, v in body.items()}
        body["Settings"] = [{("Mappings" if k == "FieldMappings" else k): v
                             for k, v in setting.items()} for setting in body["Settings"]]
        return body

    def _soap_mappings(self, delivery: dict[str, Any]) -> dict[str, Any]:
        """The SOAP <delivery> with its settings' value mappings under the name LeadExec uses
        for that list (FieldMappings, or the v1 table's Mappings)."""
        name = (self.trying.get("mapping_list") or self.seen.aliases.get("FieldMappings")
                or self.behaviour.get("mapping_list"))
        if name == "FieldMappings" or not delivery.get("FieldSettings"):
            return delivery
        return {**delivery, "FieldSettings": [
            {(name if k == "FieldMappings" else k): v for k, v in setting.items()}
            for setting in delivery["FieldSettings"]]}

    async def write_client(self, body: dict[str, Any]) -> int:
        body = self._keep_password(body)
        if "FieldData" in body and not body["FieldData"]:
            # Nothing to say about the fields: no list at all, which every reading keeps
            # (an empty one would clear them where FieldData replaces).
            body = {k: v for k, v in body.items() if k != "FieldData"}
        self._ready(body)
        sent = (body.get("Info") or {}).get("ClientUID")
        if self.settings.dialect == "rest":
            saved = await self._rest.call(CALL_CLIENT_REST, "PATCH", "/v1/clients", body)
            return self._saved(CALL_CLIENT_REST, saved, sent)
        info, fields = soap_client(body)
        parts: list[tuple[str, Any]] = [("Client", info)]
        if "FieldData" in body:
            parts.append(("FieldData", fields))
        saved = await self._soap.call("AddEditClient", parts, self.item_tags())
        return self._saved("AddEditClient", saved, sent)

    def _keep_password(self, body: dict[str, Any]) -> dict[str, Any]:
        """Where LeadExec clears what a write omits (measured), a client update that does not
        change the portal password sends the one LeadExec answered, so it is not wiped."""
        info = body.get("Info") or {}
        uid = info.get("ClientUID")
        if (self.behaviour.get("omitted_fields") != "clear" or "Password" in info
                or not isinstance(uid, int) or uid <= 0):
            return body
        password = self.seen.passwords.get(uid)
        if not password:
            return body
        return {**body, "Info": {**info, "Password": password}}

    async def write_group(self, group: dict[str, Any]) -> int:
        # No REST endpoint exists for groups: SOAP in both dialects.
        self._ready()
        saved = await self._soap.call("AddEditClientGroup",
                                      [("Group", _new_id(dict(group), "ClientGroupUID"))])
        return self._saved("AddEditClientGroup", saved, group.get("ClientGroupUID"))

    async def write_method(self, client_uid: int, body: dict[str, Any]) -> int:
        self._ready(body)
        body = {**body, "ClientUID": body.get("ClientUID") or client_uid}
        sent = body.get("ClientDeliveryUID")
        if self.settings.dialect == "rest":
            saved = await self._rest.call(CALL_METHOD_REST, "PUT",
                                          f"/v1/delivery/{int(client_uid)}/methods",
                                          self._rest_lists(body))
            return self._saved(CALL_METHOD_REST, saved, sent)
        delivery = self._soap_mappings(soap_delivery(body))
        saved = await self._soap.call("AddEditClientDelivery", [("delivery", delivery)],
                                      self.item_tags())
        return self._saved("AddEditClientDelivery", saved, sent)

    async def write_account(self, client_uid: int, body: dict[str, Any]) -> int:
        self._ready(body)
        body = {**body, "ClientUID": body.get("ClientUID") or client_uid}
        sent = body.get("ClientAccountUID")
        if self.settings.dialect == "rest":
            saved = await self._rest.call(CALL_ACCOUNT_REST, "PUT",
                                          f"/v1/delivery/{int(client_uid)}/accounts", body)
            return self._saved(CALL_ACCOUNT_REST, saved, sent)
        saved = await self._soap.call("AddEditClientAccount", [("account", soap_account(body))],
                                      self.item_tags())
        return self._saved("AddEditClientAccount", saved, sent)


def client_status_name(raw: Any, numbering: str) -> Any:
    """GetClientList's Status as the ClientStatus name the writes take: a number counted from
    0 or from 1 (as measured; from 0 assumed), or a name in any case. What matches neither is
    passed on as it came."""
    if isinstance(raw, int):
        index = raw - 1 if numbering == "index1" else raw
        return CLIENT_STATUSES[index] if 0 <= index < len(CLIENT_STATUSES) else raw
    if isinstance(raw, str):
        for name in CLIENT_STATUSES:
            if name.lower() == raw.lower():
                return name
    return raw
