"""A generated lead network: N clients, each with methods, accounts, mappings and criteria."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# Auto Insurance lead fields in the sandbox (docs/sandbox.md, "Seed data").
MAPPED_FIELDS = ["FirstName", "LastName", "Email", "Phone", "Address", "City", "State", "Zip",
                 "Age", "DateOfBirth", "VehicleYear", "VehicleMake"]
# The environment the configuration needs (clients' portal password).
ENVIRONMENT = {"BUYER_PASSWORD": "bench-portal-pw"}
STATES = ["CA", "NV", "TX", "AZ", "OR", "WA", "FL", "NY", "GA", "OH"]


@dataclass(frozen=True)
class Shape:
    """How big the network is."""

    clients: int
    methods: int = 3
    accounts: int = 5
    mappings: int = 12
    criteria: int = 4
    groups: int = 4

    @property
    def writes(self) -> int:
        """Write calls a full initial apply needs: one per group, client, method and account."""
        return self.groups + self.clients * (1 + self.methods + self.accounts)

    @property
    def resources(self) -> int:
        return self.writes


def _criteria(i: int, a: int, count: int) -> list[str]:
    first, second = STATES[(i + a) % len(STATES)], STATES[(i + a + 3) % len(STATES)]
    pool = [
        f"{{field: State, op: In, value: [{first}, {second}]}}",
        f"{{field: Age, op: Between, value: [{18 + a}, {65 + a}]}}",
        f"{{field: VehicleYear, op: Greater, value: {2000 + a}}}",
        "{field: CurrentInsurer, op: NotEqual, value: None}",
        f"{{field: CoverageType, op: Equal, value: Full{a}}}",
    ]
    return [pool[k % len(pool)] for k in range(count)]


def _mappings(m: int, count: int) -> list[str]:
    out = []
    for k in range(count):
        field = MAPPED_FIELDS[k % len(MAPPED_FIELDS)]
        if field == "State":
            out.append(f"{{name: f{k}, lead_field: State, map: {{California: CA, Nevada: NV}}}}")
        elif k == count - 1:
            out.append(f"{{name: f{k}, static: src-{m}}}")
        else:
            out.append(f"{{name: f{k}, lead_field: {field}}}")
    return out


def client_marks(i: int) -> list[str]:
    """The strings in client i's configuration that name it (and only it): its key (also in
    its username), company, e-mail and delivery URLs. `render` writes them; `grow` changes a
    copied client's to its own."""
    return [f"buyer{i:05d}", f"Buyer {i} Insurance", f"ops{i}@buyer.example",
            f"https://buyer{i}.example/"]


def render(shape: Shape, *, price_bump: int = 0, parallelism: int = 16,
           clients: range | None = None, settings: bool | None = None) -> str:
    """The configuration as YAML text (with `clients`, only those clients and, unless client 0
    is among them or `settings` says so, no settings). `price_bump` changes the price of the
    first account of client 0 only (the one-attribute change scenario)."""
    clients = range(shape.clients) if clients is None else clients
    lines = []
    if clients.start == 0 if settings is None else settings:
        lines += ["lexsync:", "  dialect: rest", f"  parallelism: {parallelism}",
                  "lead_types: [Auto Insurance]", "client_groups:"]
        for g in range(shape.groups):
            lines.append(f"  tier{g}: {{description: Tier {g} buyers, display_order: {g + 1}}}")
    if clients:
        lines.append("clients:")
    for i in clients:
        key, company, email, url = client_marks(i)
        lines += [
            f"  {key}:",
            "    status: Active",
            f"    group: tier{i % shape.groups}",
            f"    username: {key}-portal",
            "    password: ${env:BUYER_PASSWORD}",
            "    automation: Price",
            f"    fields: {{Company: {company}, Email: {email}}}",
            "    delivery_methods:",
        ]
        for m in range(shape.methods):
            lines += [
                f"      m{m}:",
                "        type: http_post",
                "        lead_type: Auto Insurance",
                f"        url: {url}leads/{m}",
                "        response_search: success",
                "        field_mappings:",
                *(f"          - {entry}" for entry in _mappings(m, shape.mappings)),
                "        schedule:",
                '          - {days: [mon, tue, wed, thu, fri], from: "08:00", to: "18:00"}',
            ]
        lines.append("    delivery_accounts:")
        for a in range(shape.accounts):
            price = 20 + a + (price_bump if i == 0 and a == 0 else 0)
            lines += [
                f"      a{a}:",
                f"        method: m{a % shape.methods}",
                f"        price: {price}",
                f"        caps: {{hour: {10 + a}, day: {100 + a}, week: {400 + a}, month: {1500 + a}}}",
                "        criteria:",
                *(f"          - {entry}" for entry in _criteria(i, a, shape.criteria)),
            ]
    return "\n".join(lines) + "\n"


# Clients per file: a larger network is a directory of files (merged by the loader), as users
# split theirs (scale.py writes one file per client).
FILE_CLIENTS = 1000


def write(directory: Path, shape: Shape, *, price_bump: int = 0, parallelism: int = 16) -> Path:
    """Write the configuration into `directory`; the path to load it from (its one file, or
    the directory when it takes several)."""
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.yaml"):
        old.unlink()
    starts = range(0, shape.clients, FILE_CLIENTS)
    for start in starts:
        name = "lexsync.yaml" if start == 0 else f"clients-{start // FILE_CLIENTS}.yaml"
        part = range(start, min(start + FILE_CLIENTS, shape.clients))
        (directory / name).write_text(
            render(shape, price_bump=price_bump, parallelism=parallelism, clients=part),
            encoding="utf-8")
    return directory / "lexsync.yaml" if len(starts) <= 1 else directory


def write_per_client(directory: Path, shape: Shape, *, price_bump: int = 0,
                     parallelism: int = 16) -> Path:
    """The layout a large network keeps: a directory holding `lexsync.yaml` (the settings and
    the client groups) and one file per client, named for it. Returns the directory."""
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.yaml"):
        old.unlink()
    (directory / "lexsync.yaml").write_text(
        render(shape, parallelism=parallelism, clients=range(0), settings=True), encoding="utf-8")
    for i in range(shape.clients):
        (directory / f"buyer{i:05d}.yaml").write_text(
            render(shape, price_bump=price_bump, clients=range(i, i + 1), settings=False),
            encoding="utf-8")
    return directory
