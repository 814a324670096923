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
class Reason:
    """Why accounts do not take a lead; shared by every account it stops."""

    code: str  # client_status, account_status, ..., schedule, criterion
    text: str
    criterion: int | None = None  # index of the failing criterion in the accounts' lists


@dataclass(frozen=True)
class Rejection:
    account: AccountEntry
    code: str
    reason: str
    criterion: int | None = None


@dataclass
class RouteResult:
    lead: Lead
    moment: datetime
    lead_type: str
    accepted: list[Acceptance]
    # Accounts that do not take the lead, by reason (lists shared with the network: read only).
    reasons: list[tuple[Reason, list[AccountEntry]]]

    @property
    def buyers(self) -> list[Acceptance]:
        return [a for a in self.accepted if a.buyer]

    @property
    def rejected(self) -> list[Rejection]:
        """One entry per account that does not take the lead, in configuration order."""
        found = [Rejection(account, reason.code, reason.text, reason.criterion)
                 for reason, accounts in self.reasons for account in accounts]
        return sorted(found, key=lambda r: r.account.index)


@dataclass(frozen=True)
class _GroupOutcome:
    failed: Reason | None
    notes: tuple[str, ...]


class Router:
    """Routes leads against one compiled network. Accounts are taken bucket by bucket (same
    schedule, same criteria): schedules are worked out once per moment, each distinct
    criterion once per lead."""

    def __init__(self, network: Network) -> None:
        self.network = network
        self._blocked: dict[str, list[tuple[Reason, list[AccountEntry]]]] = {
            key: [(Reason(b.code, b.message), accounts) for b, accounts in found]
            for key, found in network.blocked.items()}
        self._schedule_reasons: dict[tuple[int, datetime], Reason] = {}

    def route(self, lead: Lead, moment: datetime) -> RouteResult:
        network = self.network
        type_key = network.lead_type(lead.lead_type)
        if type_key is None:
            known = ", ".join(sorted(network.lead_types.values())) or "none"
            raise LexsyncError(f"{lead.name}: no delivery method takes lead type "
                               f"{lead.lead_type!r} (lead types in the configuration: {known})")
        open_now = network.open_schedules(moment)
        today = moment.astimezone(network.platform_zone)  # DateCompare's "today" (A12)
        verdicts: dict[int, rules.Verdict] = {}
        outcomes: dict[int, _GroupOutcome] = {}
        reasons = list(self._blocked.get(type_key, ()))
        candidates: list[rules.Candidate] = []
        for bucket in network.buckets.get(type_key, ()):
            if not open_now[bucket.schedule]:
                reasons.append((self._schedule_reason(bucket.accounts[0], moment), bucket.accounts))
                continue
            outcome = outcomes.get(bucket.group)
            if outcome is None:
                outcome = outcomes[bucket.group] = self._evaluate(
                    network.groups[bucket.group], lead, today, verdicts)
            if outcome.failed is not None:
                reasons.append((outcome.failed, bucket.accounts))
                continue
            for account in bucket.accounts:
                client = account.client
                candidates.append(rules.Candidate(
                    client.key, client.order, account.key, account.index, account.price,
                    client.automation, client.priority, account.priority, client.tiers,
                    extra=(account, outcome.notes)))
        ordered = rules.order_candidates(candidates, network.settings.distribution,
                                         network.settings.tie_break)
        acceptances = [Acceptance(c.extra[0], buyer, c.extra[0].notes + c.extra[1])  # type: ignore[index]
                       for c, buyer in ordered]
        return RouteResult(lead, moment, network.lead_types[type_key], acceptances, reasons)

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
                    return _GroupOutcome(Reason("criterion", note + " (routing.unevaluated: fail)",
                                                index), ())
                notes.append(note)
            elif not verdict.passed:
                return _GroupOutcome(Reason("criterion", f"criterion {index + 1} "
                                            f"({entry.criterion.describe()}): {verdict.why}",
                                            index), ())
        return _GroupOutcome(None, tuple(notes))

    def _schedule_reason(self, account: AccountEntry, moment: datetime) -> Reason:
        method = account.method
        key = (method.schedule, moment)
        reason = self._schedule_reasons.get(key)
        if reason is None:
            local = moment.astimezone(method.zone)
            reason = self._schedule_reasons[key] = Reason(
                "schedule", f"outside its schedule: {local:%a %H:%M} in {zone_label(method.zone)}; "
                            f"its method takes leads {rules.describe_windows(method.windows)}")
        return reason


def zone_label(zone: object) -> str:
    return str(getattr(zone, "key", None) or zone)
