"""Fixtures for the sandbox tests: one real uvicorn server per session, reset per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lexsync.sandbox.app import SandboxConfig
from lexsync.sandbox.server import running_sandbox

from .support import Sandbox


@pytest.fixture(scope="session")
def sandbox_url() -> Iterator[str]:
    with running_sandbox(SandboxConfig()) as url:
        yield url


@pytest.fixture
def sb(sandbox_url: str) -> Iterator[Sandbox]:
    client = Sandbox(sandbox_url)
    client.http.post("/_sandbox/reset")
    client.faults(
        latency_ms=0,
        latency_jitter_ms=0,
        fault_rate=0.0,
        clear_forced=True,
        lost_answer_mode="random",
    )
    yield client
    client.close()
