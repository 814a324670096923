"""H1Transport against real local sockets: HTTP/1.1 keep-alive, failures, timeouts, TLS."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import gzip
import ipaddress
import logging
import socket
import ssl
import time
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sockettest_helpers import Handler, Server

from lexsync.api.h1 import H1Transport, request_head, socket_readable

TIMEOUT = {"connect": 1.0, "read": 0.5, "write": 1.0, "pool": 1.0}
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok"


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


def make_request(method: str, url: str, timeout: dict[str, float] | None = None,
                 **kwargs: Any) -> httpx.Request:
    return httpx.Request(method, url, extensions={"timeout": timeout or TIMEOUT}, **kwargs)


async def fetch(transport: H1Transport, url: str, method: str = "GET",
                timeout: dict[str, float] | None = None, **kwargs: Any) -> httpx.Response:
    response = await transport.handle_async_request(
        make_request(method, url, timeout, **kwargs))
    await response.aread()
    return response


@contextlib.asynccontextmanager
async def h1(max_connections: int = 1, **kwargs: Any) -> AsyncIterator[H1Transport]:
    transport = H1Transport(max_connections, **kwargs)
    try:
        yield transport
    finally:
        await transport.aclose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def reset_now(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST instead of a FIN."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    writer.transport.abort()


async def read_request(reader: asyncio.StreamReader) -> bytes:
    """One request as it came: its head, and its body if it has a Content-Length."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return head + (await reader.readexactly(length) if length else b"")


def serve(answer: bytes, delay: float = 0.0) -> Handler:
    """Answers every request on a connection with `answer` (after `delay`), until EOF."""
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await read_request(reader)
            if delay:
                await asyncio.sleep(delay)
            writer.write(answer)
            await writer.drain()
    return handler


keep_alive = serve(OK)


async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(30)


# --- failures: each reaches the retry policy as the httpx error httpx raises for it ---

async def _closes_without_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                                 ) -> None:
    await read_request(reader)
    writer.close()


async def _never_answers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    await asyncio.sleep(5)


async def _half_a_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n<half")
    await writer.drain()
    writer.close()


async def _reset_in_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n<half")
    await writer.drain()
    await asyncio.sleep(0.05)
    reset_now(writer)


async def _half_a_chunked_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                               ) -> None:
    await read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel")
    await writer.drain()
    writer.close()


def _answers(answer: bytes, *, closing_after: float) -> Handler:
    """Sends `answer` to the first request, then closes the connection after a while."""
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(answer)
        await writer.drain()
        await asyncio.sleep(closing_after)
    return handler


def _answers_then_waits(answer: bytes) -> Handler:
    return _answers(answer, closing_after=5)


def _answers_then_closes(answer: bytes) -> Handler:
    return _answers(answer, closing_after=0.02)


FAILURES: list[tuple[str, Handler | None, type[httpx.TransportError]]] = [
    ("refused", None, httpx.ConnectError),
    ("closed without answer", _closes_without_answer, httpx.RemoteProtocolError),
    ("no answer in time", _never_answers, httpx.ReadTimeout),
    ("body cut short", _half_a_body, httpx.RemoteProtocolError),
    ("chunked body cut short", _half_a_chunked_body, httpx.RemoteProtocolError),
    ("reset in the body", _reset_in_body, httpx.ReadError),
    ("malformed status line", _answers_then_waits(b"HTTP/1.1 OK fine\r\n\r\n"),
     httpx.RemoteProtocolError),
    ("not http at all", _answers_then_waits(b"SSH-2.0-OpenSSH_9.6\r\n\r\n"),
     httpx.RemoteProtocolError),
    ("malformed content length",
     _answers_then_waits(b"HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\nok"),
     httpx.RemoteProtocolError),
    ("malformed chunk",
     _answers_then_waits(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n"),
     httpx.RemoteProtocolError),
    ("content length and chunked", _answers_then_waits(
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"2\r\nok\r\n0\r\n\r\n"), httpx.RemoteProtocolError),
    ("two content lengths", _answers_then_waits(
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok"),
     httpx.RemoteProtocolError),
    ("closed after 100 continue", _answers_then_closes(b"HTTP/1.1 100 Continue\r\n\r\n"),
     httpx.RemoteProtocolError),
    # Skipped as a 1xx (as h11 does) or refused as an upgrade nobody asked for: either way
    # no answer follows before the close.
    ("unrequested 101 then close", _answers_then_closes(
        b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"),
     httpx.RemoteProtocolError),
]


@pytest.mark.parametrize(("handler", "expected"), [row[1:] for row in FAILURES],
                         ids=[row[0] for row in FAILURES])
def test_socket_failures_raise_the_httpx_error_httpx_raises(
        handler: Handler | None, expected: type[httpx.TransportError],
        caplog: pytest.LogCaptureFixture) -> None:
    async def scenario(port: int) -> tuple[httpx.Request, BaseException | None, float]:
        request = make_request("POST", f"http://127.0.0.1:{port}/service.asmx/X",
                               {**TIMEOUT, "read": 0.2}, data={"Key": "k"})
        async with h1(2) as transport:
            started = time.monotonic()
            try:
                response = await transport.handle_async_request(request)
                await response.aread()
            except httpx.TransportError as exc:
                return request, exc, time.monotonic() - started
            return request, None, time.monotonic() - started

    async def main() -> tuple[httpx.Request, BaseException | None, float]:
        if handler is None:  # nothing listens on the port
            return await scenario(free_port())
        async with Server(handler) as server:
            return await scenario(server.port)

    request, error, elapsed = run(main())
    assert type(error) is expected, repr(error)
    assert isinstance(error, httpx.TransportError) and error.request is request
    assert elapsed < 0.5
    # Handled, not escaped from a protocol callback for asyncio to log.
    assert [r.getMessage() for r in caplog.records
            if r.name == "asyncio" and r.levelno >= logging.ERROR] == []


def test_connect_timeout_when_the_server_never_accepts() -> None:
    # A listener whose backlog is full drops further SYNs: the connect hangs.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    address = listener.getsockname()
    fillers = []
    try:
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(address)
            fillers.append(filler)

        async def scenario() -> tuple[httpx.Request, BaseException]:
            request = make_request("GET", f"http://127.0.0.1:{address[1]}/",
                                   {**TIMEOUT, "connect": 0.2})
            async with h1() as transport:
                with pytest.raises(httpx.ConnectTimeout) as info:
                    await transport.handle_async_request(request)
            return request, info.value
        request, error = run(scenario())
        assert error.request is request  # type: ignore[attr-defined]
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


def test_a_failed_exchange_leaves_the_transport_usable() -> None:
    connections: list[int] = []

    async def first_times_out(reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                              ) -> None:
        connections.append(1)
        if len(connections) == 1:
            await read_request(reader)
            await asyncio.sleep(5)
        await keep_alive(reader, writer)

    async def scenario() -> tuple[bytes, int]:
        async with Server(first_times_out) as server, h1() as transport:
            url = f"http://127.0.0.1:{server.port}/"
            with pytest.raises(httpx.ReadTimeout):
                await fetch(transport, url, timeout={**TIMEOUT, "read": 0.1})
            response = await fetch(transport, url)
            return response.content, server.connections
    assert run(scenario()) == (b"ok", 2)


# --- answers ---

def test_an_answer_over_a_real_socket() -> None:
    answer = (b"HTTP/1.1 201 Created Just Now\r\nContent-Type: text/xml; charset=utf-8\r\n"
              b"X-Trace: a\r\nX-Trace: b\r\nContent-Length: 7\r\n\r\n<done/>")

    async def scenario() -> httpx.Response:
        async with Server(serve(answer)) as server, h1() as transport:
            return await fetch(transport, f"http://127.0.0.1:{server.port}/x", "POST",
                               data={"Key": "k"})
    response = run(scenario())
    assert response.status_code == 201
    assert response.reason_phrase == "Created Just Now"
    assert response.http_version == "HTTP/1.1"
    assert response.content == b"<done/>"
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.headers.get_list("x-trace") == ["a", "b"]


def test_an_answer_in_many_small_packets() -> None:
    answer = (b"HTTP/1.1 200 All Good Here\r\nContent-Type: text/xml\r\n"
              b"X-Long-Header-Name: a value that is split across packets\r\n"
              b"Content-Length: 11\r\n\r\n<response/>")

    async def fragments(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await read_request(reader)
            for start in range(0, len(answer), 7):
                writer.write(answer[start:start + 7])
                await writer.drain()
                await asyncio.sleep(0.002)

    async def scenario() -> tuple[list[tuple[str, str, str, bytes]], int]:
        async with Server(fragments) as server, h1() as transport:
            seen = []
            for _ in range(2):
                r = await fetch(transport, f"http://127.0.0.1:{server.port}/")
                seen.append((r.reason_phrase, r.headers["content-type"],
                             r.headers["x-long-header-name"], r.content))
            return seen, server.connections
    assert run(scenario()) == (
        [("All Good Here", "text/xml", "a value that is split across packets",
          b"<response/>")] * 2, 1)


def test_a_large_answer_arrives_whole() -> None:
    body = bytes(range(256)) * 8192  # 2 MiB: many reads, more than one socket buffer

    async def scenario() -> bytes:
        answer = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
        async with Server(serve(answer)) as server, h1() as transport:
            return (await fetch(transport, f"http://127.0.0.1:{server.port}/")).content
    assert run(scenario()) == body


def test_a_large_request_body_arrives_whole() -> None:
    body = bytes(range(256)) * 4096  # 1 MiB: the head and the body are written apart
    received: list[bytes] = []

    async def record(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await read_request(reader))
        writer.write(OK)
        await writer.drain()

    async def scenario() -> bytes:
        async with Server(record) as server, h1() as transport:
            response = await fetch(transport, f"http://127.0.0.1:{server.port}/up", "PUT",
                                   content=body)
            return response.content
    assert run(scenario()) == b"ok"
    head, _, sent = received[0].partition(b"\r\n\r\n")
    assert head.startswith(b"PUT /up HTTP/1.1\r\n")
    assert b"\r\nContent-Length: 1048576" in head
    assert sent == body


def test_the_read_timeout_bounds_each_wait_not_the_whole_answer() -> None:
    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")
        for byte in b"slow!":
            await asyncio.sleep(0.04)
            writer.write(bytes([byte]))
            await writer.drain()

    async def scenario() -> bytes:
        async with Server(trickle) as server, h1() as transport:
            response = await fetch(transport, f"http://127.0.0.1:{server.port}/",
                                   timeout={**TIMEOUT, "read": 0.15})
            return response.content
    assert run(scenario()) == b"slow!"


def test_chunked_answers_are_joined_and_the_connection_is_reused() -> None:
    async def chunked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await read_request(reader)
            parts = [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                     b"5\r\nhello\r\n", b"6\r\n wor", b"ld\r\n",
                     b"0\r\nX-Trailer: yes\r\n\r\n"]
            for part in parts:
                writer.write(part)
                await writer.drain()
                await asyncio.sleep(0.01)

    async def scenario() -> tuple[list[bytes], int]:
        async with Server(chunked) as server, h1() as transport:
            url = f"http://127.0.0.1:{server.port}/"
            bodies = [(await fetch(transport, url)).content for _ in range(2)]
            return bodies, server.connections
    assert run(scenario()) == ([b"hello world"] * 2, 1)


@pytest.mark.parametrize("version", [b"HTTP/1.1", b"HTTP/1.0"])
def test_a_body_delimited_by_the_close_is_whole_and_its_connection_not_reused(
        version: bytes) -> None:
    async def until_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        for part in (version + b" 200 OK\r\nContent-Type: text/plain\r\n\r\n",
                     b"part one, ", b"part two"):
            writer.write(part)
            await writer.drain()
            await asyncio.sleep(0.01)
        # returning closes the connection: the end of the body

    async def scenario() -> tuple[list[bytes], list[str], int]:
        async with Server(until_close) as server, h1() as transport:
            url = f"http://127.0.0.1:{server.port}/"
            responses = [await fetch(transport, url) for _ in range(2)]
            return ([r.content for r in responses], [r.http_version for r in responses],
                    server.connections)
    bodies, versions, connections = run(scenario())
    assert bodies == [b"part one, part two"] * 2
    assert versions == [version.decode()] * 2
    assert connections == 2


@pytest.mark.parametrize("answer", [
    b"HTTP/1.1 204 No Content\r\n\r\n",
    b"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
], ids=["204", "304"])
def test_answers_that_never_have_a_body_end_with_their_head(answer: bytes) -> None:
    async def scenario() -> tuple[list[tuple[int, bytes]], int]:
        async with Server(serve(answer)) as server, h1() as transport:
            url = f"http://127.0.0.1:{server.port}/"
            responses = [await fetch(transport, url, timeout={**TIMEOUT, "read": 0.3})
                         for _ in range(2)]
            return [(r.status_code, r.content) for r in responses], server.connections
    seen, connections = run(scenario())
    assert [content for _, content in seen] == [b"", b""]
    assert seen[0][0] in (204, 304) and seen[0][0] == seen[1][0]
    assert connections == 1


def test_a_connection_close_answer_is_not_reused() -> None:
    # The server says it will close, but does not: the client must not send on it anyway.
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"

    async def scenario() -> tuple[list[bytes], int]:
        async with Server(serve(answer)) as server, h1() as transport:
            url = f"http://127.0.0.1:{server.port}/"
            bodies = [(await fetch(transport, url)).content for _ in range(3)]
            return bodies, server.connections
    assert run(scenario()) == ([b"ok"] * 3, 3)


@pytest.mark.parametrize(("answer", "connections"), [
    (b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", 2),
    (b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok", 1),
], ids=["no keep-alive", "keep-alive"])
def test_http_1_0_answers(answer: bytes, connections: int) -> None:
    async def scenario() -> tuple[list[tuple[int, str, bytes]], int]:
        async with Server(serve(answer)) as server, h1() as transport:
            url = f"http://127.0.0.1:{server.port}/"
            seen = []
            for _ in range(2):
                response = await fetch(transport, url)
                seen.append((response.status_code, response.http_version, response.content))
            return seen, server.connections
    assert run(scenario()) == ([(200, "HTTP/1.0", b"ok")] * 2, connections)


@pytest.mark.parametrize(("informational", "pause"), [
    (b"HTTP/1.1 100 Continue\r\n\r\n", 0.0),
    (b"HTTP/1.1 100 Continue\r\n\r\n", 0.03),
    (b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n", 0.0),
    (b"HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n", 0.03),
], ids=["100 with the answer", "100 then the answer", "103 with headers", "102 and 103"])
def test_an_informational_answer_is_skipped(informational: bytes, pause: float) -> None:
    final = b"HTTP/1.1 200 Fine\r\nX-Final: yes\r\nContent-Length: 2\r\n\r\nok"

    async def early(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await read_request(reader)
            if pause:
                writer.write(informational)
                await writer.drain()
                await asyncio.sleep(pause)
                writer.write(final)
            else:
                writer.write(informational + final)
            await writer.drain()

    async def scenario() -> tuple[list[tuple[int, str, str | None, str | None, bytes]], int]:
        async with Server(early) as server, h1() as transport:
            url = f"http://127.0.0.1:{server.port}/"
            seen = []
            for _ in range(2):
                r = await fetch(transport, url)
                seen.append((r.status_code, r.reason_phrase, r.headers.get("x-final"),
                             r.headers.get("link"), r.content))
            return seen, server.connections
    assert run(scenario()) == ([(200, "Fine", "yes", None, b"ok")] * 2, 1)


def test_a_head_request_ends_with_the_head() -> None:
    async def head_aware(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            request = await read_request(reader)
            if request.startswith(b"HEAD "):
                # The length of the body a GET would get, and no body.
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
                             b"Content-Type: text/plain\r\n\r\n")
            else:
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
            await writer.drain()

    async def scenario() -> tuple[httpx.Response, list[bytes]]:
        async with Server(head_aware) as server, h1() as transport:
            url = f"http://127.0.0.1:{server.port}/"
            head = await fetch(transport, url, "HEAD", timeout={**TIMEOUT, "read": 0.3})
            after = [(await fetch(transport, url)).content for _ in range(2)]
            return head, after
    head, after = run(scenario())
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == "5"
    assert after == [b"hello", b"hello"]


def test_gzip_answers_are_decoded_when_read() -> None:
    text = b"<clients>" + b"<client id='1'/>" * 200 + b"</clients>"
    packed = gzip.compress(text)
    answer = (b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s"
              % (len(packed), packed))

    async def scenario() -> tuple[bytes, str]:
        async with Server(serve(answer)) as server, h1() as transport:
            request = make_request("GET", f"http://127.0.0.1:{server.port}/")
            response = await transport.handle_async_request(request)
            content = await response.aread()
            return content, response.headers["content-encoding"]
    content, encoding = run(scenario())
    assert len(packed) < len(text)
    assert content == text and encoding == "gzip"


# --- keep-alive ---

async def one_answer_then_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                                ) -> None:
    """Promises keep-alive, answers one request, then closes the idle connection."""
    await read_request(reader)
    writer.write(OK)
    await writer.drain()
    await asyncio.sleep(0.05)


def _sequential(handler: Handler, count: int, pause: float, **kwargs: Any
                ) -> tuple[list[bytes], int]:
    async def scenario() -> tuple[list[bytes], int]:
        async with Server(handler) as server, h1(**kwargs) as transport:
            bodies = []
            for _ in range(count):
                bodies.append((await fetch(transport, f"http://127.0.0.1:{server.port}/")
                               ).content)
                await asyncio.sleep(pause)
            return bodies, server.connections
    return run(scenario())


def test_keep_alive_reuses_one_connection() -> None:
    assert _sequential(keep_alive, 3, 0.0) == ([b"ok"] * 3, 1)


def test_an_idle_connection_the_server_closed_is_replaced() -> None:
    assert _sequential(one_answer_then_close, 3, 0.1) == ([b"ok"] * 3, 3)


@pytest.mark.parametrize(("expiry", "connections"), [(0.05, 3), (5.0, 1)])
def test_an_idle_connection_older_than_keepalive_expiry_is_not_reused(
        expiry: float, connections: int) -> None:
    assert _sequential(keep_alive, 3, 0.1, keepalive_expiry=expiry) == \
        ([b"ok"] * 3, connections)


def test_a_second_unrequested_answer_spoils_the_connection() -> None:
    stray = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstray"
    assert _sequential(serve(OK + stray), 3, 0.0) == ([b"ok"] * 3, 3)


def test_bytes_on_an_idle_connection_spoil_it() -> None:
    async def times_out_loudly(reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                               ) -> None:
        while True:
            await read_request(reader)
            writer.write(OK)
            await writer.drain()
            await asyncio.sleep(0.02)
            # What a server timing the connection out sends, without closing (yet).
            writer.write(b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()

    assert _sequential(times_out_loudly, 3, 0.1) == ([b"ok"] * 3, 3)


def _recv_head(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


@pytest.mark.parametrize("act", ["close", "stray bytes"])
def test_an_idle_connection_is_checked_before_the_event_loop_has_seen_the_server(
        act: str) -> None:
    """The server closes (or talks) and the next request starts before the loop reads it:
    only the socket knows, and the request must go to a new connection."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.settimeout(1)
    port = listener.getsockname()[1]
    accepted: list[socket.socket] = []

    async def answer_one(pending: asyncio.Future[httpx.Response]) -> httpx.Response:
        await asyncio.sleep(0.05)  # the client connects and sends
        if not pending.done():  # else it went out on the old connection: nothing to accept
            sock, _ = listener.accept()
            accepted.append(sock)
            sock.settimeout(1)
            assert _recv_head(sock).startswith(b"GET / HTTP/1.1\r\n")
            sock.sendall(OK)
        return await pending

    async def scenario() -> list[tuple[int, bytes]]:
        async with h1() as transport:
            url = f"http://127.0.0.1:{port}/"
            responses = [await answer_one(asyncio.ensure_future(fetch(transport, url)))]
            if act == "close":
                accepted[0].close()
            else:
                accepted[0].sendall(b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n")
            # No await between the server's act and the request's choice of connection.
            responses.append(await answer_one(asyncio.ensure_future(fetch(transport, url))))
            return [(r.status_code, r.content) for r in responses]

    try:
        assert run(scenario()) == [(200, b"ok"), (200, b"ok")]
        assert len(accepted) == 2
    finally:
        for sock in accepted:
            sock.close()
        listener.close()


def test_aclose_closes_idle_connections() -> None:
    async def scenario() -> tuple[int, int, bytes]:
        seen: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

        async def answer_then_listen(reader: asyncio.StreamReader,
                                     writer: asyncio.StreamWriter) -> None:
            await read_request(reader)
            writer.write(OK)
            await writer.drain()
            seen.set_result(await reader.read(100))

        async with Server(answer_then_listen) as server:
            transport = H1Transport(2)
            await fetch(transport, f"http://127.0.0.1:{server.port}/")
            idle_before = len(list(transport.idle_connections()))
            await transport.aclose()
            idle_after = len(list(transport.idle_connections()))
            return idle_before, idle_after, await asyncio.wait_for(seen, 0.5)
    assert run(scenario()) == (1, 0, b"")  # b"": the server read the end of the stream


# --- concurrency, the pool, cancellation ---

def test_more_requests_than_max_connections_wait_their_turn() -> None:
    active = 0
    most = 0

    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal active, most
        while True:
            await read_request(reader)
            active += 1
            most = max(most, active)
            await asyncio.sleep(0.05)
            active -= 1
            writer.write(OK)
            await writer.drain()

    async def scenario() -> tuple[list[bytes], int]:
        async with Server(slow) as server, h1(2) as transport:
            url = f"http://127.0.0.1:{server.port}/"
            responses = await asyncio.gather(*(fetch(transport, url) for _ in range(5)))
            return [r.content for r in responses], server.connections
    assert run(scenario()) == ([b"ok"] * 5, 2)
    assert most == 2


def test_pool_timeout_when_no_connection_frees_in_time() -> None:
    async def scenario() -> tuple[bytes, httpx.Request, BaseException, bytes]:
        async with Server(serve(OK, delay=0.15)) as server, h1(1) as transport:
            url = f"http://127.0.0.1:{server.port}/"
            holder = asyncio.ensure_future(fetch(transport, url))
            await asyncio.sleep(0.02)
            request = make_request("GET", url, {**TIMEOUT, "pool": 0.05})
            with pytest.raises(httpx.PoolTimeout) as info:
                await transport.handle_async_request(request)
            held = (await holder).content
            after = (await fetch(transport, url)).content  # the slot was given back
            return held, request, info.value, after
    held, request, error, after = run(scenario())
    assert held == b"ok" and after == b"ok"
    assert error.request is request  # type: ignore[attr-defined]


def test_a_cancelled_exchange_aborts_its_connection() -> None:
    first_saw: list[bytes] = []

    async def first_hangs(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not first_saw:
            first_saw.append(await read_request(reader))
            first_saw.append(await reader.read(100))  # b"": the client closed it
            return
        await keep_alive(reader, writer)

    async def scenario() -> tuple[bool, bytes, int, int]:
        async with Server(first_hangs) as server, h1(1) as transport:
            url = f"http://127.0.0.1:{server.port}/"
            task = asyncio.ensure_future(fetch(transport, url))
            await asyncio.sleep(0.05)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            after = await fetch(transport, url)
            await asyncio.sleep(0.02)
            return task.cancelled(), after.content, server.connections, len(first_saw)
    assert run(scenario()) == (True, b"ok", 2, 2)
    assert first_saw[0].startswith(b"GET / HTTP/1.1\r\n") and first_saw[1] == b""


# --- what goes on the wire ---

def _capture(send: Any, reads_body: Any) -> tuple[bytes, Any]:
    """What the server received for the request `send(transport, url)` makes."""
    received: list[bytes] = []

    async def record(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await reads_body(reader))
        writer.write(OK)
        await writer.drain()

    async def scenario() -> tuple[bytes, Any]:
        async with Server(record) as server, h1() as transport:
            result = await send(transport, f"http://127.0.0.1:{server.port}", server.port)
            return received[0], result
    return run(scenario())


def test_the_bytes_of_a_form_post() -> None:
    async def send(transport: H1Transport, base: str, port: int) -> tuple[int, bytes]:
        request = make_request("POST", f"{base}/service.asmx/GetClientList?page=2",
                               data={"Key": "k&v", "Name": "a b"})
        response = await transport.handle_async_request(request)
        return port, await response.aread()
    wire, (port, content) = _capture(send, read_request)
    assert content == b"ok"
    assert wire == (b"POST /service.asmx/GetClientList?page=2 HTTP/1.1\r\n"
                    b"Host: 127.0.0.1:%d\r\n"
                    b"Content-Length: 18\r\n"
                    b"Content-Type: application/x-www-form-urlencoded\r\n"
                    b"\r\n"
                    b"Key=k%%26v&Name=a+b" % port)


def test_the_bytes_of_a_form_post_through_an_httpx_client() -> None:
    async def send(transport: H1Transport, base: str, port: int) -> tuple[int, bytes]:
        async with httpx.AsyncClient(
                transport=transport, timeout=1.0,
                headers={"Accept-Encoding": "gzip", "User-Agent": "lexsync-test"}) as client:
            response = await client.post(f"{base}/service.asmx/X", data={"Key": "k"})
            return port, response.content
    wire, (port, content) = _capture(send, read_request)
    assert content == b"ok"
    assert wire == (b"POST /service.asmx/X HTTP/1.1\r\n"
                    b"Host: 127.0.0.1:%d\r\n"
                    b"Accept: */*\r\n"
                    b"Connection: keep-alive\r\n"
                    b"Accept-Encoding: gzip\r\n"
                    b"User-Agent: lexsync-test\r\n"
                    b"Content-Length: 5\r\n"
                    b"Content-Type: application/x-www-form-urlencoded\r\n"
                    b"\r\n"
                    b"Key=k" % port)


def test_a_streaming_body_of_unknown_length_is_sent_chunked() -> None:
    async def parts() -> AsyncIterator[bytes]:
        yield b"hello "
        await asyncio.sleep(0.01)
        yield b"world"

    async def send(transport: H1Transport, base: str, port: int) -> tuple[int, bytes]:
        request = make_request("POST", f"{base}/upload", content=parts())
        response = await transport.handle_async_request(request)
        return port, await response.aread()

    async def until_last_chunk(reader: asyncio.StreamReader) -> bytes:
        return await reader.readuntil(b"0\r\n\r\n")

    wire, (port, content) = _capture(send, until_last_chunk)
    assert content == b"ok"
    assert wire == (b"POST /upload HTTP/1.1\r\n"
                    b"Host: 127.0.0.1:%d\r\n"
                    b"Transfer-Encoding: chunked\r\n"
                    b"\r\n"
                    b"b\r\nhello world\r\n"
                    b"0\r\n\r\n" % port)


@pytest.mark.parametrize("headers", [
    {"X-Evil": "a\r\nInjected: 1"},
    {"X-Evil": "a\nInjected: 1"},
    {"X-Evil": "a\rb"},
    {"X-Ev\r\nil": "a"},
], ids=["CRLF in a value", "LF in a value", "CR in a value", "CRLF in a name"])
def test_a_header_with_cr_or_lf_is_refused_and_nothing_is_sent(headers: dict[str, str]
                                                                ) -> None:
    received: list[bytes] = []

    async def record(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await reader.read(65536))

    async def scenario() -> tuple[httpx.Request, BaseException, int]:
        async with Server(record) as server, h1() as transport:
            request = make_request("GET", f"http://127.0.0.1:{server.port}/",
                                   headers=headers)
            with pytest.raises(httpx.LocalProtocolError) as info:
                await transport.handle_async_request(request)
            await asyncio.sleep(0.02)
            return request, info.value, server.connections
    request, error, connections = run(scenario())
    assert connections == 0 and received == []
    assert error.request is request  # type: ignore[attr-defined]


def test_an_unsupported_scheme_is_refused() -> None:
    async def scenario() -> tuple[httpx.Request, BaseException]:
        request = make_request("GET", "ftp://127.0.0.1/file.xml")
        async with h1() as transport:
            with pytest.raises(httpx.UnsupportedProtocol, match="ftp") as info:
                await transport.handle_async_request(request)
        return request, info.value
    request, error = run(scenario())
    assert error.request is request  # type: ignore[attr-defined]


def test_write_timeout_when_the_server_never_reads_a_large_body() -> None:
    async def scenario() -> tuple[httpx.Request, BaseException, float]:
        async with Server(silent) as server, h1() as transport:
            request = make_request("POST", f"http://127.0.0.1:{server.port}/",
                                   {**TIMEOUT, "write": 0.1}, content=b"x" * 16_000_000)
            started = time.monotonic()
            with pytest.raises(httpx.WriteTimeout) as info:
                await transport.handle_async_request(request)
            return request, info.value, time.monotonic() - started
    request, error, elapsed = run(scenario())
    assert error.request is request  # type: ignore[attr-defined]
    assert elapsed < 1.0  # the write timeout, not the server giving up after 30 s


def test_a_reset_while_a_large_body_is_written_is_a_write_error() -> None:
    async def reset_after_the_head(reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                                   ) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await asyncio.sleep(0.02)
        reset_now(writer)

    async def scenario() -> tuple[httpx.Request, BaseException]:
        async with Server(reset_after_the_head) as server, h1() as transport:
            request = make_request("POST", f"http://127.0.0.1:{server.port}/",
                                   content=b"x" * 16_000_000)
            with pytest.raises(httpx.TransportError) as info:
                await transport.handle_async_request(request)
            return request, info.value
    request, error = run(scenario())
    assert type(error) is httpx.WriteError
    assert error.request is request  # type: ignore[attr-defined]


def test_an_answer_before_the_body_is_read_is_returned_and_the_connection_dropped() -> None:
    async def refuses_unread(reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                             ) -> None:
        await reader.readuntil(b"\r\n\r\n")  # the head only
        writer.write(b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 3\r\n\r\nbig")
        await writer.drain()
        await asyncio.sleep(5)  # keeps the connection, never reads the body

    async def scenario() -> tuple[int, bytes, int]:
        async with Server(refuses_unread) as server, h1() as transport:
            response = await fetch(transport, f"http://127.0.0.1:{server.port}/", "POST",
                                   content=b"x" * 16_000_000)
            return response.status_code, response.content, len(list(
                transport.idle_connections()))
    assert run(scenario()) == (413, b"big", 0)


# --- request_head and socket_readable ---

def test_request_head_keeps_the_header_order_and_frames_unmeasured_bodies() -> None:
    request = httpx.Request("PUT", "http://h.test:81/a%20b/c?x=1&y=%2F",
                            headers=[("X-B", "2"), ("X-A", "1")], content=b"body")
    assert request_head(request, b"body") == (
        b"PUT /a%20b/c?x=1&y=%2F HTTP/1.1\r\nHost: h.test:81\r\nX-B: 2\r\nX-A: 1\r\n"
        b"Content-Length: 4\r\n\r\n", b"body")
    chunked = httpx.Request("POST", "http://h.test/", headers={"Transfer-Encoding": "chunked"})
    assert request_head(chunked, b"abcdefghijklmnopq")[1] == b"11\r\nabcdefghijklmnopq\r\n0\r\n\r\n"
    assert request_head(chunked, b"")[1] == b"0\r\n\r\n"
    with pytest.raises(httpx.LocalProtocolError):
        request_head(httpx.Request("GET", "http://h.test/", headers={"X": "a\0b"}), b"")


def test_socket_readable_sees_what_the_event_loop_has_not_read() -> None:
    left, right = socket.socketpair()
    with left, right:
        assert not socket_readable(left)
        right.send(b"x")
        assert socket_readable(left)
        left.recv(1)
        assert not socket_readable(left)
        right.close()
        assert socket_readable(left)  # the end of the stream is readable
    assert socket_readable(left)  # closed here: its fileno is -1
    assert socket_readable(None)


# --- TLS ---

def _certificate(folder: Path, names: list[str]) -> tuple[Path, Path]:
    """A self-signed certificate for `names` (DNS names or IP addresses)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = datetime.datetime.now(datetime.UTC)
    alternatives: list[x509.GeneralName] = []
    for entry in names:
        try:
            alternatives.append(x509.IPAddress(ipaddress.ip_address(entry)))
        except ValueError:
            alternatives.append(x509.DNSName(entry))
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(alternatives), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1."""
    return _certificate(tmp_path_factory.mktemp("tls"), ["localhost", "127.0.0.1"])


@pytest.fixture(scope="module")
def other_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for another host only."""
    return _certificate(tmp_path_factory.mktemp("tls-other"), ["api.leadexec.net"])


def server_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


def trusting(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


async def _https_failure(handler: Handler, server_context: ssl.SSLContext | None,
                         client_context: ssl.SSLContext | None, timeout: dict[str, float]
                         ) -> tuple[httpx.Request, BaseException]:
    async with Server(handler, tls=server_context) as server, \
            h1(ssl_context=client_context) as transport:
        request = make_request("GET", f"https://localhost:{server.port}/", timeout)
        with pytest.raises(httpx.TransportError) as info:
            await transport.handle_async_request(request)
        return request, info.value


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_https_verifies_and_carries_data(certificate: tuple[Path, Path], host: str) -> None:
    received: list[bytes] = []

    async def record(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await read_request(reader))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecret")
        await writer.drain()

    async def scenario() -> tuple[int, bytes, str]:
        async with Server(record, tls=server_tls(certificate)) as server, \
                h1(ssl_context=trusting(certificate)) as transport:
            response = await fetch(transport, f"https://{host}:{server.port}/s", "POST",
                                   data={"Key": "k"})
            return response.status_code, response.content, response.http_version
    assert run(scenario()) == (200, b"secret", "HTTP/1.1")
    assert received[0].startswith(b"POST /s HTTP/1.1\r\nHost: %s:" % host.encode())
    assert received[0].endswith(b"\r\n\r\nKey=k")


def test_https_refuses_an_untrusted_certificate(certificate: tuple[Path, Path]) -> None:
    request, error = run(_https_failure(keep_alive, server_tls(certificate), None, TIMEOUT))
    assert type(error) is httpx.ConnectError
    assert "CERTIFICATE_VERIFY_FAILED" in str(error)
    assert error.request is request  # type: ignore[attr-defined]


def test_https_refuses_a_certificate_for_another_host(
        other_certificate: tuple[Path, Path]) -> None:
    request, error = run(_https_failure(keep_alive, server_tls(other_certificate),
                                        trusting(other_certificate), TIMEOUT))
    assert type(error) is httpx.ConnectError
    assert "mismatch" in str(error) or "doesn't match" in str(error)
    assert error.request is request  # type: ignore[attr-defined]


def test_https_handshake_timeout(certificate: tuple[Path, Path]) -> None:
    started = time.monotonic()
    # Plain TCP: the server never answers the client's hello.
    request, error = run(_https_failure(silent, None, trusting(certificate),
                                        {**TIMEOUT, "connect": 0.2}))
    assert type(error) is httpx.ConnectTimeout
    assert error.request is request  # type: ignore[attr-defined]
    assert time.monotonic() - started < 0.8


def test_https_idle_connection_the_server_closed_is_replaced(
        certificate: tuple[Path, Path]) -> None:
    async def scenario() -> tuple[list[bytes], int]:
        async with Server(one_answer_then_close, tls=server_tls(certificate)) as server, \
                h1(ssl_context=trusting(certificate)) as transport:
            url = f"https://localhost:{server.port}/"
            bodies = []
            for _ in range(3):
                bodies.append((await fetch(transport, url)).content)
                await asyncio.sleep(0.1)
            return bodies, server.connections
    assert run(scenario()) == ([b"ok"] * 3, 3)


def test_https_keep_alive_reuses_one_connection(certificate: tuple[Path, Path]) -> None:
    async def scenario() -> tuple[list[bytes], int]:
        async with Server(keep_alive, tls=server_tls(certificate)) as server, \
                h1(ssl_context=trusting(certificate)) as transport:
            url = f"https://localhost:{server.port}/"
            bodies = [(await fetch(transport, url)).content for _ in range(3)]
            return bodies, server.connections
    assert run(scenario()) == ([b"ok"] * 3, 1)


# --- origins ---

def test_a_host_is_reached_by_its_idna_name(monkeypatch: pytest.MonkeyPatch) -> None:
    origins: list[tuple[str, str, int]] = []

    async def connect(self: H1Transport, origin: tuple[str, str, int],
                      timeout: float | None) -> Any:
        origins.append(origin)
        raise httpx.ConnectError("not here")
    monkeypatch.setattr(H1Transport, "_connect", connect)

    async def scenario() -> None:
        async with h1() as transport:
            with pytest.raises(httpx.ConnectError):
                await fetch(transport, "https://münchen.example/x")
            with pytest.raises(httpx.ConnectError):
                await fetch(transport, "http://[::1]:8080/")
    run(scenario())
    assert origins == [("https", "xn--mnchen-3ya.example", 443), ("http", "::1", 8080)]


def test_the_default_tls_context_is_made_once(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[ssl.SSLContext] = []
    real = httpx.create_ssl_context

    def counting() -> ssl.SSLContext:
        made.append(real())
        return made[-1]
    monkeypatch.setattr(httpx, "create_ssl_context", counting)

    async def scenario() -> None:
        async with h1() as transport:
            for _ in range(2):  # nothing listens: each attempt opens (and fails) a connection
                with pytest.raises(httpx.ConnectError):
                    await fetch(transport, f"https://127.0.0.1:{free_port()}/")
    run(scenario())
    assert len(made) == 1
