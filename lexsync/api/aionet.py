"""An asyncio network backend for httpcore.

httpcore's default backend goes through anyio, whose cancel scopes and per-read pause and
resume of the socket cost about a quarter of lexsync's CPU per request. This backend speaks to
asyncio directly, through a small protocol that buffers what arrives, and raises the same
httpcore exceptions the anyio backend raises for the same failures, so retry decisions do
not change.
"""

from __future__ import annotations

import asyncio
import select
import ssl
from collections import deque
from collections.abc import Iterable
from typing import Any

import httpcore

# Stop reading from the socket while this much is buffered and not yet read by httpcore.
_READ_HIGH_WATER = 256 * 1024
_READ_LOW_WATER = 64 * 1024
# Attempts to other addresses of a host start this long after the previous one (as anyio).
_HAPPY_EYEBALLS_DELAY = 0.25


def socket_readable(sock: Any) -> bool:
    """Would a recv() on `sock` return at once (data, or the b"" of a closed peer)?

    A socket we can no longer ask is treated as readable: its next read is the end.
    """
    fileno = -1 if sock is None else sock.fileno()
    if fileno < 0:
        return True
    poller = select.poll()
    poller.register(fileno, select.POLLIN)
    return bool(poller.poll(0))


class _Buffering(asyncio.Protocol):
    """Keeps what the connection receives until the stream reads it."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        self.eof = False
        self.lost = False
        self.error: BaseException | None = None
        self.reading_paused = False
        self.writing_paused = False
        self._read_waiter: asyncio.Future[None] | None = None
        self._drain_waiter: asyncio.Future[None] | None = None

    # --- called by the event loop ---

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.chunks.append(data)
        self.buffered += len(data)
        if self.buffered > _READ_HIGH_WATER and not self.reading_paused:
            self.reading_paused = True
            assert self.transport is not None
            self.transport.pause_reading()
        self._wake_reader()

    def eof_received(self) -> None:
        # Returning None lets the transport close: HTTP/1.1 has no use for a half-open socket.
        self.eof = True
        self._wake_reader()

    def connection_lost(self, exc: BaseException | None) -> None:
        self.lost = True
        self.error = exc
        self._wake_reader()
        self._wake_writer()

    def pause_writing(self) -> None:
        self.writing_paused = True

    def resume_writing(self) -> None:
        self.writing_paused = False
        self._wake_writer()

    # --- used by the stream ---

    def at_end(self) -> bool:
        return self.eof or self.lost

    def take(self, max_bytes: int) -> bytes:
        chunk = self.chunks.popleft()
        if len(chunk) > max_bytes:
            self.chunks.appendleft(chunk[max_bytes:])
            chunk = chunk[:max_bytes]
        self.buffered -= len(chunk)
        if self.reading_paused and self.buffered < _READ_LOW_WATER and not self.lost:
            self.reading_paused = False
            assert self.transport is not None
            self.transport.resume_reading()
        return chunk

    async def wait_readable(self) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._read_waiter = waiter
        try:
            await waiter
        finally:
            self._read_waiter = None

    async def wait_drained(self) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._drain_waiter = waiter
        try:
            await waiter
        finally:
            self._drain_waiter = None

    def _wake_reader(self) -> None:
        waiter = self._read_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _wake_writer(self) -> None:
        waiter = self._drain_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


def _detail(exc: BaseException | None, fallback: str) -> str:
    """The message of `exc`, or `fallback` when it has none (asyncio's TimeoutError)."""
    text = str(exc) if exc is not None else ""
    return text or fallback


class AsyncioStream(httpcore.AsyncNetworkStream):
    """One TCP (or TLS over TCP) connection."""

    def __init__(self, transport: asyncio.Transport, protocol: _Buffering) -> None:
        self._transport = transport
        self._protocol = protocol
        self._closed = False

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        protocol = self._protocol
        if not protocol.chunks:
            if self._closed:
                raise httpcore.ReadError("the connection is closed")
            if not protocol.at_end():
                try:
                    async with asyncio.timeout(timeout):
                        await protocol.wait_readable()
                except TimeoutError as exc:
                    raise httpcore.ReadTimeout(_detail(exc, "read timed out")) from exc
            if not protocol.chunks:
                if self._closed:
                    raise httpcore.ReadError("the connection is closed")
                if protocol.error is not None:
                    raise httpcore.ReadError(_detail(protocol.error, "connection lost")
                                             ) from protocol.error
                return b""  # the server closed the connection
        return protocol.take(max_bytes)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        protocol = self._protocol
        if self._closed:
            raise httpcore.WriteError("the connection is closed")
        if protocol.lost or self._transport.is_closing():
            raise httpcore.WriteError(_detail(protocol.error, "the server closed the connection")
                                      ) from protocol.error
        self._transport.write(buffer)
        if not protocol.writing_paused:
            return
        try:
            async with asyncio.timeout(timeout):
                await protocol.wait_drained()
        except TimeoutError as exc:
            raise httpcore.WriteTimeout(_detail(exc, "write timed out")) from exc
        if protocol.lost:
            raise httpcore.WriteError(_detail(protocol.error, "connection lost")
                                      ) from protocol.error

    async def aclose(self) -> None:
        # Abort, as the anyio backend does: nothing is left to send, and a TLS goodbye
        # would keep the socket open waiting for the server's.
        self._closed = True
        self._transport.abort()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                tls = await loop.start_tls(self._transport, self._protocol, ssl_context,
                                           server_hostname=server_hostname)
        except BaseException as exc:
            await self.aclose()
            if isinstance(exc, TimeoutError):
                raise httpcore.ConnectTimeout(_detail(exc, "TLS handshake timed out")) from exc
            if isinstance(exc, OSError):  # ssl.SSLError included: a refused certificate
                raise httpcore.ConnectError(_detail(exc, "TLS handshake failed")) from exc
            raise
        assert isinstance(tls, asyncio.Transport)
        self._protocol.transport = tls
        return AsyncioStream(tls, self._protocol)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            # Asked of an idle keep-alive connection: anything to read means the server
            # closed it (or broke the protocol), so httpcore opens a new one. The buffer
            # and flags hold what the event loop has seen; the socket, what it has not yet.
            protocol = self._protocol
            return (self._closed or bool(protocol.chunks) or protocol.at_end()
                    or socket_readable(self._transport.get_extra_info("socket")))
        if info == "ssl_object":
            return self._transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return self._transport.get_extra_info("sockname")
        if info == "server_addr":
            return self._transport.get_extra_info("peername")
        if info == "socket":
            return self._transport.get_extra_info("socket")
        return None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """Opens `AsyncioStream`s for httpcore's connection pools."""

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
                          ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        local = (local_address, 0) if local_address else None
        try:
            async with asyncio.timeout(timeout):
                transport, protocol = await loop.create_connection(
                    _Buffering, host, port, local_addr=local,
                    happy_eyeballs_delay=_HAPPY_EYEBALLS_DELAY)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(_detail(exc, "connect timed out")) from exc
        except OSError as exc:
            raise httpcore.ConnectError(_detail(exc, "connect failed")) from exc
        assert isinstance(transport, asyncio.Transport)
        try:
            # asyncio has already set TCP_NODELAY.
            sock = transport.get_extra_info("socket")
            for option in socket_options or ():
                sock.setsockopt(*option)
        except OSError as exc:
            transport.abort()
            raise httpcore.ConnectError(_detail(exc, "socket option refused")) from exc
        return AsyncioStream(transport, protocol)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
