"""The bearer token: reuse, renewal before expiry, re-fetch after 401, refused credentials."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from apitest_helpers import FakeTime, make_api, run, token_response

from lexsync.api.auth import renewal_margin
from lexsync.errors import AuthError

BODY = {"Info": {"ClientUID": 5, "Status": "Active"}, "FieldData": []}


class Server:
    def __init__(self, expires_in: int = 3600) -> None:
        self.issued = 0
        self.expires_in = expires_in
        self.valid: set[str] = set()
        self.seen_tokens: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/authorization/token":
            self.issued += 1
            token = f"tok-{self.issued}"
            self.valid.add(token)
            return token_response(token, self.expires_in)
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        self.seen_tokens.append(bearer)
        if bearer not in self.valid:
            return httpx.Response(401, json={"error": "invalid_token"})
        return httpx.Response(200, text="5")


def test_token_is_reused_then_renewed_before_expiry() -> None:
    server, time = Server(expires_in=3600), FakeTime()

    async def go() -> None:
        async with make_api(server, time=time) as api:
            await api.write_client(BODY)
            time.now += 3000  # 600 s left: more than max(60, 360) -> reuse
            await api.write_client(BODY)
            time.now += 250  # 350 s left: under 10 % of the lifetime -> renew
            await api.write_client(BODY)
            assert api.calls["token"] == 2
    run(go())
    assert server.seen_tokens == ["tok-1", "tok-1", "tok-2"]


def test_renewal_margin() -> None:
    assert renewal_margin(3600) == 360
    assert renewal_margin(300) == 60
    assert renewal_margin(30) == 15  # a short-lived token is still reused for a while


def test_invalid_token_answer_fetches_a_new_token_once() -> None:
    server = Server()

    async def go() -> int:
        async with make_api(server) as api:
            await api.write_client(BODY)
            server.valid.clear()  # server revoked tok-1
            result = await api.write_client(BODY)
            assert api.calls["token"] == 2 and api.calls["PATCH /v1/clients"] == 3
            return result
    assert run(go()) == 5
    assert server.seen_tokens == ["tok-1", "tok-1", "tok-2"]


def test_second_invalid_token_is_auth_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/authorization/token":
            return token_response()
        return httpx.Response(401, json={"error": "invalid_token"})

    async def go() -> int:
        async with make_api(handler) as api:
            return await api.write_client(BODY)
    with pytest.raises(AuthError) as info:
        run(go())
    assert info.value.call == "PATCH /v1/clients"


def test_wrong_credentials_are_auth_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": "invalid_client",
                                         "error_description": "unknown client"})

    async def go() -> int:
        async with make_api(handler) as api:
            return await api.write_client(BODY)
    with pytest.raises(AuthError) as info:
        run(go())
    assert info.value.call == "token"
    assert info.value.answer.startswith("LeadExec refused the client credentials: invalid_client")


def test_concurrent_writers_share_one_token_fetch() -> None:
    server = Server()

    async def go() -> None:
        async with make_api(server) as api:
            await asyncio.gather(*(api.write_client(BODY) for _ in range(10)))
            assert api.calls["token"] == 1
    run(go())
    assert server.issued == 1


class EncodingServer:
    """A token endpoint that takes only one body encoding, refusing the other the way such
    servers do: JSON-only 415 (ASP.NET), form-only 400 unsupported_grant_type (OAuth2)."""

    def __init__(self, takes: str) -> None:
        self.takes = takes
        self.bodies: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path != "/v1/authorization/token":
            return httpx.Response(200, text="5")
        form = request.headers["content-type"].startswith("application/x-www-form-urlencoded")
        self.bodies.append("form" if form else "json")
        if form and self.takes == "json":
            return httpx.Response(415, json={"Message": "media type not supported"})
        if not form and self.takes == "form":
            return httpx.Response(400, json={"error": "unsupported_grant_type"})
        return token_response(f"tok-{len(self.bodies)}", 60)


@pytest.mark.parametrize(("takes", "preferred", "bodies"), [
    ("form", "json", ["json", "form", "form"]),   # JSON first, form on its refusal, form after
    ("json", "json", ["json", "json"]),
    ("json", "form", ["form", "json", "json"]),   # the measured preference first
])
def test_the_token_request_falls_back_to_the_other_encoding_and_keeps_it(
        takes: str, preferred: str, bodies: list[str]) -> None:
    server, time = EncodingServer(takes), FakeTime()

    async def go() -> None:
        async with make_api(server, time=time) as api:
            api.tokens.encoding = preferred
            await api.write_client(BODY)
            assert api.tokens.encoding == takes and api.tokens.fell_back == (takes != preferred)
            time.now += 3600  # expired: a new one, in the encoding that worked
            await api.write_client(BODY)
    run(go())
    assert server.bodies == bodies


def test_refused_credentials_are_not_retried_in_the_other_encoding() -> None:
    bodies: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(request.headers["content-type"])
        return httpx.Response(401, json={"error": "invalid_client"})

    async def go() -> None:
        async with make_api(handler) as api:
            await api.write_client(BODY)
    with pytest.raises(AuthError, match="invalid_client"):
        run(go())
    assert len(bodies) == 1
