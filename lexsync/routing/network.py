"""The configuration compiled for routing: every delivery account with what decides whether
it takes a lead, its criteria compiled once and shared by accounts that have the same ones."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from lexsync.config.models import Configuration, Criterion, RoutingSettings
from lexsync.routing import rules
from lexsync.routing.rules import Blocker, RuleOptions, Test, Window

# What apply creates a client with when the YAML names no time_zone (resources/client.py).
CREATED_ZONE_NAME = "Pacific Standard Time"


def rule_options(settings: RoutingSettings) -> RuleOptions:
    return RuleOptions(
        case_sensitive=settings.case_sensitive, between_inclusive=settings.between_inclusive,
        missing_field=settings.missing_field, unevaluated=settings.unevaluated,
        date_compare=settings.date_compare, distance_compare=settings.distance_compare,
        schedule_end=settings.schedule_end, blocked_windows=settings.blocked_windows,
        in_testing=settings.in_testing, orders=settings.orders,
        account_types=frozenset(settings.account_types))


def criterion_text(value: object) -> str:
    """A YAML criterion value as apply writes it and LeadExec then holds it: list items
    joined with ',', numbers (also when written as text) in their plain form (`25.50` -> 25.5)."""
    if isinstance(value, list):
        return ",".join(_item_text(item) for item in value)
    return _item_text(value)


def _item_text(value: object) -> str:
    text = rules.text_of(value)
    if isinstance(value, bool) or not text.lstrip("-").replace(".", "", 1).isdigit():
        return text
    number = round(float(text), 4)
    return str(int(number)) if number.is_integer() else str(number)


@dataclass
class ClientEntry:
    key: str
    order: int
    status: str
    automation: str  # A20: unset in the YAML reads as Price
    priority: int
    tiers: bool
    zone: tzinfo  # the zone its schedules are read in


@dataclass
class MethodEntry:
    id: int
    schedule: int  # methods with the same windows in the same zone share a schedule id
    client: str
    key: str
    lead_type: str
    windows: tuple[Window, ...]
    zone: tzinfo
    enabled: bool
    in_testing: bool
    ping_post: bool


@dataclass
class CriterionEntry:
    id: int  # the same criterion (field, op, value, type) anywhere shares one id and test
    criterion: rules.Criterion
    field_key: str
    test: Test


@dataclass
class AccountEntry:
    index: int
    client: ClientEntry
    key: str
    method: MethodEntry
    price: float
    priority: int
    blocker: Blocker | None
    criteria: tuple[CriterionEntry, ...]
    group: int  # accounts with equal criteria share a group: evaluated once per lead
    notes: tuple[str, ...]
    ref: str = ""  # client/account, as route and test name it

    def __post_init__(self) -> None:
        self.ref = f"{self.client.key}/{self.key}"

    @property
    def address(self) -> str:
        return f"client.{self.client.key}.delivery_account.{self.key}"

    @property
    def path(self) -> tuple[str, ...]:
        return ("clients", self.client.key, "delivery_accounts", self.key)


@dataclass
class Bucket:
    """Accounts of one lead type that no blocker stops, with the same schedule and the same
    criteria: whatever the lead and moment, they take it or not together."""

    schedule: int
    group: int
    accounts: list[AccountEntry]


@dataclass
class Network:
    settings: RoutingSettings
    options: RuleOptions
    platform_zone: tzinfo
    accounts: list[AccountEntry]
    methods: list[MethodEntry]
    groups: list[tuple[CriterionEntry, ...]]
    lead_types: dict[str, str]  # name key -> name as written
    schedules: list[tuple[tuple[Window, ...], tzinfo]] = field(default_factory=list)
    by_lead_type: dict[str, list[AccountEntry]] = field(default_factory=dict)
    # Per lead type: accounts a blocker stops (by blocker), and the buckets of the others.
    blocked: dict[str, list[tuple[Blocker, list[AccountEntry]]]] = field(default_factory=dict)
    buckets: dict[str, list[Bucket]] = field(default_factory=dict)
    state_fields: frozenset[str] = frozenset()
    _schedule_memo: tuple[datetime, list[bool]] | None = field(default=None, repr=False)

    def lead_type(self, name: str) -> str | None:
        """The lead type's key, or None when no delivery method uses that type."""
        key = rules.name_key(name)
        return key if key in self.lead_types else None

    def open_schedules(self, moment: datetime) -> list[bool]:
        """Per schedule id: whether it takes leads at `moment` (kept for the last moment
        asked: a batch of leads is usually routed at one moment)."""
        memo = self._schedule_memo
        if memo is not None and memo[0] == moment:
            return memo[1]
        zones: dict[tzinfo, datetime] = {}
        result = []
        for windows, zone in self.schedules:
            local = zones.get(zone)
            if local is None:
                local = zones[zone] = moment.astimezone(zone)
            result.append(rules.schedule_open(windows, local, self.options))
        self._schedule_memo = (moment, result)
        return result


def build_network(model: Configuration) -> Network:
    settings = model.routing
    options = rule_options(settings)
    platform = ZoneInfo(settings.time_zone)
    state_fields = frozenset(rules.name_key(f) for f in settings.state_fields)
    tiers = set(settings.tier_delivery)
    tests: dict[tuple, CriterionEntry] = {}
    group_ids: dict[tuple[int, ...], int] = {}
    groups: list[tuple[CriterionEntry, ...]] = []
    methods: list[MethodEntry] = []
    accounts: list[AccountEntry] = []
    lead_types: dict[str, str] = {}
    schedules: dict[tuple, int] = {}
    for client_order, (client_key, client) in enumerate(model.clients.items()):
        zone = platform if settings.schedule_time_zone == "platform" else \
            rules.client_zone(client.time_zone or CREATED_ZONE_NAME, client.time_offset, platform)
        entry = ClientEntry(client_key, client_order, client.status, client.automation or "Price",
                            settings.priorities.get(client_key, 0), client_key in tiers, zone)
        client_methods: dict[str, MethodEntry] = {}
        for method_key, method in client.delivery_methods.items():
            windows = tuple(row for w in method.schedule for row in rules.windows_from_config(w))
            schedule = schedules.setdefault((windows, zone), len(schedules))
            built = MethodEntry(len(methods), schedule, client_key, method_key, method.lead_type, windows,
                                zone, method.enabled, method.in_testing, method.type == "ping_post")
            methods.append(built)
            client_methods[method_key] = built
            lead_types.setdefault(rules.name_key(method.lead_type), method.lead_type)
        for account_key, account in client.delivery_accounts.items():
            method_entry = client_methods.get(account.method)
            if method_entry is None:
                continue  # the loader reports the unknown method
            compiled = tuple(_criterion(c, state_fields, options, tests) for c in account.criteria)
            signature = tuple(c.id for c in compiled)
            group = group_ids.get(signature)
            if group is None:
                group = group_ids[signature] = len(groups)
                groups.append(compiled)
            caps = account.caps
            blocker = rules.account_blocker(
                client_status=client.status, account_status=account.status,
                automation_enabled=account.automation, account_type=account.account_type,
                method_enabled=method_entry.enabled, in_testing=method_entry.in_testing,
                use_order=account.use_order,
                caps={"hour": caps.hour, "day": caps.day, "week": caps.week, "month": caps.month},
                options=options)
            notes = []
            if method_entry.in_testing:
                notes.append("method in testing: LeadExec sends test values to the test URL (A16)")
            if account.use_order:
                notes.append("needs an open order: assumed open (A17)")
            if method_entry.ping_post:
                notes.append("ping/post: the buyer's answer may set the price (bid shown)")
            accounts.append(AccountEntry(
                len(accounts), entry, account_key, method_entry, float(account.price),
                settings.priorities.get(f"{client_key}/{account_key}", 0), blocker, compiled,
                group, tuple(notes)))
    network = Network(settings, options, platform, accounts, methods, groups, lead_types,
                      schedules=list(schedules), state_fields=state_fields)
    blocked: dict[str, dict[Blocker, list[AccountEntry]]] = {}
    buckets: dict[str, dict[tuple[int, int], Bucket]] = {}
    for placed in accounts:
        key = rules.name_key(placed.method.lead_type)
        network.by_lead_type.setdefault(key, []).append(placed)
        if placed.blocker is not None:
            blocked.setdefault(key, {}).setdefault(placed.blocker, []).append(placed)
        else:
            where = (placed.method.schedule, placed.group)
            bucket = buckets.setdefault(key, {}).get(where)
            if bucket is None:
                bucket = buckets[key][where] = Bucket(*where, [])
            bucket.accounts.append(placed)
    network.blocked = {key: list(found.items()) for key, found in blocked.items()}
    network.buckets = {key: list(found.values()) for key, found in buckets.items()}
    return network


def _criterion(c: Criterion, state_fields: frozenset[str], options: RuleOptions,
               known: dict[tuple, CriterionEntry]) -> CriterionEntry:
    field_key = rules.name_key(c.field)
    value = criterion_text(c.value)
    signature = (field_key, c.op, value, c.type)
    entry = known.get(signature)
    if entry is None:
        criterion = rules.Criterion(c.field, c.op, value, c.type, field_key in state_fields)
        entry = known[signature] = CriterionEntry(len(known), criterion, field_key,
                                                  rules.compile_criterion(criterion, options))
    return entry
