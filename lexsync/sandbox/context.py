"""Everything one sandbox instance holds, hung on `app.state.sandbox`."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime

from lexsync.sandbox.auth import TokenIssuer
from lexsync.sandbox.config import SandboxConfig
from lexsync.sandbox.faults import FaultController
from lexsync.sandbox.store import Store


class RequestCounter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def add(self, name: str) -> None:
        with self._lock:
            self._counts[name] += 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


class SandboxContext:
    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.store = Store(config.db_path)
        self.tokens = TokenIssuer(config.token_ttl_seconds)
        self.faults = FaultController(config)
        self.requests = RequestCounter()
        self.fixed_now: datetime | None = None  # set through /_sandbox/clock

    def now(self) -> datetime:
        """The moment GetClientsforCriteriaAdvanced scans at."""
        return self.fixed_now or datetime.now(UTC)
