"""`lexsync coverage`: per US state and hour of the week, how many accounts take a lead.

Each cell is the moment the hour starts (HH:00 in the grid's time zone, in the week given).
Criteria on fields the user gave are evaluated; criteria on other fields are taken as met,
and listed, so the grid answers "could anyone buy this lead here and now".
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from lexsync.errors import LexsyncError
from lexsync.routing import rules
from lexsync.routing.network import AccountEntry, CriterionEntry, Network
from lexsync.routing.states import ABBREVIATIONS

HOURS = 168


@dataclass
class Coverage:
    lead_type: str
    state_field: str
    fields: dict[str, str]
    week_start: datetime  # Sunday 00:00 in the grid's zone
    zone: tzinfo
    states: tuple[str, ...]
    counts: dict[str, list[int]]  # state -> 168 counts, Sunday 00:00 first
    accounts: int  # accounts of the lead type that can receive leads at all
    assumed: list[str] = field(default_factory=list)  # fields whose criteria were taken as met
    not_evaluated: int = 0  # accounts with a criterion route does not evaluate, counted as met

    def gaps(self) -> int:
        return sum(1 for row in self.counts.values() for n in row if n == 0)

    def dead_states(self) -> list[str]:
        return [s for s, row in self.counts.items() if not any(row)]


def week_start(moment: datetime, zone: tzinfo) -> datetime:
    """Sunday 00:00 of the week holding `moment`, in `zone`."""
    local = moment.astimezone(zone)
    sunday = local.date() - timedelta(days=(local.weekday() + 1) % 7)
    return datetime(sunday.year, sunday.month, sunday.day, tzinfo=zone)


def hour_moments(start: datetime) -> list[datetime]:
    # Wall-clock hours of the week (a DST change makes one hour repeat or go missing).
    zone = start.tzinfo
    return [datetime.combine(start.date() + timedelta(days=h // 24), datetime.min.time(),
                             tzinfo=zone).replace(hour=h % 24) for h in range(HOURS)]


def compute_coverage(network: Network, lead_type: str, fields: dict[str, str],
                     moment: datetime, zone: tzinfo) -> Coverage:
    type_key = network.lead_type(lead_type)
    if type_key is None:
        known = ", ".join(sorted(network.lead_types.values())) or "none"
        raise LexsyncError(f"no delivery method takes lead type {lead_type!r} (lead types in the "
                           f"configuration: {known})")
    if not network.state_fields:
        raise LexsyncError("coverage needs a state field: set routing.state_fields")
    state_field = network.settings.state_fields[0]
    given = {rules.name_key(k): v for k, v in fields.items()}
    accounts = [a for a in network.by_lead_type[type_key] if a.blocker is None]
    start = week_start(moment, zone)
    moments = hour_moments(start)
    open_by_hour = [[rules.schedule_open(windows, m.astimezone(sig_zone), network.options)
                     for windows, sig_zone in network.schedules] for m in moments]
    assumed: set[str] = set()
    unevaluated_accounts: set[int] = set()
    counts: dict[str, list[int]] = {}
    for state in ABBREVIATIONS:
        values = {**given, rules.name_key(state_field): state}
        outcomes: dict[int, tuple[bool, bool]] = {}
        per_sig: Counter[int] = Counter()
        for account in accounts:
            outcome = outcomes.get(account.group)
            if outcome is None:
                outcome = outcomes[account.group] = _passes(
                    network.groups[account.group], values,
                    moment.astimezone(network.platform_zone), assumed)
            if outcome[0]:
                per_sig[account.method.schedule] += 1
                if outcome[1]:
                    unevaluated_accounts.add(account.index)
        counts[state] = [sum(n for sig, n in per_sig.items() if open_now[sig])
                         for open_now in open_by_hour]
    names = {rules.name_key(c.criterion.field): c.criterion.field
             for group in network.groups for c in group}
    return Coverage(network.lead_types[type_key], state_field, dict(fields), start, zone,
                    ABBREVIATIONS, counts, len(accounts),
                    sorted(names.get(k, k) for k in assumed), len(unevaluated_accounts))


def _passes(criteria: tuple[CriterionEntry, ...], values: dict[str, str], moment: datetime,
            assumed: set[str]) -> tuple[bool, bool]:
    """(passes, relied on a criterion not evaluated) for one state's lead."""
    unevaluated = False
    for entry in criteria:
        if entry.field_key not in values:
            assumed.add(entry.field_key)
            continue
        verdict = entry.test(values[entry.field_key], moment)
        if not verdict.passed:
            return False, False
        unevaluated = unevaluated or not verdict.evaluated
    return True, unevaluated


def receiving_accounts(network: Network, lead_type: str) -> list[AccountEntry]:
    key = network.lead_type(lead_type)
    return [a for a in network.by_lead_type.get(key or "", []) if a.blocker is None]
