"""Errors a person can act on. Only the CLI turns them into messages and exit codes."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SourceLocation:
    """Where a value came from in the configuration."""

    file: str
    line: int  # 1-based
    column: int  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Diagnostic:
    """One problem found while loading or validating; reported together with the others."""

    summary: str
    location: SourceLocation | None = None
    address: str | None = None
    detail: str | None = None

    def __str__(self) -> str:
        where = str(self.location) if self.location else (self.address or "")
        text = f"{where}: {self.summary}" if where else self.summary
        return f"{text}\n  {self.detail}" if self.detail else text


class LexsyncError(Exception):
    """Base of every user-facing error; `exit_code` is what the CLI exits with."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(LexsyncError):
    """The configuration cannot be loaded or is invalid; carries every diagnostic found."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


class StateError(LexsyncError):
    """The state file is corrupt, from a newer version, locked, or stale."""


class StateLockedError(StateError):
    """Another run holds the state lock."""


@dataclass
class ApiFailure:
    """What LeadExec answered to one call."""

    call: str
    status: int | None
    answer: str
    extra: dict = field(default_factory=dict)


class ApiError(LexsyncError):
    """A LeadExec call failed; names the call and LeadExec's answer (and the resource, once known)."""

    def __init__(self, call: str, answer: str, status: int | None = None,
                 address: str | None = None, retryable: bool = False,
                 maybe_committed: bool = False) -> None:
        self.call = call
        self.answer = answer
        self.status = status
        self.address = address
        self.retryable = retryable
        # The request may have reached LeadExec and been saved although no answer arrived.
        self.maybe_committed = maybe_committed
        super().__init__(self._text())

    def _text(self) -> str:
        where = f"{self.address}: " if self.address else ""
        status = f" (HTTP {self.status})" if self.status else ""
        return f"{where}{self.call} failed{status}: {self.answer}"

    def for_resource(self, address: str) -> ApiError:
        return ApiError(self.call, self.answer, self.status, address, self.retryable,
                        self.maybe_committed)


class AuthError(ApiError):
    """Credentials were refused."""

    exit_code = 1


class PlanStaleError(LexsyncError):
    """A saved plan no longer matches the state or the live values it was made from."""
