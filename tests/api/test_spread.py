"""SpreadTransport: each request goes to the least busy one-connection transport."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from lexsync.api.spread import SpreadTransport


class Gate:
    """Handlers that hold every request until released, remembering which transport got it."""

    def __init__(self) -> None:
        self.open = asyncio.Event()
        self.served: list[int] = []

    def transport(self, index: int) -> httpx.AsyncBaseTransport:
        async def handler(request: httpx.Request) -> httpx.Response:
            self.served.append(index)
            await self.open.wait()
            if request.url.path == "/fail":
                raise httpx.ConnectError("refused", request=request)
            return httpx.Response(200, text=f"from {index}")
        return httpx.MockTransport(handler)


def spread(gate: Gate, size: int) -> SpreadTransport:
    made = iter(range(size))
    return SpreadTransport(size, lambda: gate.transport(next(made)))


def test_concurrent_requests_take_distinct_transports_and_free_them() -> None:
    async def scenario() -> tuple[list[int], list[int], list[str], list[int]]:
        gate = Gate()
        transport = spread(gate, 4)
        async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
            pending = [asyncio.ensure_future(client.get("/")) for _ in range(4)]
            await asyncio.sleep(0.01)
            busy_while_held = list(transport.busy)
            gate.open.set()
            bodies = [r.text for r in await asyncio.gather(*pending)]
            return sorted(gate.served), busy_while_held, bodies, list(transport.busy)

    served, busy_while_held, bodies, busy_after = asyncio.run(scenario())
    assert served == [0, 1, 2, 3]
    assert busy_while_held == [1, 1, 1, 1]
    assert sorted(bodies) == ["from 0", "from 1", "from 2", "from 3"]
    assert busy_after == [0, 0, 0, 0]


def test_a_failed_request_frees_its_transport() -> None:
    async def scenario() -> list[int]:
        gate = Gate()
        gate.open.set()
        transport = spread(gate, 2)
        async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
            with pytest.raises(httpx.ConnectError):
                await client.get("/fail")
            await client.get("/")
            return list(transport.busy)

    assert asyncio.run(scenario()) == [0, 0]


def test_a_streamed_response_holds_its_transport_until_closed() -> None:
    async def scenario() -> tuple[list[int], list[int]]:
        gate = Gate()
        gate.open.set()
        transport = spread(gate, 2)
        async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
            async with client.stream("GET", "/") as response:
                held = list(transport.busy)
                await response.aread()
            return held, list(transport.busy)

    held, after = asyncio.run(scenario())
    assert sorted(held) == [0, 1] and after == [0, 0]
