"""An in-memory LeadExec for engine unit tests: stores write bodies, answers reads from them.

It follows docs/wire.md's semantics in the simplest way; the end-to-end tests hold the
engine to the real sandbox over a socket.
"""

from __future__ import annotations

import copy
import itertools
from collections import Counter

from lexsync.api.behaviour import WireBehaviour, WireSeen

LEAD_TYPES = [{"LeadTypeUID": 1, "Descriptor": "Auto Insurance"},
              {"LeadTypeUID": 2, "Descriptor": "Home Insurance"}]
FIELDS = {
    1: [("FirstName", 101, False), ("LastName", 102, False), ("State", 103, True), ("Age", 104, False),
        ("Zip", 105, False)],
    2: [("FirstName", 201, False), ("State", 203, True), ("HomeValue", 204, False)],
}
STATES = [(1, "California", "CA"), (2, "Nevada", "NV"), (3, "Texas", "TX"), (4, "Oregon", "OR")]
CLIENT_STATUSES = ["New", "Pending", "Working", "Waiting", "Dead", "Inactive", "Active", "Late",
                   "Suspended", "Closed"]


class FakeApi:
    def __init__(self) -> None:
        self.ids = itertools.count(1)
        self.groups: dict[int, dict] = {}
        self.clients: dict[int, dict] = {}
        self.fields: dict[int, dict[int, str]] = {}
        self.methods: dict[int, dict] = {}
        self.accounts: dict[int, dict] = {}
        self.calls: Counter[str] = Counter()
        self.fail_next: list[Exception] = []  # raised by _maybe_fail, for tests that wrap a write
        self.behaviour = WireBehaviour()
        self.seen = WireSeen()  # nothing: this LeadExec answers every write with its ID

    def use_behaviour(self, behaviour: WireBehaviour) -> None:
        """What state says of LeadExec's open points (the engine's findings), as LeadExecApi
        takes it."""
        self.behaviour = behaviour

    def item_tags(self) -> dict[str, str]:
        return {}  # writes are stored as bodies: no SOAP element names

    def prefetch(self) -> None:
        return None  # answers are in memory: nothing travels

    async def __aenter__(self) -> FakeApi:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    # reads
    async def get_lead_types(self) -> list[dict]:
        self.calls["GetLeadTypes"] += 1
        return copy.deepcopy(LEAD_TYPES)

    async def get_lead_fields(self, lead_type_uid: int) -> list[dict]:
        self.calls["GetLeadFields"] += 1
        return [{"LeadFieldUID": uid, "LeadTypeUID": lead_type_uid, "Descriptor": name, "isState": st,
                 "FieldDataType": "Varchar"} for name, uid, st in FIELDS.get(lead_type_uid, [])]

    async def get_state_list(self) -> list[dict]:
        self.calls["GetStateList"] += 1
        return [{"StateUID": uid, "Name": name, "Abbr": abbr} for uid, name, abbr in STATES]

    async def get_client_groups(self) -> list[dict]:
        self.calls["GetClientGroups"] += 1
        return copy.deepcopy(list(self.groups.values()))

    async def get_client_list(self) -> list[dict]:
        self.calls["GetClientList"] += 1
        rows = []
        for info in self.clients.values():
            row = copy.deepcopy(info)
            row["Status"] = CLIENT_STATUSES.index(row["Status"])
            row["AutomationType"] = row.pop("DeliveryAccountAutomationType", "Price")
            rows.append(row)
        return rows

    async def get_client_data(self, client_uid: int) -> list[dict]:
        self.calls["GetClientData"] += 1
        values = self.fields.get(client_uid, {})
        return [{"ClientFieldUID": uid, "Descriptor": name, "FieldValue": values.get(uid, "")}
                for name, uid in (("Company", 1), ("Email", 4))]

    async def get_client_accounts(self, client_uid: int) -> list[dict]:
        self.calls["GetClientAccounts"] += 1
        out = []
        for account in self.accounts.values():
            if account["ClientUID"] == client_uid:
                # No read returns WeekMax, AlternatePosting or the Offer* fields (docs/wire.md).
                row = {k: copy.deepcopy(v) for k, v in account.items()
                       if k not in ("WeekMax", "AlternatePosting") and not k.startswith("Offer")}
                row["DeliveryDetails"] = copy.deepcopy(self.methods[account["DeliveryUID"]])
                out.append(row)
        return out

    # writes
    def _maybe_fail(self) -> None:
        if self.fail_next:
            raise self.fail_next.pop(0)

    async def write_group(self, group: dict) -> int:
        self.calls["AddEditClientGroup"] += 1
        uid = group["ClientGroupUID"] if group["ClientGroupUID"] > 0 else next(self.ids)
        self.groups[uid] = {**group, "ClientGroupUID": uid}
        return uid

    async def write_client(self, body: dict) -> int:
        self.calls["PATCH /v1/clients"] += 1
        info = dict(body["Info"])
        uid = info["ClientUID"] if info["ClientUID"] > 0 else next(self.ids)
        stored = self.clients.get(uid, {})
        password = info.get("Password", stored.get("Password", ""))
        self.clients[uid] = {**stored, **info, "ClientUID": uid, "Password": password}
        self.fields.setdefault(uid, {}).update({f["ClientFieldUID"]: f["Value"] for f in body["FieldData"]})
        return uid

    async def write_method(self, client_uid: int, body: dict) -> int:
        self.calls["PUT /v1/delivery/{ClientUID}/methods"] += 1
        uid = body["ClientDeliveryUID"] if body["ClientDeliveryUID"] > 0 else next(self.ids)
        stored = self.methods.get(uid, {"FieldSettings": [], "DeliveryDays": []})
        settings = {s["DeliverySettingUID"]: s for s in stored["FieldSettings"]}
        for sent in body.get("FieldSettings", []):
            sid = sent["DeliverySettingUID"] or next(self.ids)
            if sent["Delete"]:
                settings.pop(sid, None)
                continue
            old_maps = {m["DeliveryMappingUID"]: m for m in settings.get(sid, {}).get("FieldMappings", [])}
            for m in sent["FieldMappings"]:
                mid = m["DeliveryMappingUID"] or next(self.ids)
                if m["Delete"]:
                    old_maps.pop(mid, None)
                else:
                    old_maps[mid] = {**m, "DeliveryMappingUID": mid, "DeliverySettingUID": sid}
            settings[sid] = {**sent, "DeliverySettingUID": sid, "DeliveryUID": uid,
                             "FieldMappings": list(old_maps.values())}
            settings[sid].pop("Delete", None)
        days = stored["DeliveryDays"]
        if "DeliveryDays" in body:
            days = [{**d, "DeliveryDayUID": d["DeliveryDayUID"] or next(self.ids), "DeliveryUID": uid}
                    for d in body["DeliveryDays"]]
        self.methods[uid] = {**body, "ClientDeliveryUID": uid, "ClientUID": client_uid,
                             "FieldSettings": list(settings.values()), "DeliveryDays": days}
        return uid

    async def write_account(self, client_uid: int, body: dict) -> int:
        self.calls["PUT /v1/delivery/{ClientUID}/accounts"] += 1
        uid = body["ClientAccountUID"] if body["ClientAccountUID"] > 0 else next(self.ids)
        criteria = [{**c, "ClientCriteriaUID": c["ClientCriteriaUID"] or next(self.ids)}
                    for c in body.get("Criteria", [])]
        self.accounts[uid] = {**self.accounts.get(uid, {}), **body, "ClientAccountUID": uid,
                              "ClientUID": client_uid, "Criteria": criteria}
        return uid

    def writes(self) -> int:
        return sum(n for k, n in self.calls.items() if not k.startswith("Get"))
