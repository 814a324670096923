"""Route one lead at one moment: the accounts that take it, in LeadExec's scan order, and for
every other account of its lead type the first reason it does not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lexsync.errors import LexsyncError
from lexsync.routing import rules
from lexsync.routing.leads import Lead
from lexsync.routing.network import AccountEntry, CriterionEntry, Network


@dataclass(frozen=True)
class Acceptance:
    account: AccountEntry
    buyer: bool  # False: its client already takes the lead through an earlier account (A19)
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Rejection:
    account: AccountEntry
    code: str  # client_status, account_status, ..., schedule, criterion
    reason: str
    criterion: int | None = None  # index of the failing criterion in the account's list


@dataclass
class RouteResult:
    lead: Lead
    moment: datetime
    lead_type: str
    accepted: list[Acceptance]
    rejected: list[Rejection]

    @property
    def buyers(self) -> list[Acceptance]:
        return [a for a in self.accepted if a.buyer]


@dataclass(frozen=True)
class _GroupOutcome:
    failed: CriterionEntry | None
    index: int | None
    why: str
    notes: tuple[str, ...]


class Router:
    """Routes leads against one compiled network; schedules are worked out once per moment
    and each distinct criterion once per lead."""

    def __init__(self, network: Network) -> None:
        self.network = network
        self._schedule_reasons: dict[tuple[int, datetime], str] = {}

    def route(self, lead: Lead, moment: datetime) -> RouteResult:
        network = self.network
        type_key = network.lead_type(lead.lead_type)
        if type_key is None:
            known = ", ".join(sorted(network.lead_types.values())) or "none"
            raise LexsyncError(f"{lead.name}: no delivery method takes lead type "
                               f"{lead.lead_type!r} (lead types in the configuration: {known})")
        open_methods = network.open_methods(moment)
        today = moment.astimezone(network.platform_zone)  # DateCompare's "today" (A12)
        verdicts: dict[int, rules.Verdict] = {}
        outcomes: dict[int, _GroupOutcome] = {}
        accepted: list[rules.Candidate] = []
        rejected: list[Rejection] = []
        for account in network.by_lead_type[type_key]:
            if account.blocker is not None:
                rejected.append(Rejection(account, account.blocker.code, account.blocker.message))
                continue
            if not open_methods[account.method.id]:
                rejected.append(Rejection(account, "schedule", self._schedule_reason(account, moment)))
                continue
            outcome = outcomes.get(account.group)
            if outcome is None:
                outcome = outcomes[account.group] = self._evaluate(
                    network.groups[account.group], lead, today, verdicts)
            if outcome.failed is not None:
                rejected.append(Rejection(account, "criterion", outcome.why, outcome.index))
                continue
            client = account.client
            accepted.append(rules.Candidate(
                client.key, client.order, account.key, account.index, account.price,
                client.automation, client.priority, account.priority, client.tiers,
                extra=(account, outcome.notes)))
        ordered = rules.order_candidates(accepted, network.settings.distribution,
                                         network.settings.tie_break)
        acceptances = [Acceptance(c.extra[0], buyer, c.extra[0].notes + c.extra[1])  # type: ignore[index]
                       for c, buyer in ordered]
        return RouteResult(lead, moment, network.lead_types[type_key], acceptances, rejected)

    def _evaluate(self, criteria: tuple[CriterionEntry, ...], lead: Lead, moment: datetime,
                  verdicts: dict[int, rules.Verdict]) -> _GroupOutcome:
        notes: list[str] = []
        for index, entry in enumerate(criteria):
            verdict = verdicts.get(entry.id)
            if verdict is None:
                verdict = verdicts[entry.id] = entry.test(lead.value(entry.field_key), moment)
            if not verdict.evaluated:
                note = f"criterion {index + 1} ({entry.criterion.describe()}) not evaluated: {verdict.why}"
                if not verdict.passed:
                    return _GroupOutcome(entry, index, note + " (routing.unevaluated: fail)", ())
                notes.append(note)
            elif not verdict.passed:
                return _GroupOutcome(entry, index,
                                     f"criterion {index + 1} ({entry.criterion.describe()}): "
                                     f"{verdict.why}", ())
        return _GroupOutcome(None, None, "", tuple(notes))

    def _schedule_reason(self, account: AccountEntry, moment: datetime) -> str:
        key = (account.method.id, moment)
        reason = self._schedule_reasons.get(key)
        if reason is None:
            method = account.method
            local = moment.astimezone(method.zone)
            reason = self._schedule_reasons[key] = (
                f"outside its schedule: {local:%a %H:%M} in {zone_label(method.zone)}; "
                f"method {method.key} takes leads {rules.describe_windows(method.windows)}")
        return reason


def zone_label(zone: object) -> str:
    return str(getattr(zone, "key", None) or zone)
