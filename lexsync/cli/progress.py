"""Progress on a terminal: a spinner while reading LeadExec, counters while applying.

Nothing is shown when stderr is not a terminal, so CI logs and pipes stay clean.
"""

from __future__ import annotations

import sys
from types import TracebackType

from rich.console import Console
from rich.status import Status


class RefreshSpinner:
    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self._status: Status | None = None

    def __enter__(self) -> RefreshSpinner:
        if self.enabled:
            self._status = Console(stderr=True).status("Reading LeadExec…")
            self._status.start()
        return self

    def update(self, text: str) -> None:
        if self._status is not None:
            self._status.update(f"Reading LeadExec: {text}…")

    def stop(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


class StepCounter:
    """Numbers apply's per-resource lines ("[3/47]") once the total is known."""

    def __init__(self) -> None:
        self.total = 0
        self.done = 0

    def prefix(self) -> str:
        self.done += 1
        return f"[{self.done}/{self.total}] " if self.total else ""
