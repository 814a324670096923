from __future__ import annotations

from typing import Any

import pytest

from lexsync.engine.plan import SENSITIVE, Action, AttributeChange, Plan, ResourceChange

METHOD_BEFORE = {
    "url": "https://acme.example/leads",
    "response_search": "success",
    "password": SENSITIVE,
    "field_mappings": [
        {"name": "first_name", "lead_field": "FirstName"},
        {"name": "st", "lead_field": "State", "map": {"California": "CA"}},
    ],
    "schedule": [{"day": "mon", "from": "08:00", "to": "18:00"}],
}
METHOD_AFTER = {
    **METHOD_BEFORE,
    "url": "https://acme.example/v2/leads",
    "field_mappings": [
        {"name": "first_name", "lead_field": "FirstName"},
        {"name": "st", "lead_field": "State", "map": {"California": "Calif"}},
    ],
    "schedule": [{"day": "mon", "from": "08:00", "to": "20:00"}],
}


def _plan(changes: list[ResourceChange], unobservable: list[str] | None = None) -> Plan:
    return Plan(changes=changes, dialect="rest", state_lineage="3f2b1c9e", state_serial=4,
                live_digest="live123", desired_digest="desired456",
                unobservable=unobservable or [])


@pytest.fixture
def create_change() -> ResourceChange:
    return ResourceChange(
        address="client.acme", kind="client", action=Action.CREATE,
        call="POST /v1/clients",
        after={
            "status": "Active",
            "group": "premium",
            "username": "acme-portal",
            "password": SENSITIVE,
            "automation": "Price",
            "credit_limit": None,
            "fields": {"Company": "Acme Insurance", "Email": "ops@acme.example"},
        },
        depends_on=["client_group.premium"],
    )


@pytest.fixture
def update_change() -> ResourceChange:
    return ResourceChange(
        address="client.acme.delivery_method.acme-post", kind="delivery_method",
        action=Action.UPDATE, call="PUT /v1/delivery/{ClientUID}/methods",
        before=METHOD_BEFORE, after=METHOD_AFTER,
        changes=[
            AttributeChange("url", "https://acme.example/leads", "https://acme.example/v2/leads"),
            AttributeChange("field_mappings[st].map.California", "CA", "Calif"),
            AttributeChange("schedule[mon].to", "08:00", "20:00"),
            AttributeChange("password", SENSITIVE, SENSITIVE, sensitive=True),
        ],
        remote_id=7,
    )


@pytest.fixture
def retire_change() -> ResourceChange:
    return ResourceChange(
        address="client.acme.delivery_account.acme-tx", kind="delivery_account",
        action=Action.RETIRE, call="PUT /v1/delivery/{ClientUID}/accounts",
        before={"price": 12.5, "status": "Open"}, after={"price": 12.5, "status": "Closed"},
        changes=[AttributeChange("status", "Open", "Closed")],
        reason="removed from configuration", remote_id=56,
    )


@pytest.fixture
def noop_change() -> ResourceChange:
    return ResourceChange(
        address="client_group.premium", kind="client_group", action=Action.NOOP, call="",
        before={"description": "Premium buyers"}, after={"description": "Premium buyers"},
        remote_id=4,
    )


@pytest.fixture
def full_plan(create_change, update_change, retire_change, noop_change) -> Plan:
    return _plan(
        [noop_change, create_change, update_change, retire_change],
        unobservable=["client.acme password: LeadExec never returns portal passwords"],
    )


@pytest.fixture
def empty_plan(noop_change) -> Plan:
    return _plan([noop_change])


def workload_plan(clients: int) -> Plan:
    """The all-create plan of an initial apply, shaped like the engine's for benchmarks/workload.py:
    per client 3 delivery methods with 12 field mappings and 5 accounts with 4 criteria."""
    states = ["CA", "NV", "TX", "AZ", "OR", "WA", "FL", "NY", "GA", "OH"]
    fields = ["FirstName", "LastName", "Email", "Phone", "Address", "City", "State", "Zip", "Age",
              "DateOfBirth", "VehicleYear"]
    groups = [ResourceChange(
        address=f"client_group.tier{g}", kind="client_group", action=Action.CREATE,
        call="AddEditClientGroup", after={"description": f"Tier {g} buyers", "display_order": g + 1})
        for g in range(4)]
    heads, methods, accounts = [], [], []
    for i in range(clients):
        name = f"buyer{i:05d}"
        heads.append(ResourceChange(
            address=f"client.{name}", kind="client", action=Action.CREATE, call="PATCH /v1/clients",
            after={"status": "Active", "username": f"{name}-portal", "group": f"tier{i % 4}",
                   "password": SENSITIVE, "automation": "Price",
                   "fields": {"Company": f"Buyer {i} Insurance", "Email": f"ops{i}@buyer.example"}},
            depends_on=[f"client_group.tier{i % 4}"]))
        for m in range(3):
            mappings: dict = {f"f{k}": {"source": "lead_field", "lead_field": field}
                              for k, field in enumerate(fields)}
            mappings["f6"]["map"] = {"California": "CA", "Nevada": "NV"}
            mappings["f11"] = {"source": "static", "value": f"src-{m}"}
            methods.append(ResourceChange(
                address=f"client.{name}.delivery_method.m{m}", kind="delivery_method",
                action=Action.CREATE, call="PUT /v1/delivery/{ClientUID}/methods",
                after={"name": f"m{m}", "type": "http_post", "lead_type": "Auto Insurance",
                       "enabled": True, "url": f"https://buyer{i}.example/leads/{m}",
                       "response_search": "success", "field_mappings": mappings,
                       "schedule": [f"{day} 08:00-18:00" for day in ("mon", "tue", "wed", "thu", "fri")]},
                depends_on=[f"client.{name}"]))
        for a in range(5):
            first, second = states[(i + a) % 10], states[(i + a + 3) % 10]
            accounts.append(ResourceChange(
                address=f"client.{name}.delivery_account.a{a}", kind="delivery_account",
                action=Action.CREATE, call="PUT /v1/delivery/{ClientUID}/accounts",
                after={"method": f"m{a % 3}", "description": f"a{a}", "price": 20 + a,
                       "caps": {"hour": 10 + a, "day": 100 + a, "week": 400 + a, "month": 1500 + a},
                       "status": "Open",
                       "criteria": [
                           {"field": "State", "op": "In", "type": "FieldValue",
                            "value": ",".join(sorted([first, second]))},
                           {"field": "Age", "op": "Between", "type": "FieldValue",
                            "value": f"{18 + a},{65 + a}"},
                           {"field": "VehicleYear", "op": "Greater", "type": "FieldValue",
                            "value": str(2000 + a)},
                           {"field": "CurrentInsurer", "op": "NotEqual", "type": "FieldValue",
                            "value": "None"}]},
                depends_on=[f"client.{name}", f"client.{name}.delivery_method.m{a % 3}"]))
    changes = [*groups, *heads, *methods, *accounts]
    for change in changes:
        change.changes = [AttributeChange(path, None, value, sensitive=value == SENSITIVE)
                          for name, value in (change.after or {}).items()
                          for path, value in _leaves(name, value)]
    return _plan(changes, unobservable=[
        "caps.week: ASMX account reads carry no WeekMax; compared with the last applied value"])


@pytest.fixture(scope="session")
def large_plan() -> Plan:
    return workload_plan(10)


@pytest.fixture
def awkward_plan() -> Plan:
    """Values a terminal treats specially: tabs, newlines, control codes, wide characters,
    markup brackets, trailing blanks."""
    return _plan([
        ResourceChange(
            address="client.tab\there", kind="client", action=Action.CREATE, call="POST",
            after={"notes": "line one\nline two\ttabbed", "bell": "ring\x07", "wide": "東京 café",
                   "markup": "[bold red]not markup[/]", "trailing": "x   ", "empty": "",
                   "nested": {"a\tb": ["x\ty", "[red]z"], "k": {"deep": "v\r\n"}},
                   "long": ["a" * 30, "b" * 30, "c" * 30]}),
        ResourceChange(
            address="client.new\nline", kind="client", action=Action.UPDATE, call="POST",
            before={"notes": "old\tvalue", "fields": {"A": "1"}, "keep": 1},
            after={"notes": "new\tvalue", "fields": {"A": "2", "B": "x" * 80}, "keep": 1},
            changes=[AttributeChange("notes", "old\tvalue", "new\tvalue"),
                     AttributeChange("fields", {"A": "1"}, {"A": "2", "B": "x" * 80}),
                     AttributeChange("bell\x07path", None, "\x1b[31mred")],
            reason="because\tof\x08 reasons;  ; will be updated in place", remote_id=3),
        ResourceChange(
            address="client.blank ", kind="client", action=Action.RETIRE, call="POST",
            before={"status": "Open "}, reason="gone\x0c ", remote_id=None),
        ResourceChange(
            address="client_group.noop\t", kind="client_group", action=Action.NOOP, call="",
            before={"description": "same"}, after={"description": "same"}, reason="x\ny"),
    ], unobservable=["note with\ttab", "note with\nnewline", "bell\x07 and trailing  "])


def _leaves(path: str, value: Any) -> list[tuple[str, Any]]:
    """A create's attribute changes, by the engine's path style: `caps.day`,
    `field_mappings[f6].map.California`, `criteria[0]` = "State In AZ,CA"; lists of scalars stay whole."""
    if isinstance(value, dict):
        keyed = "{}[{}]" if path == "field_mappings" else "{}.{}"
        return [leaf for k, v in value.items() for leaf in _leaves(keyed.format(path, k), v)]
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        return [(f"{path}[{i}]", f"{v['field']} {v['op']} {v['value']}") for i, v in enumerate(value)]
    return [(path, value)]
