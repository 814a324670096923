"""HTTP/1.1 keep-alive connections for httpx, over asyncio, answers parsed by httptools.

lexsync sends every request through this transport (`Sender` talks to it as httpx's client
would, with `httpx.Request` and `httpx.Response`). It replaced httpcore's pools and h11,
whose pure-Python request and response machinery cost ~1 ms of CPU per request at 16
connections: more than the sandbox's whole answer, and most of a large plan's CPU. Here an
asyncio protocol feeds what arrives to httptools (the C parser uvicorn uses), and a read
through the Sender costs ~0.45 ms (`benchmarks/transport_cpu.py`).

What it does, and what it does not:
* one request at a time per connection, kept alive for `keepalive_expiry` seconds and
  reused last-in first-out; at most `max_connections` at once (beyond: wait, `PoolTimeout`);
* an idle connection the server closed, or sent anything on, is dropped before it is used;
* an answer that comes before the whole request went out (a 413, say) is returned, and that
  connection is not reused;
* timeouts as httpx's `Timeout` names them: connect (TLS handshake included), write, read
  (the longest wait for the next bytes), pool;
* failures raise the httpx exceptions httpx's own transport raises for them, which is what
  the retry policy (`transport.classify`) knows;
* the whole answer is read before the response is returned: lexsync reads every answer whole,
  and a response that owns no connection cannot leak one;
* no proxies, HTTP/2, upgrades or `Expect: 100-continue` (LeadExec needs none of them); an
  informational (1xx) answer is skipped, as h11 skips it.
"""

from __future__ import annotations

import asyncio
import select
import ssl
from collections.abc import Iterable
from typing import Any

import httptools
import httpx

# A request smaller than this goes out in one write; a larger body is written on its own
# rather than copied.
_JOIN_BELOW = 64 * 1024
# Attempts to other addresses of a host start this long after the previous one (as anyio).
_HAPPY_EYEBALLS_DELAY = 0.25
_FORBIDDEN_IN_HEADERS = (b"\r", b"\n", b"\0")
_NO_RESPONSE = "Server disconnected without sending a response."
_CUT_SHORT = "Server disconnected without sending a complete message body."


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


class _Exchange:
    """One answer as it arrives: httptools calls the `on_*` methods."""

    __slots__ = ("head_only", "status", "version", "reason", "headers", "chunks",
                 "headers_done", "delimited", "complete", "informational")

    def __init__(self, head_only: bool) -> None:
        self.head_only = head_only  # a HEAD request: the answer ends with its head
        self.status = 0
        self.version = b"HTTP/1.1"
        self.reason = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []
        self.headers_done = False
        self.delimited = False  # by Content-Length or chunks; else the body ends at close
        self.complete = False
        self.informational = False


class _Connection(asyncio.Protocol):
    """One keep-alive connection; `exchange` is the answer being received, if any."""

    def __init__(self, origin: tuple[str, str, int]) -> None:
        self.origin = origin
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.exchange: _Exchange | None = None  # the answer the transport waits for
        self._receiving: _Exchange | None = None  # where httptools' callbacks write
        self.closed = False  # the server closed, the connection broke, or we aborted it
        self.error: BaseException | None = None  # why it broke (mid-answer)
        self.reusable = False  # the last answer allows another request on this connection
        self.idle_since = 0.0
        self._waiter: asyncio.Future[None] | None = None
        self._drained: asyncio.Future[None] | None = None
        self._writing_paused = False

    # --- called by the event loop ---

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self.exchange is None:
            # Nothing was asked: a server talking out of turn cannot be trusted with the
            # next request (it may be the 408 of a server timing the connection out).
            self.abort()
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:  # not an HttpParserError
            self._fail(httpx.RemoteProtocolError("the server switched protocols unasked"))
            self.abort()
            return
        except httptools.HttpParserError as exc:
            self._fail(httpx.RemoteProtocolError(f"malformed answer: {exc}"))
            self.abort()
            return
        self._wake()

    def eof_received(self) -> bool:
        self._end(None)
        return False  # let the transport close: HTTP/1.1 has no use for a half-open socket

    def connection_lost(self, exc: BaseException | None) -> None:
        self._end(exc)
        self._wake_writer()

    def pause_writing(self) -> None:
        self._writing_paused = True

    def resume_writing(self) -> None:
        self._writing_paused = False
        self._wake_writer()

    # --- called by httptools ---

    def on_message_begin(self) -> None:
        exchange = self.exchange
        if exchange is None or exchange.complete:
            # A second answer to one request: keep the first, and never reuse a connection
            # whose server says more than it was asked.
            self._receiving = _Exchange(head_only=False)
            self.abort()
        else:
            self._receiving = exchange

    def on_status(self, reason: bytes) -> None:
        assert self._receiving is not None
        self._receiving.reason += reason

    def on_header(self, name: bytes, value: bytes) -> None:
        assert self._receiving is not None
        self._receiving.headers.append((name, value))

    def on_headers_complete(self) -> None:
        exchange = self._receiving
        assert exchange is not None
        if exchange is not self.exchange:
            return
        status = self.parser.get_status_code()
        if 100 <= status < 200:
            exchange.informational = True  # skipped: the real answer follows
            return
        exchange.status = status
        exchange.version = b"HTTP/" + self.parser.get_http_version().encode("ascii")
        exchange.headers_done = True
        for name, value in exchange.headers:
            lowered = name.lower()
            if lowered == b"content-length" or (
                    lowered == b"transfer-encoding" and b"chunked" in value.lower()):
                exchange.delimited = True
        if exchange.head_only:
            # httptools would wait for a body the server does not send: end here, and do
            # not trust the parser with this connection again.
            exchange.complete = True
            self.reusable = False

    def on_body(self, body: bytes) -> None:
        assert self._receiving is not None
        self._receiving.chunks.append(body)

    def on_message_complete(self) -> None:
        exchange = self._receiving
        assert exchange is not None
        if exchange is not self.exchange:
            return
        if exchange.informational:
            self.exchange = _Exchange(exchange.head_only)
            return
        if not exchange.complete:
            exchange.complete = True
            self.reusable = self.parser.should_keep_alive()
            self._wake_writer()

    # --- used by the transport ---

    def begin(self, head_only: bool) -> None:
        self.exchange = self._receiving = _Exchange(head_only)
        self.reusable = False

    def send(self, data: bytes) -> None:
        if self.closed or self.transport is None or self.transport.is_closing():
            raise httpx.WriteError(_detail(self.error, "the server closed the connection"))
        self.transport.write(data)

    async def drained(self, timeout: float | None) -> None:
        """Wait until the request is written, or the server answered it already."""
        if not self._writing_paused:
            return
        try:
            async with asyncio.timeout(timeout):
                while self._writing_paused and not self.closed and not self._answered():
                    self._drained = asyncio.get_running_loop().create_future()
                    await self._drained
        except TimeoutError:
            raise httpx.WriteTimeout("write timed out") from None
        if self.closed and not self._answered():
            raise httpx.WriteError(_detail(self.error, "connection lost"))

    def _answered(self) -> bool:
        # A server may refuse a request before reading its body (a 413, say) and close: that
        # answer is LeadExec's word, where a write error would leave a write "maybe saved".
        return self.exchange is not None and self.exchange.complete

    async def answer(self, timeout: float | None) -> _Exchange:
        """The whole answer; `timeout` bounds each wait for more of it."""
        loop = asyncio.get_running_loop()
        while True:
            exchange = self.exchange
            assert exchange is not None
            if exchange.complete:
                return exchange
            if self.closed:
                raise self._failure(exchange)
            self._waiter = waiter = loop.create_future()
            try:
                async with asyncio.timeout(timeout):
                    await waiter
            except TimeoutError:
                raise httpx.ReadTimeout("read timed out") from None
            finally:
                self._waiter = None

    def abort(self) -> None:
        self.closed = True
        self.reusable = False
        if self.transport is not None:
            self.transport.abort()

    def stale(self) -> bool:
        """Is this idle connection unusable: closed, or with bytes nobody asked for?"""
        if self.closed or self.transport is None or self.transport.is_closing():
            return True
        # What the event loop has not read yet: the server's close, or a stray answer.
        return socket_readable(self.transport.get_extra_info("socket"))

    # --- internals ---

    def _end(self, exc: BaseException | None) -> None:
        exchange = self.exchange
        if (exc is None and exchange is not None and exchange.headers_done
                and not exchange.complete and not exchange.delimited):
            exchange.complete = True  # a body delimited by the end of the connection
        self.closed = True
        self.reusable = False
        if exc is not None and self.error is None:
            self.error = exc
        self._wake()

    def _fail(self, error: BaseException) -> None:
        if self.error is None:
            self.error = error

    def _failure(self, exchange: _Exchange) -> httpx.TransportError:
        error = self.error
        if isinstance(error, httpx.TransportError):
            return error
        if error is not None:
            return httpx.ReadError(_detail(error, "connection lost"))
        return httpx.RemoteProtocolError(_CUT_SHORT if exchange.headers_done else _NO_RESPONSE)

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _wake_writer(self) -> None:
        drained = self._drained
        if drained is not None and not drained.done():
            drained.set_result(None)


def _detail(exc: BaseException | None, fallback: str) -> str:
    """The message of `exc`, or `fallback` when it has none (asyncio's TimeoutError)."""
    text = str(exc) if exc is not None else ""
    return text or fallback


def request_head(request: httpx.Request, body: bytes) -> tuple[bytes, bytes]:
    """The bytes of the request line and headers, and of the body as sent."""
    chunked = False
    parts = [request.method.encode("ascii"), b" ", request.url.raw_path, b" HTTP/1.1\r\n"]
    for name, value in request.headers.raw:
        for forbidden in _FORBIDDEN_IN_HEADERS:
            if forbidden in name or forbidden in value:
                raise httpx.LocalProtocolError(f"illegal character in header {name!r}")
        if name.lower() == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
        parts += (name, b": ", value, b"\r\n")
    parts.append(b"\r\n")
    if chunked:  # a body httpx could not measure: one chunk, then the last
        body = (b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)) if body else b"0\r\n\r\n"
    return b"".join(parts), body


class H1Transport(httpx.AsyncBaseTransport):
    """Keep-alive HTTP/1.1 over asyncio; see the module's docstring."""

    def __init__(self, max_connections: int, *, ssl_context: ssl.SSLContext | None = None,
                 keepalive_expiry: float = 5.0) -> None:
        self._ssl = ssl_context
        self._expiry = keepalive_expiry
        self._limit = max(1, max_connections)
        self._free: asyncio.Semaphore | None = None  # made on the loop that uses it
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._open: set[_Connection] = set()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        scheme = url.scheme
        if scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(
                f"Request URL has an unsupported protocol '{scheme}://'.", request=request)
        port = url.port or (443 if scheme == "https" else 80)
        origin = (scheme, url.raw_host.decode("ascii"), port)  # IDNA-encoded, as sent
        timeouts = request.extensions.get("timeout", {})
        try:
            body = request.content  # httpx reads bytes, form and JSON bodies as it builds
        except httpx.RequestNotRead:
            body = await request.aread()
        try:
            head, body = request_head(request, body)
        except httpx.LocalProtocolError as exc:
            exc.request = request
            raise
        if self._free is None:
            self._free = asyncio.Semaphore(self._limit)
        if self._free.locked():  # every connection is busy: wait, as long as the pool timeout
            try:
                async with asyncio.timeout(timeouts.get("pool")):
                    await self._free.acquire()
            except TimeoutError:
                raise httpx.PoolTimeout("no connection became free in time", request=request
                                        ) from None
        else:
            await self._free.acquire()  # returns at once
        try:
            return await self._exchange(request, origin, head, body, timeouts)
        except httpx.TransportError as exc:
            exc.request = request
            raise
        finally:
            self._free.release()

    async def _exchange(self, request: httpx.Request, origin: tuple[str, str, int],
                        head: bytes, body: bytes, timeouts: dict[str, float | None]
                        ) -> httpx.Response:
        connection = self._idle_connection(origin)
        if connection is None:
            connection = await self._connect(origin, timeouts.get("connect"))
        try:
            connection.begin(head_only=request.method == "HEAD")
            if len(body) < _JOIN_BELOW:
                connection.send(head + body)
            else:
                connection.send(head)
                connection.send(body)
            await connection.drained(timeouts.get("write"))
            exchange = await connection.answer(timeouts.get("read"))
        except BaseException:
            connection.abort()  # cancelled or failed mid-exchange: its state is unknown
            self._open.discard(connection)
            raise
        connection.exchange = None
        if connection.transport is not None and connection.transport.get_write_buffer_size():
            connection.reusable = False  # answered before the whole request went out
        if connection.reusable and not connection.closed:
            connection.idle_since = asyncio.get_running_loop().time()
            self._idle.setdefault(origin, []).append(connection)
        else:
            connection.abort()
            self._open.discard(connection)
        content = exchange.chunks[0] if len(exchange.chunks) == 1 else b"".join(exchange.chunks)
        return httpx.Response(exchange.status, headers=exchange.headers,
                              stream=httpx.ByteStream(content),
                              extensions={"http_version": exchange.version,
                                          "reason_phrase": exchange.reason})

    def _idle_connection(self, origin: tuple[str, str, int]) -> _Connection | None:
        idle = self._idle.get(origin)
        if not idle:
            return None
        now = asyncio.get_running_loop().time()
        while idle:
            connection = idle.pop()
            if now - connection.idle_since <= self._expiry and not connection.stale():
                return connection
            connection.abort()
            self._open.discard(connection)
        return None

    async def _connect(self, origin: tuple[str, str, int], timeout: float | None
                       ) -> _Connection:
        scheme, host, port = origin
        loop = asyncio.get_running_loop()
        tls: dict[str, Any] = {}
        if scheme == "https":
            if self._ssl is None:
                self._ssl = httpx.create_ssl_context()  # loading the CA bundle takes ~35 ms
            tls = {"ssl": self._ssl, "server_hostname": host}
        try:
            async with asyncio.timeout(timeout):
                _, connection = await loop.create_connection(
                    lambda: _Connection(origin), host, port,
                    happy_eyeballs_delay=_HAPPY_EYEBALLS_DELAY, **tls)
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(_detail(exc, "connect timed out")) from exc
        except OSError as exc:  # refused, unreachable, no such host, a refused certificate
            raise httpx.ConnectError(_detail(exc, "connect failed")) from exc
        self._open.add(connection)
        return connection

    def idle_connections(self) -> Iterable[_Connection]:
        """The connections kept for reuse, for diagnostics."""
        for idle in self._idle.values():
            yield from idle

    async def aclose(self) -> None:
        for connection in list(self._open):
            connection.abort()
        self._open.clear()
        self._idle.clear()
