"""Property: for any valid configuration, apply followed by plan shows no changes.

Configurations are drawn at random and run through the real engine against the real
sandbox application (in-process over httpx's ASGI transport, a fresh database each time).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from lexsync.engine.session import RunOptions, Session
from lexsync.sandbox.app import SandboxConfig, create_app

CREDENTIALS = {"api_key": "sandbox-key", "client_id": "sandbox", "client_secret": "sandbox-secret"}
AUTO_FIELDS = ["FirstName", "LastName", "Email", "Phone", "City", "Zip", "State", "Age",
               "VehicleYear", "VehicleMake"]
NUMERIC_FIELDS = ["Age", "VehicleYear"]
STATES = ["CA", "NV", "TX", "Oregon", "new york", "FL"]
WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8)
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ-_.", min_size=1, max_size=20).map(str.strip).filter(bool)


@st.composite
def mappings(draw: Any) -> list[dict[str, Any]]:
    out = []
    for index, field in enumerate(draw(st.lists(st.sampled_from(AUTO_FIELDS), max_size=5, unique=True))):
        entry: dict[str, Any] = {"name": f"f{index}"}
        source = draw(st.sampled_from(["lead_field", "static", "expr", "substring"]))
        if source in ("lead_field", "substring"):
            entry["lead_field"] = field
        if source == "substring":
            entry["substring"] = "0,5"
        if source == "static":
            entry["static"] = draw(words)
        if source == "expr":
            entry["expr"] = "[" + field + "]"
        if draw(st.booleans()):
            entry["map"] = draw(st.dictionaries(words, words, max_size=3))
        if draw(st.booleans()):
            entry["format"] = draw(st.sampled_from(["", "(###) ###-####", "MM/dd/yyyy"]))
        out.append(entry)
    return out


@st.composite
def schedules(draw: Any) -> list[dict[str, Any]]:
    windows = []
    for days in draw(st.lists(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=3, unique=True),
                              max_size=2)):
        start = draw(st.integers(0, 20))
        end = draw(st.integers(start + 1, 24))
        windows.append({"days": days, "from": f"{start:02d}:00", "to": f"{end:02d}:00",
                        "allow": draw(st.booleans())})
    return windows


@st.composite
def criteria(draw: Any) -> list[dict[str, Any]]:
    out = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["state", "range", "equal"]))
        if kind == "state":
            out.append({"field": "State", "op": draw(st.sampled_from(["In", "NotIn"])),
                        "value": draw(st.lists(st.sampled_from(STATES), min_size=1, max_size=3, unique=True))})
        elif kind == "range":
            low = draw(st.integers(0, 50))
            out.append({"field": draw(st.sampled_from(NUMERIC_FIELDS)), "op": "Between",
                        "value": [low, low + draw(st.integers(0, 50))]})
        else:
            out.append({"field": draw(st.sampled_from(["City", "Zip", "Age"])),
                        "op": draw(st.sampled_from(["Equal", "NotEqual", "Greater", "Contains"])),
                        "value": draw(st.one_of(st.integers(0, 99999), words))})
    return out


@st.composite
def configurations(draw: Any) -> dict[str, Any]:
    dialect = draw(st.sampled_from(["rest", "soap"]))
    groups = {f"g{i}": {"description": f"Group {i} {draw(words)}", "display_order": i}
              for i in range(draw(st.integers(0, 2)))}
    clients: dict[str, Any] = {}
    for client_index, key in enumerate(draw(st.lists(names, min_size=1, max_size=3, unique=True))):
        methods = {}
        for m in range(draw(st.integers(1, 2))):
            method: dict[str, Any] = {
                "type": draw(st.sampled_from(["http_post", "http_get", "ping_post", "xml_json"])),
                "lead_type": "Auto Insurance",
                "url": f"https://{key}.example/m{m}",
            }
            if draw(st.booleans()):
                method["response_search"] = draw(words)
                method["response_regex"] = draw(st.booleans())
            if draw(st.booleans()):
                method["in_testing"] = draw(st.booleans())
            method["field_mappings"] = draw(mappings())
            method["schedule"] = draw(schedules())
            methods[f"m{m}"] = method
        accounts = {}
        for a in range(draw(st.integers(0, 2))):
            caps = {k: draw(st.integers(0, 1000)) for k in ("hour", "day", "week", "month")
                    if draw(st.booleans()) and (k != "week" or dialect == "rest")}
            account: dict[str, Any] = {
                "method": draw(st.sampled_from(sorted(methods))),
                "price": draw(st.floats(0, 500, allow_nan=False).map(lambda p: round(p, 2))),
                "caps": caps,
                "status": draw(st.sampled_from(["Open", "OnHold", "Suspended"])),
                "criteria": draw(criteria()),
            }
            if draw(st.booleans()):
                account["delay"] = draw(st.integers(0, 600))
            if draw(st.booleans()):
                account["agent_name"] = draw(words)
            accounts[f"a{a}"] = account
        client: dict[str, Any] = {
            "status": draw(st.sampled_from(["Active", "Inactive", "Pending"])),
            "username": f"user-{client_index}-{key}",
            "delivery_methods": methods,
            "delivery_accounts": accounts,
        }
        if groups and draw(st.booleans()):
            client["group"] = draw(st.sampled_from(sorted(groups)))
        client["password"] = draw(words)  # LeadExec requires one to create a client
        if draw(st.booleans()):
            client["fields"] = {"Company": draw(words), "City": draw(words)}
        if draw(st.booleans()):
            client["notes"] = draw(words)
        if dialect == "rest" and draw(st.booleans()):
            client["automation"] = draw(st.sampled_from(["Price", "Priority", "RoundRobin"]))
        clients[key] = client
    return {"lexsync": {"dialect": dialect}, "lead_types": ["Auto Insurance"],
            "client_groups": groups, "clients": clients}


def run(config_dir: Path, transport: httpx.AsyncBaseTransport, action: str) -> Any:
    session = Session(RunOptions(config_path=config_dir / "lexsync.yaml", transport=transport,
                                 api_url="http://127.0.0.1", default_credentials=CREDENTIALS,
                                 environ={}))
    if action == "plan":
        bundle, _ = asyncio.run(session.plan())
        return bundle.plan
    return asyncio.run(session.apply(lambda plan: True))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(config=configurations())
def test_apply_then_plan_is_empty(tmp_path_factory: Any, config: dict[str, Any]) -> None:
    directory = tmp_path_factory.mktemp("prop")
    YAML().dump(config, directory / "lexsync.yaml")
    transport = httpx.ASGITransport(app=create_app(SandboxConfig()))
    plan, result = run(directory, transport, "apply")
    assert result is not None and not result.failed and not result.skipped, [o.error for o in result.failed]
    assert not result.verify_problems, result.verify_problems
    second = run(directory, transport, "plan")
    leftovers = [(c.address, [(a.path, a.before, a.after) for a in c.changes]) for c in second.actionable]
    assert leftovers == []
