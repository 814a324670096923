"""A transport that spreads requests over one-connection pools.

httpcore's connection pool does work quadratic in its number of connections on every request
(assigning a request counts the idle connections once per connection, and every check of an
idle connection asks its socket for state). At 16 connections that doubled the CPU lexsync
spent per read. Sixteen pools of one connection each send the same requests over the same
16 keep-alive connections without it.

Each pool talks to the network through `aionet.AsyncioBackend` rather than httpcore's anyio
backend, which cost about a quarter of the client's CPU per request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpcore
import httpx

from lexsync.api.aionet import AsyncioBackend
from lexsync.api.pooltransport import PoolTransport

# How long an unused connection is kept (httpx's default).
KEEPALIVE_EXPIRY = 5.0


class _ReleasingStream(httpx.AsyncByteStream):
    """A response body that marks its connection free once it is closed."""

    def __init__(self, stream: httpx.AsyncByteStream, release: Callable[[], None]) -> None:
        self._stream = stream
        self._release: Callable[[], None] | None = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            if self._release is not None:
                self._release()
                self._release = None


class SpreadTransport(httpx.AsyncBaseTransport):
    """Sends each request through the least busy of `size` transports made by `make`."""

    def __init__(self, size: int, make: Callable[[], httpx.AsyncBaseTransport]) -> None:
        self._transports = [make() for _ in range(max(1, size))]
        self.busy = [0] * len(self._transports)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        index = min(range(len(self.busy)), key=self.busy.__getitem__)
        self.busy[index] += 1

        def release() -> None:
            self.busy[index] -= 1

        try:
            response = await self._transports[index].handle_async_request(request)
        except BaseException:
            release()
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(status_code=response.status_code, headers=response.headers,
                              stream=_ReleasingStream(response.stream, release),
                              extensions=response.extensions)

    async def aclose(self) -> None:
        for transport in self._transports:
            await transport.aclose()


def spread_http_transport(size: int) -> SpreadTransport:
    """`size` keep-alive connections, one per pool, verifying certificates."""
    # One TLS context for all: loading the CA bundle costs ~35 ms each time.
    tls = httpx.create_ssl_context(verify=True)
    backend = AsyncioBackend()
    return SpreadTransport(size, lambda: PoolTransport(httpcore.AsyncConnectionPool(
        ssl_context=tls, max_connections=1, max_keepalive_connections=1,
        keepalive_expiry=KEEPALIVE_EXPIRY, network_backend=backend)))
