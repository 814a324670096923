"""The v1 REST bearer token: fetched once, shared, renewed before it expires.

The body's encoding is open: the facts lexsync starts from say JSON, OAuth2 servers (RFC 6749
section 4.4) take form encoding. The preferred one is sent first; a 415, or a 400 that says
the request itself is malformed (not that the credentials are wrong), gets the other. The
one that worked is used for the rest of the run, and doctor reports it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import httpx

from lexsync.api.settings import ApiSettings
from lexsync.api.transport import Sender
from lexsync.errors import ApiError, AuthError

TOKEN_CALL = "token"
TOKEN_PATH = "/v1/authorization/token"
DEFAULT_LIFETIME = 3600.0
ENCODINGS = ("json", "form")
# OAuth2 errors that say the request was not understood, not that the client is unknown.
_MALFORMED = frozenset({"invalid_request", "unsupported_grant_type"})


def renewal_margin(lifetime: float) -> float:
    """Renew when less than 60 s or 10 % of the lifetime remains, whichever is more --
    but never more than half the lifetime, so a short-lived token is still reused."""
    return min(max(60.0, 0.1 * lifetime), 0.5 * lifetime)


class TokenProvider:
    def __init__(self, sender: Sender, settings: ApiSettings,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._sender = sender
        self._settings = settings
        self._clock = clock
        self._token: str | None = None
        self._renew_at = 0.0
        self.encoding = "json"  # tried first; after a fetch, the one that worked
        self.fell_back = False  # the first encoding was refused this run
        # One fetch in flight: concurrent writers wait for it instead of each asking.
        self._lock = asyncio.Lock()

    def _fresh(self) -> str | None:
        if self._token is not None and self._clock() < self._renew_at:
            return self._token
        return None

    async def get(self) -> str:
        token = self._fresh()
        if token is not None:
            return token
        async with self._lock:
            token = self._fresh()
            if token is None:
                token = await self._fetch()
            return token

    @property
    def issued(self) -> bool:
        """Whether a token was fetched in this session."""
        return self._token is not None

    def invalidate(self, token: str) -> None:
        """Forget `token` after LeadExec refused it (unless a newer one replaced it)."""
        if self._token == token:
            self._token = None

    async def _send(self, encoding: str) -> tuple[httpx.Response, Any]:
        settings = self._settings
        body = {"client_id": settings.client_id, "client_secret": settings.client_secret,
                "grant_type": "client_credentials"}
        url = settings.root + TOKEN_PATH
        sender = self._sender
        def build() -> httpx.Request:
            if encoding == "json":
                return sender.build_request("POST", url, json=body)
            return sender.build_request("POST", url, data={k: v or "" for k, v in body.items()})

        # Idempotent: retried like a read.
        response = await sender.send(TOKEN_CALL, build, write=False)
        try:
            answer = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            answer = None
        return response, answer

    async def _fetch(self) -> str:
        settings = self._settings
        if not settings.client_id or not settings.client_secret:
            raise AuthError(TOKEN_CALL, "the rest dialect needs client_id and client_secret")
        first = self.encoding if self.encoding in ENCODINGS else "json"
        response, answer = await self._send(first)
        if _encoding_refused(response, answer):
            other = "form" if first == "json" else "json"
            retry, retry_answer = await self._send(other)
            if not _encoding_refused(retry, retry_answer):
                response, answer = retry, retry_answer
                self.encoding, self.fell_back = other, True
        if response.status_code in (400, 401) and isinstance(answer, dict) and "error" in answer:
            error = str(answer["error"])
            if answer.get("error_description"):
                error += f" ({answer['error_description']})"
            raise AuthError(TOKEN_CALL, "LeadExec refused the client credentials: "
                            + self._sender.redact(error))
        if not response.is_success:
            raise ApiError(TOKEN_CALL, self._sender.answer_text(response), response.status_code)
        if not isinstance(answer, dict) or not isinstance(answer.get("access_token"), str):
            raise ApiError(TOKEN_CALL, "LeadExec answered no access_token", response.status_code)
        token = answer["access_token"]
        self._sender.redact.add(token)
        try:
            lifetime = float(answer.get("expires_in", DEFAULT_LIFETIME))
        except (TypeError, ValueError):
            lifetime = DEFAULT_LIFETIME
        self._token = token
        self._renew_at = self._clock() + lifetime - renewal_margin(lifetime)
        return token


def _encoding_refused(response: httpx.Response, answer: Any) -> bool:
    """Does a token answer say the body's encoding was not understood? A 415; or a 400 that
    is not about the credentials: an OAuth2 invalid_request / unsupported_grant_type, an
    ASP.NET model error, or no JSON at all."""
    if response.status_code == 415:
        return True
    if response.status_code != 400:
        return False
    if isinstance(answer, dict) and "error" in answer:
        return str(answer["error"]) in _MALFORMED
    return True
