from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from lexsync.config import LoadedConfig, load_configuration
from lexsync.errors import ConfigError

BASE = """\
lead_types: [Auto Insurance]
client_groups:
  premium: {description: Premium buyers, display_order: 1}
clients:
  acme:
    group: premium
    username: acme-portal
    password: hunter2
    delivery_methods:
      acme-post:
        type: http_post
        lead_type: Auto Insurance
        url: https://acme.example/leads
        field_mappings:
          - {name: first_name, lead_field: FirstName}
        schedule:
          - {days: [mon, tue], from: "08:00", to: "18:00"}
    delivery_accounts:
      acme-ca:
        method: acme-post
        price: 25
        caps: {hour: 10, week: 400}
        criteria:
          - {field: State, op: In, value: [CA, NV]}
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load_text(tmp_path: Path, text: str, environ: dict | None = None, **kwargs) -> LoadedConfig:
    return load_configuration(write(tmp_path, "lexsync.yaml", text), environ or {}, **kwargs)


def problems(tmp_path: Path, text: str, environ: dict | None = None, **kwargs) -> list[str]:
    """Every diagnostic as 'line:column: summary' (file name left out)."""
    with pytest.raises(ConfigError) as caught:
        load_text(tmp_path, text, environ, **kwargs)
    return [f"{d.location.line}:{d.location.column}: {d.summary}" if d.location else d.summary
            for d in caught.value.diagnostics]
