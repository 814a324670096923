"""The published schema (what editors check) and the models (what lexsync loads) agree.

Differential: the same data through both, on the examples and on generated configurations,
as they are and changed at every kind of place (deleted, replaced, an unknown key beside). The models may refuse more than the
schema only by their own rules, which JSON Schema cannot say (one source per field mapping,
unique mapping names, no day listed twice, Between with two values, a Double's 15 digits):
pydantic reports those as `value_error`; and infinity, which JSON cannot write at all.

The models are strict, as the schema is: text for a number ("25"), a boolean for a number
(true) or a number for text are refused by both, and so are integers beyond an Int32 field.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from pydantic import ValidationError
from ruamel.yaml import YAML

from lexsync.config import load_configuration
from lexsync.config.models import Configuration
from tests.property.test_apply_then_plan_is_empty import configurations

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "schemas" / "lexsync.schema.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
EXAMPLES = sorted({p.parent for p in (REPO / "examples").glob("*/*.yaml")})
# Replacements neither side converts into the type it wants (see the module's docstring).
FOREIGN = [None, [], {}, "zz-not-a-value", -7, 3.5, "25", True, 2**31, -(2**31) - 1,
           float("inf")]
# Model rules JSON Schema cannot say (see the module's docstring).
MODEL_ONLY = ("value_error", "finite_number")
DELETE = object()
NAMED = ("client_groups", "clients", "delivery_methods", "delivery_accounts")  # keyed by YAML name


def schema_accepts(data: Any) -> bool:
    return not any(True for _ in VALIDATOR.iter_errors(data))


def model_verdict(data: Any) -> str:
    """"ok", "model-only rule" (every error a custom rule's ValueError) or "refused"."""
    try:
        Configuration.model_validate(data, by_alias=True, by_name=False)
    except ValidationError as exc:
        return "model-only rule" if all(e["type"] in MODEL_ONLY for e in exc.errors()) \
            else "refused"
    return "ok"


def assert_agree(data: Any) -> None:
    schema_ok, model = schema_accepts(data), model_verdict(data)
    if schema_ok:
        assert model in ("ok", "model-only rule"), f"the schema accepts what the models refuse: {data}"
    else:
        assert model == "refused", f"the models accept what the schema refuses: {data}"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_examples_satisfy_both(example: Path) -> None:
    environ = {}
    for file in sorted(example.glob("*.yaml")):
        text = file.read_text(encoding="utf-8")
        errors = [e.message for e in VALIDATOR.iter_errors(YAML(typ="safe").load(text))]
        assert errors == [], f"{file.name}: an editor flags {errors}"
        environ.update((name, "set") for name in re.findall(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}", text))
    loaded = load_configuration(example, environ)
    assert schema_accepts(loaded.model.model_dump(mode="json", by_alias=True))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=configurations())
def test_generated_configurations_satisfy_both(config: dict[str, Any]) -> None:
    assert schema_accepts(config)
    model = Configuration.model_validate(config, by_alias=True, by_name=False)
    # Every configuration the models hold can be written back in a form editors accept.
    assert schema_accepts(model.model_dump(mode="json", by_alias=True))


def places(node: Any, path: tuple = ()) -> list[tuple]:
    """Every key and list index under `node`."""
    found = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, value in items:
        found.append((*path, key))
        found.extend(places(value, (*path, key)))
    return found


def kind_of_place(path: tuple) -> tuple:
    """Places the schema treats alike (any list item, any key under a map of names) share one."""
    return tuple("#" if isinstance(part, int) else "*" if previous in NAMED else part
                 for previous, part in zip((None, *path), path, strict=False))


def enclosing(config: dict[str, Any], path: tuple) -> dict[str, Any]:
    """The smallest configuration holding `path`: its top-level key, or its one client. No
    rule of either side looks across clients, so the verdict is the whole one's, made faster."""
    if path[0] == "clients" and len(path) > 2:
        return {"clients": {path[1]: copy.deepcopy(config["clients"][path[1]])}}
    return {path[0]: copy.deepcopy(config[path[0]])}


def single_changes(config: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """`config` changed at one place of each kind: the key or item deleted or replaced by
    each foreign value, and an unknown key added beside it."""
    seen = set()
    for path in places(config):
        if kind_of_place(path) in seen:
            continue
        seen.add(kind_of_place(path))
        *parent_path, key = path
        edits: list[tuple[Any, Any]] = [(key, DELETE)] + [(key, value) for value in FOREIGN]
        if isinstance(key, str) and not (parent_path and parent_path[-1] in ("fields", "map")):
            edits.append(("zz_unknown", 1))
        for where, value in edits:
            changed = enclosing(config, path)
            parent: Any = changed
            for part in parent_path:
                parent = parent[part]
            if value is DELETE:
                del parent[where]
            else:
                parent[where] = value
            yield changed


@pytest.mark.parametrize("file", sorted((REPO / "examples").glob("*/*.yaml")),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_single_change_to_an_example_gets_one_verdict(file: Path) -> None:
    for changed in single_changes(YAML(typ="safe").load(file.read_text(encoding="utf-8"))):
        assert_agree(changed)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=configurations())
def test_every_single_change_to_a_generated_configuration_gets_one_verdict(
        config: dict[str, Any]) -> None:
    for changed in single_changes(config):
        assert_agree(changed)


@pytest.mark.parametrize("path,value", [
    (("clients", "acme", "delivery_accounts", "a", "prise"), 25),  # unknown key
    (("clients", "acme", "status"), "Activ"),  # not one of the choices
    (("clients", "acme", "delivery_accounts", "a", "caps", "hour"), -2),  # below the minimum (-1 = no cap)
    (("clients", "acme", "delivery_accounts", "a", "caps", "hour"), 2.5),  # not an integer
    (("clients", "acme", "delivery_methods", "m", "schedule"), [{"days": ["mon"], "from": "8h", "to": "9:00"}]),
    (("lexsync", "parallelism"), 65),  # above the maximum
    (("clients", "acme", "delivery_accounts", "a", "price"), "25"),  # text is not a number
    (("clients", "acme", "delivery_accounts", "a", "price"), True),  # nor is a boolean
    (("clients", "acme", "delivery_accounts", "a", "caps", "day"), 2**31),  # beyond Int32
    (("clients", "acme", "notes"), 25),  # a number is not text
    (("clients", "acme", "fields", "Zip"), 2134),  # not even a client field's
    (("clients", "acme", "delivery_methods", "m", "enabled"), "yes"),  # nor a boolean
    (("clients", "acme", "username"), ""),  # too short
])
def test_both_refuse_what_the_schema_can_say(path: tuple, value: Any) -> None:
    config: dict[str, Any] = {"clients": {"acme": {
        "username": "acme", "delivery_methods": {"m": {"type": "http_post", "lead_type": "Auto"}},
        "delivery_accounts": {"a": {"method": "m"}}}}}
    assert schema_accepts(config) and model_verdict(config) == "ok"
    node = config
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value
    assert not schema_accepts(config)
    assert model_verdict(config) == "refused"
