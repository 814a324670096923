"""`--live`: ask LeadExec itself (GetClientsforCriteriaAdvanced, read-only) and compare.

LeadExec answers for its own present moment, one row per client with a price; the comparison
is between that answer and lexsync's simulation at the same moment, client by client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from lexsync.errors import LexsyncError
from lexsync.routing.leads import Lead
from lexsync.routing.route import RouteResult
from lexsync.routing.rules import name_key


class ScanReads(Protocol):
    async def get_lead_types(self) -> list[dict[str, Any]]: ...

    async def get_clients_for_criteria_advanced(self, lead_type_uid: int,
                                                criteria: list[tuple[str, str]]
                                                ) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class LiveBuyer:
    client: str  # the YAML key, or "ClientUID N (name)" for a client state does not know
    price: float


@dataclass
class LiveComparison:
    lead: str
    leadexec: list[LiveBuyer]
    lexsync: list[LiveBuyer]
    disagreements: list[str]


class LiveScan:
    """Asks LeadExec for lead after lead; lead types are looked up once."""

    def __init__(self, api: ScanReads, client_ids: dict[int, str]) -> None:
        self.api = api
        self.client_ids = client_ids
        self._types: dict[str, int] | None = None

    async def ask(self, lead: Lead) -> list[LiveBuyer]:
        if self._types is None:
            self._types = {name_key(str(row.get("Descriptor", ""))): int(row["LeadTypeUID"])
                           for row in await self.api.get_lead_types()}
        uid = self._types.get(name_key(lead.lead_type))
        if uid is None:
            raise LexsyncError(f"{lead.name}: LeadExec has no lead type {lead.lead_type!r}")
        rows = await self.api.get_clients_for_criteria_advanced(uid, list(lead.fields.items()))
        return [LiveBuyer(self._client(row), float(row.get("Price", 0.0))) for row in rows]

    def _client(self, row: dict[str, Any]) -> str:
        uid = int(row["ClientUID"])
        return self.client_ids.get(uid) or f"ClientUID {uid} ({row.get('ClientName') or '?'})"


def compare(result: RouteResult, leadexec: list[LiveBuyer]) -> LiveComparison:
    simulated = [LiveBuyer(a.account.client.key, a.account.price) for a in result.buyers]
    ours = {b.client: b for b in simulated}
    theirs = {b.client: b for b in leadexec}
    problems = []
    for client, buyer in theirs.items():
        if client not in ours:
            problems.append(f"LeadExec offers {client} (${buyer.price:,.2f}); lexsync finds it "
                            f"does not take the lead{_why(result, client)}")
        elif abs(ours[client].price - buyer.price) > 0.005:
            problems.append(f"{client}: LeadExec's price ${buyer.price:,.2f}, lexsync's "
                            f"${ours[client].price:,.2f}")
    for client, buyer in ours.items():
        if client not in theirs:
            problems.append(f"lexsync finds {client} takes the lead (${buyer.price:,.2f}); "
                            "LeadExec does not offer it")
    return LiveComparison(result.lead.name, leadexec, simulated, problems)


def _why(result: RouteResult, client: str) -> str:
    reasons = [r.reason for r in result.rejected if r.account.client.key == client]
    return f" ({reasons[0]})" if reasons else ""
