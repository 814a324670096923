"""The Sender sends through the one AsyncClient: every response comes back read, its
connection and slot free, and the requests carry lexsync's headers and timeouts."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from lexsync import __version__
from lexsync.api.httpclient import open_client
from lexsync.api.redact import Redactor
from lexsync.api.settings import ApiSettings
from lexsync.api.transport import Sender
from lexsync.errors import ApiError

URL = "https://api.example.test/service.asmx/GetClientList"
SETTINGS = ApiSettings(base_url="https://api.example.test", api_key="k", timeout_seconds=12.5,
                       max_attempts=1, parallelism=1)


def sender(transport: httpx.AsyncBaseTransport, settings: ApiSettings = SETTINGS) -> Sender:
    return Sender(open_client(settings, transport), settings, Redactor(), Counter())


# Each as the dialect modules build them: ASMX form, REST JSON with a token, SOAP envelope.
BUILDS: list[tuple[str, dict[str, Any]]] = [
    ("asmx", {"data": {"Key": "k", "ClientUID": "7"}}),
    ("rest", {"json": {"Info": {"ClientUID": 7}}, "headers": {"Authorization": "Bearer t"}}),
    ("soap", {"content": b"<soap:Envelope/>",
              "headers": {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"x"'}}),
]


@pytest.mark.parametrize(("name", "kwargs"), BUILDS, ids=[b[0] for b in BUILDS])
def test_requests_carry_lexsyncs_headers_and_timeouts(name: str, kwargs: dict[str, Any]) -> None:
    built = sender(httpx.MockTransport(lambda r: httpx.Response(200))).build_request(
        "POST", URL, **kwargs)
    assert built.headers["User-Agent"] == f"lexsync/{__version__}"
    assert built.headers["Accept-Encoding"] == "gzip"  # what bounded.read_bounded decodes
    assert built.extensions["timeout"] == {"connect": 12.5, "read": 12.5, "write": 12.5,
                                           "pool": 12.5}
    for header, value in kwargs.get("headers", {}).items():
        assert built.headers[header] == value


class Body(httpx.AsyncByteStream):
    """A response body that may fail after its first chunk; remembers being closed."""

    def __init__(self, fail: bool) -> None:
        self.fail = fail
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b"<Array"
        if self.fail:
            raise httpx.ReadError("connection reset", request=None)  # type: ignore[arg-type]
        yield b"/>"

    async def aclose(self) -> None:
        self.closed = True


class Recording(httpx.AsyncBaseTransport):
    """Answers each request with a streamed body, failing the first `failures` of them."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.requests: list[httpx.Request] = []
        self.bodies: list[Body] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        body = Body(fail=len(self.requests) <= self.failures)
        self.bodies.append(body)
        return httpx.Response(200, headers={"Content-Type": "text/xml"}, stream=body)


def test_the_response_comes_back_read_closed_and_tied_to_its_request() -> None:
    transport = Recording()
    the_sender = sender(transport)

    async def scenario() -> httpx.Response:
        return await the_sender.send(
            "GetClientList", lambda: the_sender.build_request("POST", URL, data={"Key": "k"}),
            write=False)
    response = asyncio.run(scenario())
    assert response.content == b"<Array/>" and response.is_closed
    assert response.request is transport.requests[0]
    assert transport.bodies[0].closed
    assert transport.requests[0].extensions["timeout"]["read"] == 12.5
    assert the_sender.calls == Counter({"GetClientList": 1})


def test_a_body_that_fails_midway_frees_its_connection_and_slot() -> None:
    async def scenario() -> tuple[ApiError, bytes, list[bool]]:
        inner = Recording(failures=1)
        the_sender = sender(inner)

        def build() -> httpx.Request:
            return the_sender.build_request("POST", URL, data={"Key": "k"})
        with pytest.raises(ApiError) as info:
            await the_sender.send("GetClientList", build, write=False)
        # parallelism is 1: a slot kept by the failed exchange would hang this one.
        response = await asyncio.wait_for(
            the_sender.send("GetClientList", build, write=False), 5)
        return info.value, response.content, [b.closed for b in inner.bodies]
    error, content, closed = asyncio.run(scenario())
    assert "ReadError" in error.answer and error.retryable
    assert closed == [True, True]
    assert content == b"<Array/>"


def test_a_cancelled_exchange_frees_its_connection_and_slot() -> None:
    async def scenario() -> tuple[bool, bytes]:
        started = asyncio.Event()

        class Stalling(httpx.AsyncByteStream):
            closed = False

            async def __aiter__(self) -> AsyncIterator[bytes]:
                started.set()
                await asyncio.sleep(30)
                yield b""

            async def aclose(self) -> None:
                Stalling.closed = True

        answers = iter([httpx.Response(200, stream=Stalling()), httpx.Response(200, content=b"ok")])
        the_sender = sender(httpx.MockTransport(lambda request: next(answers)))
        task = asyncio.ensure_future(the_sender.send(
            "GetClientList", lambda: the_sender.build_request("POST", URL), write=False))
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # parallelism is 1: a slot kept by the cancelled exchange would hang this one.
        response = await asyncio.wait_for(the_sender.send(
            "GetClientList", lambda: the_sender.build_request("POST", URL), write=False), 5)
        return Stalling.closed, response.content
    assert asyncio.run(scenario()) == (True, b"ok")


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_not_followed_and_its_error_names_the_location(status: int) -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(status, headers={"Location": "https://elsewhere.test/login"})
    the_sender = sender(httpx.MockTransport(answer))

    async def scenario() -> httpx.Response:
        return await the_sender.send(
            "GetClientList", lambda: the_sender.build_request("POST", URL), write=False)
    with pytest.raises(ApiError) as info:
        asyncio.run(scenario())
    assert seen == [URL]
    assert info.value.status == status and not info.value.retryable
    assert "redirecting to https://elsewhere.test/login" in str(info.value)
    assert "does not follow redirects" in str(info.value)


def test_the_request_line_is_logged_at_info_without_the_key(
        caplog: pytest.LogCaptureFixture) -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(200, text="ok"))
    the_sender = sender(transport)

    async def scenario() -> None:
        await the_sender.send(
            "GetClientList",
            lambda: the_sender.build_request("POST", URL, data={"Key": "SECRET-KEY-1"}),
            write=False)
    with caplog.at_level(logging.DEBUG):
        asyncio.run(scenario())
    lines = [(r.name, r.levelno) for r in caplog.records
             if r.getMessage() == f'HTTP Request: POST {URL} "HTTP/1.1 200 OK"']
    assert lines == [("httpx", logging.INFO)]  # where httpx's AsyncClient logged it
    assert not any("SECRET-KEY-1" in message for message in caplog.messages)


def test_a_freed_slot_sends_its_waiting_request_before_the_answer_is_decoded() -> None:
    """With one slot, the request waiting for it goes out before the caller of the answer
    that freed it gets to decode: the wait for a slot never includes someone's decoding."""
    events: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        events.append(f"sent {request.url.params['n']}")
        return httpx.Response(200)

    one_slot = sender(httpx.MockTransport(answer))

    async def read(n: int) -> None:
        url = f"{URL}?n={n}"
        await one_slot.send("GetClientList", lambda: one_slot.build_request("GET", url),
                            write=False)
        events.append(f"decoded {n}")  # what a caller does at once with the answer

    async def both() -> None:
        await asyncio.gather(read(1), read(2))

    asyncio.run(both())
    assert events == ["sent 1", "sent 2", "decoded 1", "decoded 2"]
