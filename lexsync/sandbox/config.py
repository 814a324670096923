"""SandboxConfig: every knob of the sandbox, settable at start (CLI) or in tests."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from lexsync.sandbox import profiles

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
    # Readings of what the seed texts leave open (profiles.SETTINGS; docs/sandbox.md).
    xml_names: str = "lexsync"
    answer_namespace: str = "service"
    soap_ids: str = "all"
    list_writes: str = "replace"
    field_data_writes: str = "merge"
    omitted_fields: str = "keep"
    token_encoding: str = "either"
    client_status: str = "index0"
    unknown_elements: str = "fault"
    rest_list_names: str = "example"

    @classmethod
    def for_profile(cls, name: str, **overrides: Any) -> SandboxConfig:
        """The named behaviour profile, any field overridden."""
        return cls(**{**profiles.profile_settings(name), **overrides})

    def behaviour(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self)
                if f.name in profiles.SETTINGS}

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
        profiles.check_settings(self.behaviour())

    @property
    def names(self) -> profiles.XmlNames:
        return profiles.NAMES[self.xml_names]

    @property
    def answer_ns(self) -> str:
        """The namespace of read answers: the service's, or none."""
        return self.namespace if self.answer_namespace == "service" else ""
