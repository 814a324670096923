"""Route results, test outcomes and coverage as text lines and JSON-ready dicts."""

from __future__ import annotations

from datetime import datetime
from operator import attrgetter, itemgetter
from typing import Any

from lexsync.config.models import RoutingSettings
from lexsync.routing.coverage import Coverage
from lexsync.routing.network import AccountEntry
from lexsync.routing.route import RouteResult

ORDER_WORDS = {"Price": "highest price first", "Priority": "lowest priority number first",
               "RoundRobin": "round robin, shown in entry order"}


def moment_text(moment: datetime) -> str:
    return f"{moment:%a %Y-%m-%d %H:%M} {moment.tzname() or ''} ({moment:%z})".replace("  ", " ")


def assumptions(settings: RoutingSettings) -> list[dict[str, str]]:
    """The readings a result rests on, each with its label in docs/routing.md."""
    tie = f", then {settings.tie_break}" if settings.tie_break else ""
    return [
        {"id": "A1", "text": f"between clients: {settings.distribution} "
                             f"({ORDER_WORDS[settings.distribution]}){tie}, then entry order"},
        {"id": "A4", "text": f"schedules read in the {settings.schedule_time_zone}'s time zone "
                             f"(platform: {settings.time_zone})"},
        {"id": "A19", "text": "one account per client unless it uses tier delivery"},
        {"id": "A21", "text": "caps other than 0 are assumed to have room"},
    ]


def assumption_line(settings: RoutingSettings) -> str:
    return ("Assumed where LeadExec documents nothing (docs/routing.md): "
            + "; ".join(f"{a['id']} {a['text']}" for a in assumptions(settings)) + ".")


def route_lines(result: RouteResult, settings: RoutingSettings) -> list[str]:
    lead = result.lead
    lines = [f"Lead {lead.name} ({result.lead_type}) at {moment_text(result.moment)}"]
    if not result.accepted:
        lines.append("  No buyer: no account takes this lead.")
    else:
        lines.append("  Takes it, in LeadExec's scan order:")
        position = 0
        width = max(len(a.account.ref) for a in result.accepted)
        for acceptance in result.accepted:
            account = acceptance.account
            if acceptance.buyer:
                position += 1
                head = f"    {position:>2}. {account.ref:<{width}}  ${account.price:,.2f}"
            else:
                head = (f"        {account.ref:<{width}}  ${account.price:,.2f}  (also accepts; "
                        f"{account.client.key} takes the lead once, through an earlier account)")
            lines.append(head)
            lines += [f"          note: {note}" for note in acceptance.notes]
    groups = merged_reasons(result)
    if groups:
        lines.append("  Does not take it:")
    for (_code, text, _criterion), refs in groups:
        if len(refs) == 1:
            lines.append(f"    {refs[0]}: {text}")
        else:
            lines += [f"    {len(refs)} accounts: {text}", f"      {', '.join(refs)}"]
    return lines


def merged_reasons(result: RouteResult) -> list[tuple[tuple[str, str, int | None], list[str]]]:
    """Accounts that do not take the lead, by reason (same words, same group), in the order
    of their first account."""
    merged: dict[tuple[str, str, int | None], list[list[AccountEntry]]] = {}
    for reason, accounts in result.reasons:
        merged.setdefault((reason.code, reason.text, reason.criterion), []).append(accounts)
    groups = []
    for key, lists in merged.items():
        # Each list is in configuration order already; only merged lists need sorting.
        accounts = lists[0] if len(lists) == 1 else sorted(
            (a for found in lists for a in found), key=attrgetter("index"))
        groups.append((accounts[0].index, key, [a.ref for a in accounts]))
    groups.sort(key=itemgetter(0))
    return [(key, refs) for _, key, refs in groups]


def route_json(result: RouteResult) -> dict[str, Any]:
    position = 0
    accepted = []
    for acceptance in result.accepted:
        account = acceptance.account
        if acceptance.buyer:
            position += 1
        accepted.append({"account": account.ref, "address": account.address,
                         "client": account.client.key, "price": account.price,
                         "buyer": acceptance.buyer,
                         "position": position if acceptance.buyer else None,
                         "notes": list(acceptance.notes)})
    return {
        "lead": result.lead.name, "lead_type": result.lead_type,
        "moment": result.moment.isoformat(), "fields": result.lead.fields,
        "buyers": [a["account"] for a in accepted if a["buyer"]],
        "accepted": accepted,
        "rejected": [{"code": code, "reason": text,
                      "criterion": criterion + 1 if criterion is not None else None,
                      "accounts": refs}
                     for (code, text, criterion), refs in merged_reasons(result)],
    }


# --- coverage ------------------------------------------------------------------------------
DAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")


def cell_char(count: int) -> str:
    if count == 0:
        return "."
    return str(count) if count < 10 else "+"


def coverage_lines(coverage: Coverage, thin: int) -> list[str]:
    zone = getattr(coverage.zone, "key", str(coverage.zone))
    given = ", ".join(f"{k}={v}" for k, v in coverage.fields.items()) or "none"
    lines = [
        f"Coverage of {coverage.lead_type} leads: accounts taking a lead, per state "
        f"({coverage.state_field}) and hour, week of {coverage.week_start:%Y-%m-%d}, {zone}",
        f"Fields given: {given}. '.' = no buyer, 1-9 accounts, '+' = 10 or more; each cell is "
        "the hour's first minute.",
        "",
        "      " + " ".join(f"{d:<24}" for d in DAYS).rstrip(),
        "      " + " ".join("0     6     12    18    " for _ in DAYS).rstrip(),
    ]
    for state in coverage.states:
        row = coverage.counts[state]
        days = [
            "".join(cell_char(n) for n in row[d * 24:(d + 1) * 24]) for d in range(7)
        ]
        lines.append(f"{state:<5} " + " ".join(days))
    lines += ["", *coverage_summary(coverage, thin)]
    return lines


def coverage_summary(coverage: Coverage, thin: int) -> list[str]:
    cells = len(coverage.states) * 168
    thin_cells = sum(1 for row in coverage.counts.values() for n in row if 0 < n <= thin)
    dead = coverage.dead_states()
    lines = [f"{coverage.accounts} accounts can receive {coverage.lead_type} leads. "
             f"Gaps: {coverage.gaps()} of {cells} state-hours have no buyer; thin (1-{thin} "
             f"accounts): {thin_cells}."]
    if dead:
        lines.append(f"No buyer at any hour: {', '.join(dead)}.")
    if coverage.assumed:
        lines.append("Criteria on fields not given were taken as met: "
                     f"{', '.join(coverage.assumed)} (pass --field NAME=VALUE to evaluate them).")
    if coverage.not_evaluated:
        lines.append(f"{coverage.not_evaluated} account(s) counted with a criterion not evaluated "
                     "(Expression, Function; routing.unevaluated).")
    return lines


def coverage_json(coverage: Coverage, thin: int) -> dict[str, Any]:
    return {"lead_type": coverage.lead_type, "state_field": coverage.state_field,
            "fields": coverage.fields, "week_start": coverage.week_start.isoformat(),
            "accounts": coverage.accounts, "hours": "Sunday 00:00 first, 168 per state",
            "counts": coverage.counts, "gaps": coverage.gaps(),
            "no_buyer_states": coverage.dead_states(), "assumed_met": coverage.assumed,
            "thin": thin}
