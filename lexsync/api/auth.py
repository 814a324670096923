"""The v1 REST bearer token: fetched once, shared, renewed before it expires."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

from lexsync.api.settings import ApiSettings
from lexsync.api.transport import Sender
from lexsync.errors import ApiError, AuthError

TOKEN_CALL = "token"
TOKEN_PATH = "/v1/authorization/token"
DEFAULT_LIFETIME = 3600.0


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

    def invalidate(self, token: str) -> None:
        """Forget `token` after LeadExec refused it (unless a newer one replaced it)."""
        if self._token == token:
            self._token = None

    async def _fetch(self) -> str:
        settings = self._settings
        if not settings.client_id or not settings.client_secret:
            raise AuthError(TOKEN_CALL, "the rest dialect needs client_id and client_secret")
        body = {"client_id": settings.client_id, "client_secret": settings.client_secret,
                "grant_type": "client_credentials"}
        url = settings.root + TOKEN_PATH
        sender = self._sender
        # Idempotent: retried like a read.
        response = await sender.send(
            TOKEN_CALL, lambda: sender.build_request("POST", url, json=body), write=False)
        try:
            answer = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            answer = None
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
