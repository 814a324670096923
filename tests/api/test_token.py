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
