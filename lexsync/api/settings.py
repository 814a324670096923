"""Connection settings for the LeadExec API, validated when built."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from lexsync.errors import LexsyncError

Dialect = Literal["rest", "soap"]


class SettingsError(LexsyncError):
    """The API settings cannot be used (bad URL, unknown dialect, impossible limits)."""


def is_loopback_host(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ApiSettings:
    base_url: str = "https://api.leadexec.net"
    dialect: Dialect = "rest"
    api_key: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    namespace: str = "http://tempuri.org/"
    timeout_seconds: float = 30
    max_attempts: int = 5
    retry_budget_seconds: float = 60
    backoff_base_seconds: float = 0.5
    backoff_max_seconds: float = 10
    parallelism: int = 16
    allow_insecure_loopback: bool = True
    # CA certificates to trust instead of the default ones (a file, or a directory as
    # OpenSSL's c_rehash lays it out); None: SSL_CERT_FILE / SSL_CERT_DIR, else certifi's.
    ca_bundle: str | None = None
    # Bounds on one answer: decoded size, and the time from sending to its last byte
    # (`timeout_seconds` bounds each wait for the next bytes). docs/reliability.md.
    max_answer_bytes: int = 32 * 1024 * 1024
    deadline_seconds: float = 120

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        host = parts.hostname or ""
        if parts.scheme not in ("https", "http") or not host:
            raise SettingsError(
                f"LeadExec base URL {self.base_url!r} is not an http(s) URL with a host")
        # Plain HTTP would send the API key and bearer token in clear text; only a local
        # sandbox may be reached that way.
        if parts.scheme == "http" and not (self.allow_insecure_loopback
                                           and is_loopback_host(host)):
            raise SettingsError(
                f"refusing plain http:// LeadExec base URL {self.base_url!r}: credentials "
                "would travel unencrypted; use https:// (plain http is allowed only for a "
                "loopback sandbox such as http://127.0.0.1)")
        if parts.query or parts.fragment:
            raise SettingsError(f"LeadExec base URL {self.base_url!r} must not carry a query")
        if self.dialect not in ("rest", "soap"):
            raise SettingsError(f"unknown API dialect {self.dialect!r}: use 'rest' or 'soap'")
        if self.max_attempts < 1 or self.parallelism < 1:
            raise SettingsError("max_attempts and parallelism must be at least 1")
        if self.timeout_seconds <= 0 or self.retry_budget_seconds < 0:
            raise SettingsError("timeout_seconds must be positive and retry_budget_seconds >= 0")
        if self.deadline_seconds <= 0 or self.max_answer_bytes < 1:
            raise SettingsError("deadline_seconds and max_answer_bytes must be positive")
        if self.backoff_base_seconds < 0 or self.backoff_max_seconds < 0:
            raise SettingsError("backoff seconds must not be negative")

    @property
    def root(self) -> str:
        """base_url without a trailing slash, to which /v1/... and /service.asmx/... are added."""
        return self.base_url.rstrip("/")

    @property
    def soap_action_prefix(self) -> str:
        return self.namespace if self.namespace.endswith("/") else self.namespace + "/"

    def secrets(self) -> list[str]:
        return [s for s in (self.api_key, self.client_secret) if s]
