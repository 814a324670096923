"""`lexsync lint`: what in a valid configuration will lose leads or money.

Each rule has an id, a severity and a one-line fix; `lint: {disable: [id, ...]}` turns rules
off. Findings carry the configuration path; `locate_findings` adds file:line:column.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from lexsync.config.models import Client, Configuration, DeliveryAccount
from lexsync.errors import SourceLocation
from lexsync.routing import rules
from lexsync.routing.network import criterion_text, rule_options
from lexsync.routing.states import state_abbr

SEVERITIES = ("error", "warning", "info")
Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    message: str
    fix: str
    path: Path
    location: SourceLocation | None = None

    @property
    def address(self) -> str:
        return ".".join(str(p) for p in self.path)

    def line(self) -> str:
        where = str(self.location) if self.location else self.address
        return f"{where}: {self.severity}[{self.rule}]: {self.message}\n  fix: {self.fix}"


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    summary: str


RULES: dict[str, Rule] = {r.id: r for r in (
    Rule("criteria-contradict", "error", "the criteria on one field leave no value that passes"),
    Rule("between-reversed", "error", "Between with its low bound above its high bound"),
    Rule("operator-value", "error", "a value the operator cannot use"),
    Rule("state-unknown", "error", "a state criterion naming no US state"),
    Rule("in-notin-overlap", "warning", "a value listed by both In and NotIn"),
    Rule("field-other-lead-type", "warning", "a criterion on a field of another lead type"),
    Rule("account-not-open", "warning", "an account not Open never receives leads"),
    Rule("client-not-active", "warning", "accounts of a client that is not Active never receive leads"),
    Rule("automation-off", "warning", "an account with automation: false never receives leads"),
    Rule("method-disabled", "warning", "an account whose delivery method is disabled"),
    Rule("method-in-testing", "warning", "an account that receives leads through a method in testing"),
    Rule("cap-zero", "warning", "a cap of 0 stops the account"),
    Rule("cap-order", "warning", "a cap of a longer period below the cap of a shorter one"),
    Rule("schedule-never-open", "warning", "a schedule with no open minute in the week"),
    Rule("price-zero", "warning", "an account that receives leads for nothing"),
    Rule("lead-type-no-buyer", "warning", "a lead type no account can receive"),
    Rule("zone-unknown", "warning", "a client time zone lexsync does not know"),
    Rule("zone-offset-mismatch", "warning", "a client time_offset its time zone name overrides"),
    Rule("routing-unknown-name", "warning", "routing settings naming no client or account"),
    Rule("lint-unknown-rule", "warning", "lint.disable naming no rule"),
    Rule("duplicate-criterion", "info", "the same criterion twice on one account"),
    Rule("account-type-not-scanned", "info", "an account type outside the normal scan"),
    Rule("not-evaluated", "info", "a criterion lexsync cannot simulate"),
)}

_Raw = tuple[str, str, str, Path]  # rule id, message, fix, path


def lint_configuration(model: Configuration) -> list[Finding]:
    """Every finding of the rules not disabled, in configuration order."""
    disabled = set(model.lint.disable)
    # The criteria's findings are made once: their contradictions also decide which accounts
    # can receive each lead type.
    criteria = list(_criteria(model))
    raw: list[_Raw] = [*_eligibility(model), *_caps(model), *_schedules(model), *criteria,
                       *_lead_fields(model), *_lead_types(model, criteria), *_routing_names(model)]
    for index, rule_id in enumerate(model.lint.disable):
        if rule_id not in RULES:
            raw.append(("lint-unknown-rule", f"lint.disable names {rule_id!r}, which is no rule",
                        "use one of: " + ", ".join(RULES), ("lint", "disable", index)))
    return [Finding(rule, RULES[rule].severity, message, fix, path)
            for rule, message, fix, path in raw if rule not in disabled]


def locate_findings(findings: list[Finding], locate: Callable[[Path], SourceLocation | None]
                    ) -> list[Finding]:
    located = [replace(f, location=locate(f.path)) for f in findings]

    def key(f: Finding) -> tuple:
        loc = f.location
        return (0, loc.file, loc.line, loc.column) if loc else (1, "", 0, 0)

    return sorted(located, key=key)


def _account_path(client: str, account: str) -> Path:
    return ("clients", client, "delivery_accounts", account)


def _accounts(model: Configuration) -> Iterator[tuple[str, Client, str, DeliveryAccount]]:
    for client_key, client in model.clients.items():
        for key, account in client.delivery_accounts.items():
            yield client_key, client, key, account


# --- eligibility ---------------------------------------------------------------------------
def _eligibility(model: Configuration) -> Iterator[_Raw]:
    options = rule_options(model.routing)
    for client_key, client, key, account in _accounts(model):
        path = _account_path(client_key, key)
        method = client.delivery_methods.get(account.method)
        if account.status != "Open":
            yield ("account-not-open", f"account {client_key}/{key} is {account.status}: it "
                   "never receives leads", "set status: Open, or remove the account from the YAML "
                   "once it is retired", path + ("status",))
            continue
        if client.status != "Active":
            yield ("client-not-active", f"client {client_key} is {client.status}: its Open "
                   f"account {key} never receives leads", "set the client's status: Active, "
                   "or close the account", ("clients", client_key, "status"))
            continue
        if not account.automation:
            yield ("automation-off", f"account {client_key}/{key} has automation: false: "
                   "delivery automation never sends it leads",
                   "remove automation: false, or close the account", path + ("automation",))
        if account.account_type not in options.account_types:
            yield ("account-type-not-scanned", f"account {client_key}/{key} is a "
                   f"{account.account_type} account, scanned by its own calls, not the normal "
                   "scan", "add it to routing.account_types if your network scans it",
                   path + ("account_type",))
        if method is not None and not method.enabled:
            yield ("method-disabled", f"account {client_key}/{key} delivers through method "
                   f"{account.method}, which is disabled", "enable the method or close the "
                   "account", ("clients", client_key, "delivery_methods", account.method, "enabled"))
        if method is not None and method.in_testing:
            yield ("method-in-testing", f"account {client_key}/{key} receives leads through "
                   f"method {account.method}, which is in testing: LeadExec sends test values to "
                   "the test URL", "set in_testing: false when the buyer is ready",
                   ("clients", client_key, "delivery_methods", account.method, "in_testing"))
        caps = account.caps
        for name in rules.CAP_NAMES:
            if getattr(caps, name) == 0:
                yield ("cap-zero", f"account {client_key}/{key} has a {name} cap of 0: it "
                       "never receives leads", f"raise caps.{name}, or remove it for no limit",
                       path + ("caps", name))
        if account.price == 0:
            yield ("price-zero", f"account {client_key}/{key} receives leads at price 0",
                   "set its price", path + ("price",))


def _caps(model: Configuration) -> Iterator[_Raw]:
    periods = [("hour", "day"), ("day", "week"), ("week", "month"), ("day", "month")]
    for client_key, _client, key, account in _accounts(model):
        caps = account.caps
        for shorter, longer in periods:
            low, high = getattr(caps, shorter), getattr(caps, longer)
            if low is not None and high is not None and high < low:
                yield ("cap-order", f"account {client_key}/{key}: {longer} cap {high} is below "
                       f"its {shorter} cap {low}, which can never be reached",
                       f"raise caps.{longer} to at least {low}, or lower caps.{shorter}",
                       _account_path(client_key, key) + ("caps", longer))


# --- schedules -----------------------------------------------------------------------------
def week_has_open_minute(windows: tuple[rules.Window, ...], options: rules.RuleOptions) -> bool:
    if options.blocked_windows == "ignore":
        windows = tuple(w for w in windows if w.allow)
    if not windows:
        return True
    if not any(w.allow for w in windows):
        blocked_days = {w.weekday for w in windows if w.start == 0 and w.end >= rules.DAY_MINUTES}
        return len(blocked_days) < 7
    for day in range(7):
        rows = [w for w in windows if w.weekday == day]
        allow = [w for w in rows if w.allow]
        block = [w for w in rows if not w.allow]
        for minute in [w.start for w in allow] + [w.end for w in block]:
            if any(w.start <= minute < w.end for w in allow) and \
                    not any(w.start <= minute < w.end for w in block):
                return True
    return False


def _schedules(model: Configuration) -> Iterator[_Raw]:
    options = rule_options(model.routing)
    for client_key, client in model.clients.items():
        for key, method in client.delivery_methods.items():
            windows = tuple(row for w in method.schedule for row in rules.windows_from_config(w))
            if not week_has_open_minute(windows, options):
                yield ("schedule-never-open", f"method {client_key}/{key} has no open minute "
                       "in the week: its accounts never receive leads",
                       "add a window with allow: true outside the blocked ones",
                       ("clients", client_key, "delivery_methods", key, "schedule"))
        if client.time_offset is not None:
            from lexsync.routing.network import CREATED_ZONE_NAME

            name = client.time_zone or CREATED_ZONE_NAME
            zone = rules.zone_named(name)
            standard = zone.utcoffset(datetime(2025, 1, 15)) if zone is not None else None
            if standard is not None and standard != timedelta(hours=client.time_offset):
                yield ("zone-offset-mismatch", f"client {client_key}: time_offset "
                       f"{client.time_offset} does not match time zone {name!r}"
                       + ("" if client.time_zone else " (what apply creates a client with)")
                       + f"; schedules are read in {name}",
                       "set time_zone to the zone you mean (it wins over time_offset)",
                       ("clients", client_key, "time_offset"))
        if client.time_zone and rules.zone_named(client.time_zone) is None:
            yield ("zone-unknown", f"client {client_key}: time zone {client.time_zone!r} is "
                   "neither an IANA nor a Windows zone name; schedules are read in "
                   f"{model.routing.time_zone}", "use a name such as America/Chicago or "
                   "Central Standard Time", ("clients", client_key, "time_zone"))


# --- criteria ------------------------------------------------------------------------------
def _criteria(model: Configuration) -> Iterator[_Raw]:
    options = rule_options(model.routing)
    state_fields = {rules.name_key(f) for f in model.routing.state_fields}
    for client_key, _client, key, account in _accounts(model):
        base = _account_path(client_key, key) + ("criteria",)
        seen: dict[tuple, int] = {}
        by_field: dict[str, list[tuple[int, rules.Criterion]]] = {}
        for index, c in enumerate(account.criteria):
            path = base + (index,)
            text = criterion_text(c.value)
            signature = (rules.name_key(c.field), c.op, text, c.type)
            if signature in seen:
                yield ("duplicate-criterion", f"account {client_key}/{key}: criterion "
                       f"{index + 1} repeats criterion {seen[signature] + 1}",
                       "remove one of them", path)
            seen.setdefault(signature, index)
            is_state = rules.name_key(c.field) in state_fields
            if c.type != "FieldValue" or (c.op == "DateCompare" and options.date_compare != "evaluate") \
                    or (c.op == "Distance_Compare" and options.distance_compare != "evaluate"):
                yield ("not-evaluated", f"account {client_key}/{key}: criterion {index + 1} "
                       f"({c.type} {c.op}) is not simulated by route, test and coverage",
                       "check this account's routing in LeadExec (lexsync test --live)", path)
                continue
            yield from _operator_value(c.op, text, isinstance(c.value, list), client_key, key,
                                       index, path)
            if is_state:
                unknown = [i for i in rules.split_items(text) if state_abbr(i) is None]
                if unknown and c.op in ("Equal", "NotEqual", "In", "NotIn"):
                    yield ("state-unknown", f"account {client_key}/{key}: criterion "
                           f"{index + 1} names {', '.join(repr(u) for u in unknown)}, not a US "
                           "state", "use a state's name or two-letter abbreviation",
                           path + ("value",))
            by_field.setdefault(rules.name_key(c.field), []).append(
                (index, rules.Criterion(c.field, c.op, text, c.type, is_state)))
        for items in by_field.values():
            yield from _contradictions(items, options, client_key, key, base)


def _operator_value(op: str, text: str, is_list: bool, client: str, account: str, index: int,
                    path: Path) -> Iterator[_Raw]:
    where = f"account {client}/{account}: criterion {index + 1}"
    items = rules.split_items(text)
    if op == "Between" and len(items) == 2:
        low, high = (rules.read_value(i, rules.RuleOptions()) for i in items)
        if rules.compare(low, high) == 1:
            yield ("between-reversed", f"{where}: Between {items[0]} and {items[1]} has its low "
                   "bound above its high bound: nothing passes",
                   f"write value: [{items[1]}, {items[0]}]", path + ("value",))
    elif op in ("Greater", "Less", "GreaterOrEqual", "LessOrEqual", "Equal", "NotEqual") and is_list:
        yield ("operator-value", f"{where}: {op} takes one value, not a list (it is sent as "
               f"{text!r})", "use In or NotIn for a list, or give one value", path + ("value",))
    elif op == "DateCompare" and not (
            1 <= len(items) <= 2 and all(rules.as_number(i) is not None or rules.as_date(i)
                                         for i in items)):
        yield ("operator-value", f"{where}: DateCompare value {text!r} is not days or dates as "
               "docs/routing.md reads it (A12)", "give N (days), or [A, B] days or dates, or "
               "set routing.date_compare: not_evaluated", path + ("value",))
    elif op == "Distance_Compare" and not (len(items) == 2 and rules.as_number(items[1]) is not None):
        yield ("operator-value", f"{where}: Distance_Compare value {text!r} is not ZIP,MILES "
               "(A11)", "write value: [ZIP, MILES], or set routing.distance_compare: "
               "not_evaluated", path + ("value",))


def _contradictions(items: list[tuple[int, rules.Criterion]], options: rules.RuleOptions,
                    client: str, account: str, base: Path) -> Iterator[_Raw]:
    """Equal/In narrow the values to a set, NotEqual/NotIn exclude some, the ordered operators
    bound a range: nothing left means the account never receives a lead."""
    def read(text: str, is_state: bool) -> rules.Value:
        return rules.read_value(rules.state_text(text) if is_state else text, options)

    allowed: list[rules.Value] | None = None
    excluded: list[tuple[int, rules.Value]] = []
    lows: list[tuple[rules.Value, bool]] = []  # (bound, inclusive)
    highs: list[tuple[rules.Value, bool]] = []
    last = items[-1][0]
    for index, c in items:
        values = [read(i, c.is_state) for i in (rules.split_items(c.value) if c.op in
                                                ("In", "NotIn", "Between") else [c.value])]
        if c.op in ("Equal", "In"):
            allowed = values if allowed is None else [a for a in allowed
                                                      if any(rules.equal(a, v) for v in values)]
        elif c.op in ("NotEqual", "NotIn"):
            excluded += [(index, v) for v in values]
        elif c.op in ("Greater", "GreaterOrEqual"):
            lows.append((values[0], c.op == "GreaterOrEqual"))
        elif c.op in ("Less", "LessOrEqual"):
            highs.append((values[0], c.op == "LessOrEqual"))
        elif c.op == "Between" and len(values) == 2 and rules.compare(*values) != 1:
            # (a reversed Between is between-reversed's finding)
            lows.append((values[0], options.between_inclusive))
            highs.append((values[1], options.between_inclusive))

    def in_range(v: rules.Value) -> bool:
        for bound, inclusive in lows:
            order = rules.compare(v, bound)
            if order is None or order < 0 or (order == 0 and not inclusive):
                return False
        for bound, inclusive in highs:
            order = rules.compare(v, bound)
            if order is None or order > 0 or (order == 0 and not inclusive):
                return False
        return True

    field = items[0][1].field
    where = f"account {client}/{account}"
    if allowed is not None:
        left = [a for a in allowed if in_range(a) and not any(rules.equal(a, x) for _, x in excluded)]
        if not left:
            yield ("criteria-contradict", f"{where}: no value of {field} passes its criteria "
                   "together (the listed values are all excluded or out of range)",
                   f"remove or correct one of the criteria on {field}", base + (last,))
            return
        overlap = [x for i, x in excluded if any(rules.equal(a, x) for a in allowed)]
        if overlap:
            index = next(i for i, x in excluded if any(rules.equal(a, x) for a in allowed))
            yield ("in-notin-overlap", f"{where}: {field} value(s) "
                   f"{', '.join(v.text for v in overlap)} are both listed and excluded",
                   "remove them from one of the lists", base + (index,))
        return
    numbers_low = [(b, inc) for b, inc in lows if b.number is not None]
    numbers_high = [(b, inc) for b, inc in highs if b.number is not None]
    if numbers_low and numbers_high:
        low, low_inc = max(numbers_low, key=lambda b: (b[0].number, not b[1]))
        high, high_inc = min(numbers_high, key=lambda b: (b[0].number, b[1]))
        assert low.number is not None and high.number is not None
        if low.number > high.number or (low.number == high.number and not (low_inc and high_inc)):
            yield ("criteria-contradict", f"{where}: the criteria on {field} leave an empty "
                   f"range (above {low.text} and below {high.text})",
                   f"correct the bounds of the criteria on {field}", base + (last,))


# --- lead fields ---------------------------------------------------------------------------
def _lead_fields(model: Configuration) -> Iterator[_Raw]:
    declared = {rules.name_key(t): {rules.name_key(f) for f in fields}
                for t, fields in model.routing.lead_fields.items()}
    mapped: dict[str, set[str]] = {}
    names: dict[str, str] = {}
    for client in model.clients.values():
        for delivery in client.delivery_methods.values():
            type_key = rules.name_key(delivery.lead_type)
            names.setdefault(type_key, delivery.lead_type)
            known = mapped.setdefault(type_key, set())
            known.update(rules.name_key(m.lead_field) for m in delivery.field_mappings
                         if m.lead_field)
    for t in model.routing.lead_fields:
        names.setdefault(rules.name_key(t), t)

    def fields_of(type_key: str) -> set[str]:
        return declared.get(type_key, mapped.get(type_key, set()))

    for client_key, client, key, account in _accounts(model):
        method = client.delivery_methods.get(account.method)
        if method is None:
            continue
        own = rules.name_key(method.lead_type)
        for index, c in enumerate(account.criteria):
            field = rules.name_key(c.field)
            if field in fields_of(own):
                continue
            others = sorted(names[t] for t in names if t != own and field in fields_of(t))
            path = _account_path(client_key, key) + ("criteria", index, "field")
            if own in declared:
                also = f"; it is a field of {', '.join(others)}" if others else ""
                yield ("field-other-lead-type", f"account {client_key}/{key}: {c.field} is not "
                       f"a field of lead type {method.lead_type} (routing.lead_fields){also}",
                       "use a field of the account's lead type", path)
            elif others:
                yield ("field-other-lead-type", f"account {client_key}/{key}: {c.field} is mapped "
                       f"only by methods of {', '.join(others)}, not of {method.lead_type}",
                       f"check the field name, or list the fields of {method.lead_type} in "
                       "routing.lead_fields", path)


# --- the network as a whole ----------------------------------------------------------------
def _lead_types(model: Configuration, criteria: list[_Raw]) -> Iterator[_Raw]:
    """Lead types no account can receive; `criteria` is what `_criteria` found."""
    from lexsync.routing.network import build_network

    network = build_network(model)
    contradicted = {(c, a) for rule, _m, _f, path in criteria if rule == "criteria-contradict"
                    for c, a in [(path[1], path[3])]}
    options = network.options
    for index, name in enumerate(model.lead_types):
        key = rules.name_key(name)
        receiving = [a for a in network.by_lead_type.get(key, [])
                     if a.blocker is None and (a.client.key, a.key) not in contradicted
                     and week_has_open_minute(a.method.windows, options)]
        if not receiving:
            yield ("lead-type-no-buyer", f"no account can receive {name} leads",
                   f"add or open an account whose method takes {name}", ("lead_types", index))


def _routing_names(model: Configuration) -> Iterator[_Raw]:
    settings = model.routing
    for name in settings.priorities:
        client, _, account = name.partition("/")
        found = client in model.clients and (not account or account in
                                             model.clients[client].delivery_accounts)
        if not found:
            yield ("routing-unknown-name", f"routing.priorities names {name!r}, which is no "
                   "client or client/account", "use a client key or client/account",
                   ("routing", "priorities", name))
    for index, name in enumerate(settings.tier_delivery):
        if name not in model.clients:
            yield ("routing-unknown-name", f"routing.tier_delivery names {name!r}, which is no "
                   "client", "use a client key", ("routing", "tier_delivery", index))
