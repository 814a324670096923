"""Property: a lead `lexsync route` gives to a client is offered that client by the sandbox's
GetClientsforCriteriaAdvanced, and the other way round, over random configurations, leads and
moments. Configurations go through the real apply; the scan is asked through the real client."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from lexsync.api.client import LeadExecApi
from lexsync.api.settings import ApiSettings
from lexsync.config.loader import load_configuration
from lexsync.engine.session import RunOptions, Session
from lexsync.routing.leads import make_lead
from lexsync.routing.network import build_network
from lexsync.routing.route import Router
from lexsync.sandbox.app import SandboxConfig, create_app

CREDENTIALS = {"api_key": "sandbox-key", "client_id": "sandbox", "client_secret": "sandbox-secret"}
STATES = ["CA", "TX", "nevada", "NY", "FL"]
ZIPS = ["90210", "90024", "10001", "94103", "60601"]
WORDS = ["full", "Liability", "geico", "State Farm", "none", "x1"]
ZONES = [None, "Central Standard Time", "America/New_York", "Hawaiian Standard Time"]
WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
START = datetime(2025, 6, 1, tzinfo=ZoneInfo("UTC"))  # a Sunday


@st.composite
def criterion(draw: Any) -> dict[str, Any]:
    kind = draw(st.sampled_from(["state", "state", "number", "text", "contains", "date",
                                 "distance", "expression"]))
    if kind == "state":
        op = draw(st.sampled_from(["In", "NotIn", "Equal", "NotEqual"]))
        return {"field": "State", "op": op,
                "value": draw(st.lists(st.sampled_from(STATES), min_size=1, max_size=3, unique=True))
                if op in ("In", "NotIn") else draw(st.sampled_from(STATES))}
    if kind == "number":
        op = draw(st.sampled_from(["Greater", "Less", "GreaterOrEqual", "LessOrEqual", "Between",
                                   "Equal", "NotEqual", "In", "NotIn"]))
        low = draw(st.integers(18, 70))
        value: Any = [low, low + draw(st.integers(-5, 30))] if op == "Between" else \
            draw(st.lists(st.integers(18, 80), min_size=1, max_size=3)) if op in ("In", "NotIn") else low
        return {"field": draw(st.sampled_from(["Age", "VehicleYear"])), "op": op, "value": value}
    if kind == "text":
        op = draw(st.sampled_from(["Equal", "NotEqual", "In", "NotIn"]))
        value = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=2, unique=True)) \
            if op in ("In", "NotIn") else draw(st.sampled_from(WORDS))
        return {"field": "CurrentInsurer", "op": op, "value": value}
    if kind == "contains":
        return {"field": "Email", "op": draw(st.sampled_from(["Contains", "Doesnt_Contain"])),
                "value": draw(st.lists(st.sampled_from(["gmail", "YAHOO", "test"]), min_size=1, max_size=2))}
    if kind == "date":
        value = draw(st.one_of(st.integers(1, 400), st.lists(st.integers(0, 20000), min_size=2, max_size=2)))
        return {"field": "DateOfBirth", "op": "DateCompare", "value": value}
    if kind == "distance":
        return {"field": "Zip", "op": "Distance_Compare",
                "value": [draw(st.sampled_from(ZIPS)), draw(st.sampled_from([5, 50, 500, 3000]))]}
    return {"field": "Age", "op": "Equal", "type": "Expression", "expression": "[Age] > 1", "value": ""}


@st.composite
def configurations(draw: Any) -> dict[str, Any]:
    clients: dict[str, Any] = {}
    for c in range(draw(st.integers(1, 4))):
        methods = {}
        for m in range(draw(st.integers(1, 2))):
            schedule = []
            for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):
                start = draw(st.integers(0, 12))
                schedule.append({"days": draw(st.lists(st.sampled_from(WEEKDAYS), min_size=2, max_size=6,
                                                        unique=True)),
                                 "from": f"{start:02d}:{draw(st.sampled_from([0, 30])):02d}",
                                 "to": "24:00" if draw(st.booleans()) else f"{draw(st.integers(start + 1, 23)):02d}:00",
                                 "allow": draw(st.sampled_from([True] * 3 + [False]))})
            methods[f"m{m}"] = {"type": "http_post", "lead_type": "Auto Insurance",
                                "enabled": draw(st.sampled_from([True] * 5 + [False])),
                                "in_testing": draw(st.booleans()), "schedule": schedule}
        accounts = {}
        for a in range(draw(st.integers(1, 3))):
            caps = {k: draw(st.sampled_from([0, 5, 100, 100])) for k in ("hour", "day", "week")
                    if draw(st.integers(0, 4)) == 0}
            accounts[f"a{a}"] = {
                "method": draw(st.sampled_from(sorted(methods))),
                "price": draw(st.sampled_from([5, 12.5, 20, 31.25, 40])) + c,  # distinct per client
                "status": draw(st.sampled_from(["Open"] * 5 + ["OnHold"])),
                "automation": draw(st.sampled_from([True] * 5 + [False])),
                "account_type": draw(st.sampled_from(["general"] * 7 + ["redirect"])),
                "caps": caps,
                "criteria": draw(st.lists(criterion(), max_size=2)),
            }
        client: dict[str, Any] = {
            "status": draw(st.sampled_from(["Active"] * 5 + ["Inactive"])),
            "username": f"user-{c}", "password": "pw-routing",
            "automation": draw(st.sampled_from(["Price", "Priority", "RoundRobin"])),
            "delivery_methods": methods, "delivery_accounts": accounts,
        }
        zone = draw(st.sampled_from(ZONES))
        if zone:
            client["time_zone"] = zone
        elif draw(st.booleans()):
            client["time_offset"] = draw(st.sampled_from([-5, -7]))
        clients[f"c{c}"] = client
    return {"lexsync": {"dialect": "rest"}, "lead_types": ["Auto Insurance"], "clients": clients}


@st.composite
def leads(draw: Any) -> dict[str, Any]:
    lead: dict[str, Any] = {"lead_type": "Auto Insurance"}
    optional = {
        "State": st.sampled_from(STATES * 2 + ["Texas", "ak"]),
        "Age": st.integers(15, 90).map(str),
        "VehicleYear": st.integers(15, 80).map(str),
        "CurrentInsurer": st.sampled_from(WORDS + ["FULL"]),
        "Email": st.sampled_from(["a@gmail.com", "b@yahoo.com", "test@x.org", "c@aol.com"]),
        "DateOfBirth": st.integers(-5, 21000).map(lambda d: (START - timedelta(days=d)).date().isoformat()),
        "Zip": st.sampled_from(ZIPS + ["99999"]),
    }
    for name, strategy in optional.items():
        if draw(st.integers(0, 6)) > 0:
            lead[name] = draw(strategy)
    return lead


def apply(directory: Path, transport: httpx.AsyncBaseTransport) -> None:
    session = Session(RunOptions(config_path=directory / "lexsync.yaml", transport=transport,
                                 api_url="http://127.0.0.1", default_credentials=CREDENTIALS,
                                 environ={}))
    _, result = asyncio.run(session.apply(lambda plan: True))
    assert result is not None and not result.failed, [o.error for o in result.failed]
    ids = {a: r.remote_id for a, r in session.backend.load().resources.items() if r.kind == "client"}
    return {uid: address.split(".", 1)[1] for address, uid in ids.items()}


async def ask(transport: httpx.AsyncBaseTransport, lead: dict[str, Any]) -> list[dict[str, Any]]:
    settings = ApiSettings(base_url="http://127.0.0.1", dialect="rest", **CREDENTIALS)
    async with LeadExecApi(settings, transport=transport) as api:
        pairs = [(k, str(v)) for k, v in lead.items() if k != "lead_type"]
        return await api.get_clients_for_criteria_advanced(1, pairs)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(config=configurations(), samples=st.lists(st.tuples(leads(), st.integers(0, 7 * 24 * 60 - 1)),
                                                  min_size=1, max_size=8))
def test_route_and_the_sandbox_offer_the_same_buyers(tmp_path_factory: Any, config: dict[str, Any],
                                                     samples: list[tuple[dict[str, Any], int]]) -> None:
    directory = tmp_path_factory.mktemp("route")
    YAML().dump(config, directory / "lexsync.yaml")
    app = create_app(SandboxConfig())
    transport = httpx.ASGITransport(app=app)
    clients = apply(directory, transport)
    router = Router(build_network(load_configuration(directory / "lexsync.yaml", environ={}).model))
    for data, minute in samples:
        moment = START + timedelta(minutes=minute)
        app.state.sandbox.fixed_now = moment
        result = router.route(make_lead(data, "lead"), moment)
        ours = [(a.account.client.key, a.account.price) for a in result.buyers]
        theirs = [(clients[row["ClientUID"]], row["Price"]) for row in asyncio.run(ask(transport, data))]
        assert {c for c, _ in ours} == {c for c, _ in theirs}, (data, moment, ours, theirs)
        # Prices differ per client (the strategy adds the client's index): the same order.
        accepting = {c: {a.account.price for a in result.accepted if a.account.client.key == c}
                     for c, _ in ours}
        for client, price in theirs:
            assert price in accepting[client]
            if config["clients"][client]["automation"] == "Price":
                assert price == max(accepting[client])
        if all(config["clients"][c]["automation"] == "Price" for c, _ in ours):
            assert ours == theirs
