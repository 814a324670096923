"""A sandbox of its own for the reliability suites, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from lexsync.sandbox.app import SandboxConfig
from tests.reliability.harness import socket_sandbox


class Box:
    def __init__(self, url: str, app: Any) -> None:
        self.url = url
        self.app = app
        self.http = httpx.Client(base_url=url, timeout=10)

    def faults(self, **config: Any) -> dict[str, Any]:
        response = self.http.post("/_sandbox/faults", json=config)
        response.raise_for_status()
        return response.json()

    def dump(self) -> dict[str, Any]:
        return self.http.get("/_sandbox/dump").json()

    def requests(self) -> dict[str, int]:
        return self.http.get("/_sandbox/requests").json()

    def writes(self) -> int:
        return sum(v for k, v in self.requests().items()
                   if k != "token" and not k.startswith(("Get", "is")))


@pytest.fixture(scope="session")
def box_server() -> Iterator[tuple[str, Any]]:
    with socket_sandbox(SandboxConfig()) as served:
        yield served


@pytest.fixture
def box(box_server: tuple[str, Any]) -> Iterator[Box]:
    sandbox = Box(*box_server)
    sandbox.faults(fault_rate=0, hold_write=None, clear_forced=True)
    sandbox.http.post("/_sandbox/reset").raise_for_status()
    yield sandbox
    sandbox.faults(fault_rate=0, hold_write=None, clear_forced=True)
    sandbox.http.close()
