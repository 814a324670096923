"""Latency and fault injection for the API endpoints (never the admin ones).

Selection uses one seeded random.Random so a given seed and request order always
produce the same faults; `force` queues exact faults for the next N requests.
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections import deque
from typing import Any

from lexsync.sandbox.config import FAULT_KINDS, LOST_ANSWER_MODES, SandboxConfig


class DroppedConnection(ConnectionError):
    """Raised in-process (no socket to close) so an ASGI transport surfaces the drop."""


class FaultController:
    def __init__(self, config: SandboxConfig) -> None:
        self._lock = threading.Lock()
        self.latency_ms = float(config.latency_ms)
        self.latency_jitter_ms = float(config.latency_jitter_ms)
        self.fault_rate = float(config.fault_rate)
        self.fault_kinds: tuple[str, ...] = tuple(config.fault_kinds)
        self.retry_after_seconds = int(config.retry_after_seconds)
        self.lost_answer_mode = config.lost_answer_mode
        self.seed = config.seed
        self._rng = random.Random(config.seed)
        self._forced: deque[str] = deque()
        # Crash testing: hold the answer to the Nth write from now ("after" it is committed,
        # or "before" it is processed) so a test can kill the client while it waits.
        self.hold_write: int | None = None
        self.hold_mode = "after"
        self.hold_seconds = 60.0
        self._writes_seen = 0
        self.holds_started = 0  # a test waits for this to rise, then kills the client
        self.injected: dict[str, int] = {}  # faults served per kind, for test reports

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {
                "latency_ms": self.latency_ms,
                "latency_jitter_ms": self.latency_jitter_ms,
                "fault_rate": self.fault_rate,
                "fault_kinds": list(self.fault_kinds),
                "seed": self.seed,
                "retry_after_seconds": self.retry_after_seconds,
                "lost_answer_mode": self.lost_answer_mode,
                "forced": list(self._forced),
                "hold_write": self.hold_write,
                "hold_mode": self.hold_mode,
                "holds_started": self.holds_started,
                "injected": dict(self.injected),
            }

    def configure(self, payload: dict[str, Any]) -> None:
        """Apply an admin update; ValueError (nothing applied) on any bad key or value."""
        allowed = {
            "latency_ms", "latency_jitter_ms", "fault_rate", "fault_kinds", "seed",
            "retry_after_seconds", "lost_answer_mode", "next", "clear_forced",
            "hold_write", "hold_mode", "hold_seconds",
        }  # fmt: skip
        unknown = set(payload) - allowed
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)}; allowed: {sorted(allowed)}")
        updates: dict[str, Any] = {}
        for key in ("latency_ms", "latency_jitter_ms"):
            if key in payload:
                value = payload[key]
                if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                    raise ValueError(f"{key} must be a non-negative number")
                updates[key] = float(value)
        if "fault_rate" in payload:
            rate = payload["fault_rate"]
            if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
                raise ValueError("fault_rate must be a number between 0 and 1")
            updates["fault_rate"] = float(rate)
        if "fault_kinds" in payload:
            kinds = payload["fault_kinds"]
            if not isinstance(kinds, list) or not kinds or any(k not in FAULT_KINDS for k in kinds):
                raise ValueError(f"fault_kinds must be a non-empty list of {list(FAULT_KINDS)}")
            updates["fault_kinds"] = tuple(kinds)
        if "retry_after_seconds" in payload:
            retry = payload["retry_after_seconds"]
            if isinstance(retry, bool) or not isinstance(retry, int) or retry < 0:
                raise ValueError("retry_after_seconds must be a non-negative integer")
            updates["retry_after_seconds"] = retry
        if "lost_answer_mode" in payload:
            if payload["lost_answer_mode"] not in LOST_ANSWER_MODES:
                raise ValueError(f"lost_answer_mode must be one of {list(LOST_ANSWER_MODES)}")
            updates["lost_answer_mode"] = payload["lost_answer_mode"]
        if "seed" in payload and not (
            payload["seed"] is None
            or (isinstance(payload["seed"], int) and not isinstance(payload["seed"], bool))
        ):
            raise ValueError("seed must be an integer or null")
        if "hold_write" in payload:
            hold = payload["hold_write"]
            if hold is not None and (isinstance(hold, bool) or not isinstance(hold, int) or hold < 1):
                raise ValueError("hold_write must be a positive integer or null")
            updates["hold_write"] = hold
        if "hold_mode" in payload:
            if payload["hold_mode"] not in ("after", "before"):
                raise ValueError("hold_mode must be 'after' or 'before'")
            updates["hold_mode"] = payload["hold_mode"]
        if "hold_seconds" in payload:
            seconds = payload["hold_seconds"]
            if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
                raise ValueError("hold_seconds must be a non-negative number")
            updates["hold_seconds"] = float(seconds)
        forced = self._parse_next(payload.get("next"))
        with self._lock:
            for key, value in updates.items():
                setattr(self, key, value)
            if "hold_write" in updates:
                self._writes_seen = 0
                self.holds_started = 0
            if "seed" in payload:
                self.seed = payload["seed"]
                self._rng = random.Random(self.seed)
            if payload.get("clear_forced"):
                self._forced.clear()
            self._forced.extend(forced)

    @staticmethod
    def _parse_next(spec: Any) -> list[str]:
        # "next": {"kind": K, "count": N} or a list of those, queued in order.
        if spec is None:
            return []
        items = spec if isinstance(spec, list) else [spec]
        out: list[str] = []
        for item in items:
            if not isinstance(item, dict) or item.get("kind") not in FAULT_KINDS:
                raise ValueError(f'next must be {{"kind": one of {list(FAULT_KINDS)}, "count": N}}')
            count = item.get("count", 1)
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise ValueError("next.count must be a positive integer")
            out.extend([item["kind"]] * count)
        return out

    def delay_seconds(self) -> float:
        with self._lock:
            jitter = self._rng.uniform(0, self.latency_jitter_ms) if self.latency_jitter_ms else 0.0
            return (self.latency_ms + jitter) / 1000.0

    def next_fault(self) -> str | None:
        with self._lock:
            fault = None
            if self._forced:
                fault = self._forced.popleft()
            elif self.fault_rate and self.fault_kinds and self._rng.random() < self.fault_rate:
                fault = self._rng.choice(self.fault_kinds)
            if fault is not None:
                self.injected[fault] = self.injected.get(fault, 0) + 1
            return fault

    def lost_answer_as(self) -> str:
        """How the client learns nothing of a committed write: '500' or 'drop'."""
        with self._lock:
            if self.lost_answer_mode == "random":
                return self._rng.choice(("500", "drop"))
            return self.lost_answer_mode

    def take_hold(self) -> str | None:
        """Count one write; the hold mode if it is the one to hold, else None."""
        with self._lock:
            if self.hold_write is None:
                return None
            self._writes_seen += 1
            if self._writes_seen != self.hold_write:
                return None
            return self.hold_mode

    def hold_started(self) -> None:
        with self._lock:
            self.holds_started += 1

    def clear_forced(self) -> None:
        with self._lock:
            self._forced.clear()


async def drop_connection(send: Any) -> None:
    """Close the socket without answering; in-process, raise DroppedConnection instead.

    Under uvicorn `send` is a bound method of the connection's request cycle, which holds
    the transport: closing it makes the client see a disconnect before any response
    (httpx: RemoteProtocolError "Server disconnected without sending a response").
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None or not hasattr(transport, "close"):
        raise DroppedConnection("the sandbox dropped the connection (injected fault)")
    transport.close()
    # Let connection_lost run so uvicorn knows not to write its own 500 afterwards.
    for _ in range(5):
        await asyncio.sleep(0)
