"""A hook the engine sets around one write call: `Sender.send` calls it just before each
attempt of a write goes out (after any wait for a bearer token, a connection slot or a
retry's backoff), so what it records ("this create may have been sent") is true when saved."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

# Per task: each step of an apply runs in its own task, so parallel writes do not mix hooks.
BEFORE_WRITE_SENT: ContextVar[Callable[[], None] | None] = ContextVar(
    "lexsync_before_write_sent", default=None)


def before_write_sent() -> None:
    hook = BEFORE_WRITE_SENT.get()
    if hook is not None:
        hook()
