from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from lexsync.config.schema import REGENERATE, generate_schema, render_schema, write_schema
from lexsync.config.starter import STARTER_CONFIG

from .conftest import BASE

CHECKED_IN = Path(__file__).resolve().parents[2] / "schemas" / "lexsync.schema.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = generate_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_checked_in_schema_is_current() -> None:
    assert CHECKED_IN.read_text(encoding="utf-8") == render_schema(), (
        f"schemas/lexsync.schema.json is stale; regenerate it with: {REGENERATE}")


def test_schema_header() -> None:
    schema = generate_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "lexsync configuration"
    assert schema["$id"].endswith("lexsync.schema.json")
    assert render_schema().endswith("}\n")


def test_write_schema(tmp_path: Path) -> None:
    write_schema(tmp_path / "s.json")
    assert json.loads((tmp_path / "s.json").read_text()) == generate_schema()


def test_sample_config_is_valid(validator: jsonschema.Draft202012Validator) -> None:
    data = YAML(typ="safe").load(BASE)
    assert list(validator.iter_errors(data)) == []


def test_starter_config_is_valid(validator: jsonschema.Draft202012Validator) -> None:
    data = YAML(typ="safe").load(STARTER_CONFIG)
    assert list(validator.iter_errors(data)) == []


def test_schema_rejects_unknown_key(validator: jsonschema.Draft202012Validator) -> None:
    data = YAML(typ="safe").load(BASE.replace("price: 25", "prise: 25"))
    [error] = list(validator.iter_errors(data))
    assert "'prise' was unexpected" in error.message
    assert list(error.absolute_path) == ["clients", "acme", "delivery_accounts", "acme-ca"]


def test_schema_uses_yaml_names(validator: jsonschema.Draft202012Validator) -> None:
    window = generate_schema()["$defs"]["ScheduleWindow"]
    assert "from" in window["properties"] and "from_" not in window["properties"]
    data = YAML(typ="safe").load(BASE.replace("status: Active", "status: Activ").replace(
        "group: premium", "group: premium\n    status: Activ"))
    assert any("'Activ' is not one of" in e.message for e in validator.iter_errors(data))
