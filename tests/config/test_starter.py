from __future__ import annotations

from pathlib import Path

import pytest

from lexsync.config import load_configuration
from lexsync.config.starter import STARTER_CONFIG
from lexsync.errors import ConfigError


def test_starter_loads(tmp_path: Path) -> None:
    path = tmp_path / "lexsync.yaml"
    path.write_text(STARTER_CONFIG)
    loaded = load_configuration(path, {"ACME_PORTAL_PASSWORD": "pw"})
    acme = loaded.model.clients["acme"]
    assert acme.password.get_secret_value() == "pw"
    method = acme.delivery_methods["acme-post"]
    assert method.type == "http_post" and method.field_mappings and method.schedule
    account = acme.delivery_accounts["acme-ca"]
    assert account.method == "acme-post" and account.caps.hour == 10 and account.criteria
    assert list(loaded.model.client_groups) == ["premium"]


def test_starter_names_its_schema_and_password_variable() -> None:
    assert STARTER_CONFIG.startswith("# yaml-language-server: $schema=")
    assert "${env:ACME_PORTAL_PASSWORD}" in STARTER_CONFIG


def test_starter_needs_the_password(tmp_path: Path) -> None:
    path = tmp_path / "lexsync.yaml"
    path.write_text(STARTER_CONFIG)
    with pytest.raises(ConfigError, match="ACME_PORTAL_PASSWORD is not set"):
        load_configuration(path, {})
