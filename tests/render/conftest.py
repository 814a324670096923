from __future__ import annotations

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
