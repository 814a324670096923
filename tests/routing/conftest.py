from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from lexsync.config.loader import LoadedConfig, load_configuration
from tests.e2e.conftest import cli, sandbox, sandbox_url  # noqa: F401 -- the e2e fixtures

NETWORK = """\
lead_types: [Auto Insurance]
clients:
  acme:
    username: acme-portal
    automation: Price
    time_zone: Central Standard Time
    delivery_methods:
      post:
        type: http_post
        lead_type: Auto Insurance
        schedule:
          - {days: [mon, tue, wed, thu, fri], from: "08:00", to: "18:00"}
      always:
        type: http_post
        lead_type: Auto Insurance
    delivery_accounts:
      acme-tx:
        method: post
        price: 25
        criteria:
          - {field: State, op: In, value: [TX, OK]}
          - {field: Age, op: Between, value: [25, 65]}
      acme-backup:
        method: always
        price: 8
        criteria:
          - {field: State, op: In, value: [Texas]}
  beta:
    username: beta-portal
    delivery_methods:
      post: {type: http_post, lead_type: Auto Insurance}
    delivery_accounts:
      beta-all:
        method: post
        price: 30
        criteria:
          - {field: State, op: NotIn, value: [CA]}
  gamma:
    username: gamma-portal
    status: Inactive
    delivery_methods:
      post: {type: http_post, lead_type: Auto Insurance}
    delivery_accounts:
      gamma-tx: {method: post, price: 50}
"""


@pytest.fixture
def load(tmp_path: Path) -> Callable[..., LoadedConfig]:
    def load(text: str = NETWORK, extra: str = "") -> LoadedConfig:
        path = tmp_path / "lexsync.yaml"
        path.write_text(text + extra, encoding="utf-8")
        return load_configuration(path, environ={})

    return load
