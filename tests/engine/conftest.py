from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from lexsync.engine.session import RunOptions, Session
from tests.engine.fake_api import FakeApi

BASE_CONFIG = """
lead_types: [Auto Insurance]
client_groups:
  premium: {description: Premium buyers, display_order: 1}
clients:
  acme:
    group: premium
    username: acme-portal
    password: ${env:PW}
    fields: {Company: Acme}
    delivery_methods:
      post:
        type: http_post
        lead_type: Auto Insurance
        url: https://acme.example/leads
        field_mappings:
          - {name: fn, lead_field: FirstName}
          - {name: st, lead_field: State, map: {California: CA}}
        schedule:
          - {days: [mon, tue], from: "08:00", to: "18:00"}
    delivery_accounts:
      ca:
        method: post
        price: 25
        caps: {day: 100, week: 400}
        criteria:
          - {field: State, op: In, value: [NV, CA]}
          - {field: Age, op: Between, value: [25, 65]}
"""


class Harness:
    def __init__(self, tmp_path: Path) -> None:
        self.dir = tmp_path
        self.api = FakeApi()
        self.config = tmp_path / "lexsync.yaml"

    def write(self, text: str) -> None:
        self.config.write_text(text, encoding="utf-8")

    def session(self, **options: Any) -> Session:
        return Session(RunOptions(config_path=self.config, api_factory=lambda: self.api,
                                  environ={"PW": "s3cret-portal"}, **options))

    def plan(self, **options: Any):
        bundle, _ = asyncio.run(self.session(**options).plan())
        return bundle.plan

    def apply(self, **options: Any):
        return asyncio.run(self.session(**options).apply(lambda plan: True))


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    h = Harness(tmp_path)
    h.write(BASE_CONFIG)
    return h
