"""SandboxConfig: every knob of the sandbox, settable at start (CLI) or in tests."""

from __future__ import annotations

from dataclasses import dataclass

FAULT_KINDS: tuple[str, ...] = ("error_500", "rate_limit_429", "drop", "lost_answer")
LOST_ANSWER_MODES: tuple[str, ...] = ("random", "500", "drop")


@dataclass
class SandboxConfig:
    db_path: str = ":memory:"
    api_key: str = "sandbox-key"
    client_id: str = "sandbox"
    client_secret: str = "sandbox-secret"
    token_ttl_seconds: float = 3600
    latency_ms: float = 0
    latency_jitter_ms: float = 0
    fault_rate: float = 0.0
    fault_kinds: tuple[str, ...] = FAULT_KINDS
    seed: int | None = None
    namespace: str = "http://tempuri.org/"
    retry_after_seconds: int = 1
    lost_answer_mode: str = "random"  # how a lost answer reaches the client: 500, drop, or either

    def __post_init__(self) -> None:
        self.fault_kinds = tuple(self.fault_kinds)
        unknown = [k for k in self.fault_kinds if k not in FAULT_KINDS]
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}; known: {list(FAULT_KINDS)}")
        if not 0.0 <= self.fault_rate <= 1.0:
            raise ValueError("fault_rate must be between 0 and 1")
        if self.latency_ms < 0 or self.latency_jitter_ms < 0:
            raise ValueError("latency must not be negative")
        if self.token_ttl_seconds <= 0:
            raise ValueError("token_ttl_seconds must be positive")
        if self.lost_answer_mode not in LOST_ANSWER_MODES:
            raise ValueError(f"lost_answer_mode must be one of {list(LOST_ANSWER_MODES)}")
