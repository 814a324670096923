"""Bearer tokens for the REST dialect: random strings with a monotonic expiry."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable


class TokenIssuer:
    def __init__(self, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._expiry: dict[str, float] = {}
        self._lock = threading.Lock()

    def issue(self) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._expiry[token] = self._clock() + self.ttl_seconds
        return token

    def is_valid(self, token: str) -> bool:
        with self._lock:
            expiry = self._expiry.get(token)
            if expiry is None:
                return False
            if self._clock() >= expiry:
                del self._expiry[token]
                return False
            return True

    def expire_all(self) -> None:
        with self._lock:
            self._expiry.clear()
