"""httpcore pools as httpx transports: each failure reaches the retry policy as the httpx
exception it expects, whether raised by the pool or while reading the body."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpcore
import httpx
import pytest
from sockettest_helpers import Handler, Server

from lexsync.api.pooltransport import PoolTransport, httpx_error
from lexsync.api.spread import spread_http_transport
from lexsync.api.transport import Verdict, classify

REQUEST = httpx.Request("POST", "http://127.0.0.1/service.asmx/GetClientList")

# httpcore exception -> (httpx exception, verdict for a read, verdict for a write)
TABLE: list[tuple[type[Exception], type[httpx.TransportError], Verdict, Verdict]] = [
    (httpcore.ConnectError, httpx.ConnectError, Verdict(True), Verdict(True)),
    (httpcore.ConnectTimeout, httpx.ConnectTimeout, Verdict(True), Verdict(True)),
    (httpcore.PoolTimeout, httpx.PoolTimeout, Verdict(True), Verdict(True)),
    (httpcore.ReadTimeout, httpx.ReadTimeout, Verdict(True), Verdict(False, True)),
    (httpcore.WriteTimeout, httpx.WriteTimeout, Verdict(True), Verdict(False, True)),
    (httpcore.ReadError, httpx.ReadError, Verdict(True), Verdict(False, True)),
    (httpcore.WriteError, httpx.WriteError, Verdict(True), Verdict(False, True)),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError, Verdict(True),
     Verdict(False, True)),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError, Verdict(True), Verdict(False, True)),
    (httpcore.ProtocolError, httpx.ProtocolError, Verdict(True), Verdict(False, True)),
    (httpcore.TimeoutException, httpx.TimeoutException, Verdict(True), Verdict(False, True)),
    (httpcore.NetworkError, httpx.NetworkError, Verdict(True), Verdict(False, True)),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol, Verdict(False), Verdict(False)),
    (httpcore.ProxyError, httpx.ProxyError, Verdict(False), Verdict(False)),
]


@pytest.mark.parametrize(("core", "expected", "read", "write"), TABLE,
                         ids=[row[0].__name__ for row in TABLE])
def test_each_httpcore_error_becomes_the_httpx_error_the_policy_expects(
        core: type[Exception], expected: type[httpx.TransportError], read: Verdict,
        write: Verdict) -> None:
    mapped = httpx_error(core("what happened"), REQUEST)
    assert type(mapped) is expected
    assert str(mapped) == "what happened" and mapped.request is REQUEST
    assert classify(write=False, error=mapped) == read
    assert classify(write=True, error=mapped) == write


def test_other_errors_are_not_mapped() -> None:
    assert httpx_error(ValueError("x"), REQUEST) is None


class FailingPool:
    """Stands in for httpcore's pool: raises, or answers a body that fails midway."""

    def __init__(self, error: Exception, in_body: bool) -> None:
        self.error = error
        self.in_body = in_body
        self.seen: list[httpcore.Request] = []

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        self.seen.append(request)
        if not self.in_body:
            raise self.error

        async def body() -> AsyncIterator[bytes]:
            yield b"<partial"
            raise self.error
        return httpcore.Response(200, headers=[(b"Content-Type", b"text/xml")],
                                 content=body())

    async def aclose(self) -> None:
        pass


@pytest.mark.parametrize("in_body", [False, True], ids=["sending", "reading the body"])
@pytest.mark.parametrize(("core", "expected"), [(row[0], row[1]) for row in TABLE],
                         ids=[row[0].__name__ for row in TABLE])
def test_pool_transport_maps_errors(core: type[Exception], expected: type[Exception],
                                    in_body: bool) -> None:
    async def scenario() -> None:
        pool = FailingPool(core("boom"), in_body)
        transport = PoolTransport(pool)  # type: ignore[arg-type]
        response = await transport.handle_async_request(REQUEST)
        await response.aread()
    with pytest.raises(expected, match="boom") as info:
        asyncio.run(scenario())
    assert type(info.value) is expected


def test_pool_transport_passes_the_request_through() -> None:
    async def scenario() -> tuple[httpcore.Request, bytes, int]:
        pool = FailingPool(httpcore.ReadError("late"), in_body=True)
        request = httpx.Request("POST", "https://api.example.test:8443/service.asmx/X?a=1",
                                data={"Key": "k"}, extensions={"timeout": {"read": 3}})
        response = await PoolTransport(pool).handle_async_request(  # type: ignore[arg-type]
            request)
        await response.aclose()
        return pool.seen[0], b"".join([part async for part in pool.seen[0].stream]), \
            response.status_code
    seen, body, status = asyncio.run(scenario())
    assert seen.method == b"POST" and status == 200
    assert (seen.url.scheme, seen.url.host, seen.url.port, seen.url.target) == \
        (b"https", b"api.example.test", 8443, b"/service.asmx/X?a=1")
    assert (b"Content-Type", b"application/x-www-form-urlencoded") in seen.headers
    assert body == b"Key=k" and seen.extensions == {"timeout": {"read": 3}}


# --- the production transport against real sockets ---

TIMEOUT = {"connect": 2, "read": 0.3, "write": 2, "pool": 2}


async def _post(handler: Handler | None) -> httpx.Response:
    if handler is None:  # nothing listens on the port
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return await _post_to(sock.getsockname()[1])
    async with Server(handler) as server:
        return await _post_to(server.port)


async def _post_to(port: int) -> httpx.Response:
    transport = spread_http_transport(2)
    try:
        request = httpx.Request("POST", f"http://127.0.0.1:{port}/service.asmx/X",
                                data={"Key": "k"}, extensions={"timeout": TIMEOUT})
        response = await transport.handle_async_request(request)
        await response.aread()
        return response
    finally:
        await transport.aclose()


async def _closes_without_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                                 ) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.close()


async def _never_answers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(5)


async def _half_a_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n<half")
    await writer.drain()
    writer.close()


async def _reset_in_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n<half")
    await writer.drain()
    await asyncio.sleep(0.05)
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    writer.transport.abort()


async def _answers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    await writer.drain()


@pytest.mark.parametrize(("handler", "expected"), [
    (None, httpx.ConnectError),
    (_closes_without_answer, httpx.RemoteProtocolError),
    (_never_answers, httpx.ReadTimeout),
    (_half_a_body, httpx.RemoteProtocolError),
    (_reset_in_body, httpx.ReadError),
], ids=["refused", "closed without answer", "no answer in time", "body cut short",
        "reset in the body"])
def test_socket_failures_reach_the_policy_as_before(handler: Any, expected: type) -> None:
    with pytest.raises(httpx.TransportError) as info:
        asyncio.run(_post(handler))
    assert type(info.value) is expected


def test_an_answer_over_a_real_socket() -> None:
    response = asyncio.run(_post(_answers))
    assert response.status_code == 200 and response.content == b"ok"
    assert response.http_version == "HTTP/1.1"
