"""Differential property: what the YAML writes is what the write bodies carry
(docs/configuration.md, "Exactly what you wrote"), in both dialects.

Configurations are drawn across the language with awkward but valid spellings (leading and
trailing zeros, commas inside text, dotted names, outer spaces, one-digit hours, six-decimal
prices, every criterion operator) and applied to the real sandbox application; every request
body is recorded at the transport. Then (a) each YAML value is in a write body as the rule
spells it, worked out here from the rule and not by lexsync's code; (b) the next plan is empty;
(c) a random edit converges in one apply, its new values written as the rule spells them.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from defusedxml import ElementTree
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from lexsync.engine.session import RunOptions, Session
from lexsync.sandbox.app import SandboxConfig, create_app
from tests.property.test_apply_then_plan_is_empty import CREDENTIALS

# Lead fields every lead type has, so criteria and mappings survive a lead type change.
TEXT_FIELDS = ["FirstName", "LastName", "Email", "City", "Zip"]
LEAD_TYPES = ["Auto Insurance", "Home Insurance"]
WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
SCALAR_OPERATORS = ["Equal", "NotEqual", "Greater", "Less", "GreaterOrEqual", "LessOrEqual",
                    "Contains", "Doesnt_Contain", "DateCompare", "Distance_Compare"]
AWKWARD = ["00501", "02134", "1.50", "007", "25.00", "-0", "1e3", "test, demo", " (edited)",
           "trailing ", "a.b.c", "J.R.", "0x1F", "true", "~", "null", "#1", "50%"]
# Text as written, never only spaces (a blank value is no value), never a control character.
text = st.one_of(st.sampled_from(AWKWARD),
                 st.text(alphabet="ab xyz0123456789.,-_:", min_size=1, max_size=10)
                 .filter(str.strip))
list_item = st.one_of(st.sampled_from([a for a in AWKWARD if "," not in a]),
                      st.text(alphabet="ab0123456789.-", min_size=1, max_size=6))
names = st.one_of(st.sampled_from(["contact.first_name", "a.b", "f.0", "x%2Ey", "plain"]),
                  st.text(alphabet="abc._", min_size=1, max_size=6).filter(lambda n: n.strip(".")))
# A Double's digits: at most 6 decimals, as prices are written.
decimal = st.integers(0, 10**9).map(lambda n: n / 10**6)
number = st.one_of(st.integers(-1000, 10**6), decimal)


@st.composite
def criterion(draw: st.DrawFn) -> dict[str, Any]:
    field = draw(st.sampled_from(TEXT_FIELDS + ["Age"]))
    op = draw(st.sampled_from(["In", "NotIn", "Between", *SCALAR_OPERATORS]))
    if op in ("In", "NotIn"):
        value: Any = draw(st.lists(st.one_of(list_item, number), min_size=1, max_size=3,
                                   unique_by=str))
    elif op == "Between":
        value = draw(st.lists(st.one_of(list_item, number), min_size=2, max_size=2))
    else:
        value = draw(st.one_of(text, number, st.booleans()))
    entry = {"field": field, "op": op, "value": value}
    kind = draw(st.sampled_from(["FieldValue", "FieldValue", "Expression", "Function"]))
    if kind != "FieldValue":
        entry |= {"type": kind, "expression": draw(text)}
    return entry


@st.composite
def method(draw: st.DrawFn, index: int) -> dict[str, Any]:
    mappings = []
    for name in draw(st.lists(names, max_size=3, unique=True)):
        entry: dict[str, Any] = {"name": name}
        source = draw(st.sampled_from(["lead_field", "static"]))
        if source == "lead_field":
            entry["lead_field"] = draw(st.sampled_from(TEXT_FIELDS))
        else:
            entry["static"] = draw(text)
        if draw(st.booleans()):
            entry["map"] = draw(st.dictionaries(text, text, max_size=3))
        mappings.append(entry)
    windows = []
    for days in draw(st.lists(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=2,
                                       unique=True), max_size=2)):
        start = draw(st.integers(0, 22))
        end = draw(st.integers(start + 1, 23))
        one_digit = draw(st.booleans())  # 8:00 as well as 08:00
        windows.append({"days": days, "from": f"{start}:00" if one_digit else f"{start:02d}:00",
                        "to": f"{end:02d}:30"})
    return {"type": draw(st.sampled_from(["http_post", "http_get", "xml_json"])),
            "lead_type": draw(st.sampled_from(LEAD_TYPES)),
            "url": f"https://m{index}.example/leads", "field_mappings": mappings,
            "schedule": windows}


@st.composite
def configurations(draw: st.DrawFn) -> dict[str, Any]:
    dialect = draw(st.sampled_from(["rest", "soap"]))
    clients: dict[str, Any] = {}
    for index, key in enumerate(draw(st.lists(st.sampled_from(["acme", "beta", "c-d"]),
                                              min_size=1, max_size=2, unique=True))):
        methods = {f"m{m}": draw(method(m)) for m in range(draw(st.integers(1, 2)))}
        accounts = {}
        for a in range(draw(st.integers(1, 2))):
            accounts[f"a{a}"] = {
                "method": draw(st.sampled_from(sorted(methods))), "price": draw(decimal),
                "criteria": draw(st.lists(criterion(), max_size=3)),
            }
        client: dict[str, Any] = {"username": f"user-{index}", "password": "pw",
                                  "delivery_methods": methods, "delivery_accounts": accounts}
        if draw(st.booleans()):
            client["notes"] = draw(text)
        if draw(st.booleans()):
            client["fields"] = {"Company": draw(text)}
        clients[key] = client
    return {"lexsync": {"dialect": dialect}, "lead_types": LEAD_TYPES, "clients": clients}


# The rule, spelled out here rather than taken from lexsync.
def spelled(value: Any) -> str:
    """A criterion item as text: text as written, a boolean as true/false, a whole number in
    digits, any other number in its shortest exact spelling."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def criterion_wire(entry: dict[str, Any]) -> str:
    value = entry["value"]
    if not isinstance(value, list):
        return spelled(value)
    items = [spelled(v) for v in value]
    return ",".join(sorted(items) if entry["op"] in ("In", "NotIn") else items)


def expected(config: dict[str, Any]) -> set[tuple[str, Any]]:
    """(wire name, value) pairs some write body must carry; `A|B` names either."""
    out: set[tuple[str, Any]] = set()
    for client in config["clients"].values():
        if "notes" in client:
            out.add(("Notes", client["notes"]))
        for value in client.get("fields", {}).values():
            out.add(("Value|FieldValue", value))  # FieldData: Value (rest), FieldValue (soap)
        for entry in client["delivery_methods"].values():
            for mapping in entry["field_mappings"]:
                out.add(("FieldName", mapping["name"]))
                if "static" in mapping:
                    out.add(("Value", mapping["static"]))
                for lead_value, delivered in mapping.get("map", {}).items():
                    out |= {("FieldValue", lead_value), ("DeliveryValue", delivered)}
            for window in entry["schedule"]:
                hours, minutes = window["from"].split(":")
                out.add(("StartTime", f"1900-01-01T{int(hours):02d}:{minutes}:00"))
        for account in client["delivery_accounts"].values():
            out.add(("Price", account["price"]))
            for entry in account["criteria"]:
                out.add(("Value", criterion_wire(entry)))
                if "expression" in entry:
                    out.add(("Expression", entry["expression"]))
    return out


def carried(pairs: set[tuple[str, Any]], name: str, value: Any) -> bool:
    """Whether a body carries `value` under `name`: text exactly; a number by value (a JSON
    number, or in XML the text of a number)."""
    for held_name, held in pairs:
        if held_name not in name.split("|"):
            continue
        if isinstance(value, str) and held == value:
            return True
        if isinstance(value, (int, float)) and not isinstance(held, bool):
            try:
                if float(held) == value:
                    return True
            except (TypeError, ValueError):
                continue
    return False


def body_pairs(body: bytes) -> Iterator[tuple[str, Any]]:
    """Every (name, scalar) a JSON or SOAP body holds."""
    if body.lstrip().startswith(b"<"):
        for element in ElementTree.fromstring(body).iter():
            if len(element) == 0:
                yield element.tag.rsplit("}", 1)[-1], element.text or ""
        return
    pending: list[Any] = [json.loads(body)]
    while pending:
        node = pending.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) \
            if isinstance(node, list) else ()
        for key, value in items:
            if isinstance(value, (dict, list)):
                pending.append(value)
            elif isinstance(key, str):
                yield key, value


class Recording(httpx.AsyncBaseTransport):
    """The sandbox's transport, keeping every request body that is not a read."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.bodies: list[bytes] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        if body and (request.method in ("PUT", "PATCH", "POST") and b"AddEdit" in body
                     or request.method in ("PUT", "PATCH")):
            self.bodies.append(body)
        return await self.inner.handle_async_request(request)

    def pairs(self) -> set[tuple[str, Any]]:
        return {pair for body in self.bodies for pair in body_pairs(body)}


def run(directory: Path, transport: httpx.AsyncBaseTransport, action: str) -> Any:
    session = Session(RunOptions(config_path=directory / "lexsync.yaml", transport=transport,
                                 api_url="http://127.0.0.1", default_credentials=CREDENTIALS,
                                 environ={}))
    if action == "plan":
        bundle, _ = asyncio.run(session.plan())
        return bundle.plan
    plan, result = asyncio.run(session.apply(lambda plan: True))
    if result is None:  # nothing to do: the edit drew what was there
        assert not plan.has_changes
        return None
    assert not result.failed and not result.skipped, [o.error for o in result.failed]
    assert not result.verify_problems, result.verify_problems
    return result


def leftovers(plan: Any) -> list[tuple[str, list]]:
    return [(c.address, [(a.path, a.before, a.after) for a in c.changes], c.reason)
            for c in plan.actionable]


@st.composite
def edited(draw: st.DrawFn, config: dict[str, Any]) -> dict[str, Any]:
    """`config` with one thing changed, as someone editing it would."""
    out = copy.deepcopy(config)
    client = out["clients"][draw(st.sampled_from(sorted(out["clients"])))]
    account = client["delivery_accounts"][draw(st.sampled_from(sorted(client["delivery_accounts"])))]
    chosen = client["delivery_methods"][draw(st.sampled_from(sorted(client["delivery_methods"])))]
    edit = draw(st.sampled_from(["price", "criterion", "notes", "mapping", "hour", "lead_type"]))
    if edit == "price":
        account["price"] = draw(decimal)
    elif edit == "criterion":
        account["criteria"] = [*account["criteria"][1:], draw(criterion())]
    elif edit == "notes":
        client["notes"] = draw(text)
    elif edit == "mapping":
        chosen["field_mappings"] = chosen["field_mappings"][1:] or [
            {"name": draw(names), "static": draw(text)}]
    elif edit == "hour":
        chosen["schedule"] = [{"days": ["mon"], "from": f"{draw(st.integers(0, 9))}:00",
                               "to": "23:00"}]
    else:
        chosen["lead_type"] = [t for t in LEAD_TYPES if t != chosen["lead_type"]][0]
    return out


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(data=st.data(), config=configurations())
def test_values_are_written_as_the_yaml_spells_them_and_settle(
        tmp_path_factory: Any, data: Any, config: dict[str, Any]) -> None:
    directory = tmp_path_factory.mktemp("exact")
    YAML().dump(config, directory / "lexsync.yaml")
    transport = Recording(httpx.ASGITransport(app=create_app(SandboxConfig())))
    run(directory, transport, "apply")
    pairs = transport.pairs()
    missing = sorted((name, value) for name, value in expected(config)
                     if not carried(pairs, name, value))
    assert missing == []  # (a)
    assert leftovers(run(directory, transport, "plan")) == []  # (b)

    changed = data.draw(edited(config))
    YAML().dump(changed, directory / "lexsync.yaml")
    transport.bodies.clear()
    run(directory, transport, "apply")
    pairs = transport.pairs()
    missing = sorted((name, value) for name, value in expected(changed) - expected(config)
                     if not carried(pairs, name, value))
    assert missing == []
    assert leftovers(run(directory, transport, "plan")) == []  # (c): one apply converges
