"""Property: for any valid configuration, apply followed by plan shows no changes; and what
the YAML does not set, changed outside lexsync at random, survives any later apply.

Configurations are drawn at random and run through the real engine against the real
sandbox application (in-process over httpx's ASGI transport, a fresh database each time).
"""

from __future__ import annotations

import asyncio
import copy
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


# Readable values no drawn configuration sets: LeadExec's by hand, to be kept by every write.
TEXT_EDITS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz .@-", min_size=1, max_size=12)
METHOD_EDITS = {"tAddress": TEXT_EDITS, "ClientEmail": TEXT_EDITS, "NotifyEmail": TEXT_EDITS,
                "EmailTemplate": TEXT_EDITS, "EmailSubject": TEXT_EDITS, "fAddress": TEXT_EDITS,
                "NotifyCC": TEXT_EDITS, "LeadCatUID": st.integers(1, 500),
                "EmailNotify": st.booleans(), "SMTPServer": TEXT_EDITS}
CLIENT_EDITS = {"UserUID": st.integers(1, 500), "ResellerUID": st.integers(1, 500)}
SOAP_CLIENT_EDITS = {"IsLocked": st.booleans(), "LockedReason": TEXT_EDITS}


@st.composite
def outside_edits(draw: Any, config: dict[str, Any]) -> dict[str, Any]:
    """Which unmanaged values of which objects someone changes in LeadExec (by position)."""
    client_edits = dict(CLIENT_EDITS, **(SOAP_CLIENT_EDITS if config["lexsync"]["dialect"] == "soap"
                                         else {}))
    return {
        "clients": [{key: draw(values) for key, values in client_edits.items() if draw(st.booleans())}
                    for _ in config["clients"]],
        "methods": draw(st.lists(st.fixed_dictionaries({}, optional=METHOD_EDITS), min_size=6,
                                 max_size=6)),
        "fields": [draw(st.one_of(st.none(), TEXT_EDITS)) for _ in config["clients"]],
    }


def edit_outside(app: Any, edits: dict[str, Any]) -> dict[tuple[str, int], dict[str, Any]]:
    """Apply the edits to the sandbox's store behind the API's back; what each row must keep."""
    kept: dict[tuple[str, int], dict[str, Any]] = {}
    with app.state.sandbox.store.transaction() as tx:
        # A method no account uses cannot be read, so a change to it cannot be seen (and is
        # not promised to survive): only methods LeadExec shows are edited.
        shown = {row["DeliveryUID"] for row in tx.all("accounts")}
        for table, key in (("clients", "ClientUID"), ("methods", "ClientDeliveryUID")):
            rows = [r for r in tx.all(table) if table == "clients" or r[key] in shown]
            for row, changes in zip(rows, edits[table], strict=False):
                if changes:
                    tx.update(table, row[key], {**row, **changes})
                    kept[(table, row[key])] = dict(changes)
        for row, fax in zip(tx.all("clients"), edits["fields"], strict=False):
            if fax is not None:  # Fax Number (13): a client field no configuration sets
                row = tx.get("clients", row["ClientUID"])
                row["FieldData"] = {**row.get("FieldData", {}), "13": fax}
                tx.update("clients", row["ClientUID"], row)
                kept.setdefault(("clients", row["ClientUID"]), {})["FieldData.13"] = fax
    return kept


def changed_everywhere(config: dict[str, Any]) -> dict[str, Any]:
    """The configuration with a managed value of every object changed, so each is written."""
    out = copy.deepcopy(config)
    statuses = ["Active", "Inactive", "Pending"]
    for client in out["clients"].values():
        client["status"] = statuses[(statuses.index(client["status"]) + 1) % len(statuses)]
        for method in client["delivery_methods"].values():
            method["url"] += "/v2"
        for account in client["delivery_accounts"].values():
            account["price"] = round(account["price"] + 1, 2)
    return out


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
@given(data=st.data(), config=configurations())
def test_apply_then_plan_is_empty(tmp_path_factory: Any, data: Any, config: dict[str, Any]) -> None:
    directory = tmp_path_factory.mktemp("prop")
    YAML().dump(config, directory / "lexsync.yaml")
    app = create_app(SandboxConfig())
    transport = httpx.ASGITransport(app=app)
    plan, result = run(directory, transport, "apply")
    assert result is not None and not result.failed and not result.skipped, [o.error for o in result.failed]
    assert not result.verify_problems, result.verify_problems
    second = run(directory, transport, "plan")
    leftovers = [(c.address, [(a.path, a.before, a.after) for a in c.changes]) for c in second.actionable]
    assert leftovers == []

    # Someone edits values the YAML does not set; then every object is written again.
    kept = edit_outside(app, data.draw(outside_edits(config)))
    YAML().dump(changed_everywhere(config), directory / "lexsync.yaml")
    plan, result = run(directory, transport, "apply")
    assert result is not None and not result.failed and not result.skipped, [o.error for o in result.failed]
    assert not result.verify_problems, result.verify_problems
    with app.state.sandbox.store.reading() as tx:
        for (table, uid), changes in kept.items():
            row = tx.get(table, uid)
            assert row is not None
            for key, value in changes.items():
                held = row["FieldData"].get(key.split(".")[1]) if key.startswith("FieldData.") else row.get(key)
                assert held == value, (table, uid, key)
    third = run(directory, transport, "plan")
    assert [c.address for c in third.actionable] == []
