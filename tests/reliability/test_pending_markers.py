"""A create is marked pending just before its own request goes out, not while it waits to be
sent: a run killed while a parallel batch of creates waits (for a bearer token, a connection,
a retry's backoff) leaves no marker for a create never sent. Delivery methods cannot be read
back, so each such marker would otherwise need a manual `lexsync state resolve`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from lexsync.cli.sandbox_mode import SANDBOX_CREDENTIALS, SANDBOX_URL, in_process_sandbox
from lexsync.engine.session import RunOptions, Session
from lexsync.state.local import LocalBackend

METHODS = 4
CLIENT = """
lexsync: {dialect: rest}
lead_types: [Auto Insurance]
clients:
  acme:
    username: acme-portal
    password: ${env:PW}
"""


def _methods(count: int) -> str:
    lines = ["    delivery_methods:"]
    for i in range(count):
        lines += [f"      post-{i}:", "        type: http_post", "        lead_type: Auto Insurance",
                  f"        url: https://acme.example/leads/{i}"]
    return "\n".join(lines) + "\n"


class HeldToken(httpx.AsyncBaseTransport):
    """The sandbox, with the bearer-token request held until `release` is set."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.holding = asyncio.Event()
        self.release = asyncio.Event()
        self.writes_sent = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/authorization/token"):
            self.holding.set()
            await self.release.wait()
        elif request.method == "PUT":
            self.writes_sent += 1
        return await self.inner.handle_async_request(request)


def _session(config: Path, transport: httpx.AsyncBaseTransport) -> Session:
    return Session(RunOptions(config_path=config, transport=transport, api_url=SANDBOX_URL,
                              default_credentials=dict(SANDBOX_CREDENTIALS),
                              environ={"PW": "portal-secret"}))


def test_creates_waiting_to_be_sent_leave_no_pending_marker(tmp_path: Path) -> None:
    config = tmp_path / "lexsync.yaml"
    config.write_text(CLIENT, encoding="utf-8")
    sandbox, _, _ = in_process_sandbox(tmp_path)
    _, first = asyncio.run(_session(config, sandbox).apply(lambda plan: True))
    assert first is not None and not first.failed
    config.write_text(CLIENT + _methods(METHODS), encoding="utf-8")
    state = LocalBackend(tmp_path / ".lexsync" / "state.json")

    async def run() -> tuple[Any, int]:
        # A new run, so a new bearer token: every method create waits for it.
        transport = HeldToken(sandbox)
        applying = asyncio.ensure_future(_session(config, transport).apply(lambda plan: True))
        await asyncio.wait_for(transport.holding.wait(), 30)
        await asyncio.sleep(0.2)  # every create of the wave has started and waits
        assert transport.writes_sent == 0
        markers = len(state.load().pending)  # what a kill at this moment would leave
        transport.release.set()
        _, result = await applying
        return result, markers

    result, markers = asyncio.run(run())
    assert markers == 0
    assert result is not None and len(result.succeeded) == METHODS and not result.failed
    assert state.load().pending == {}
