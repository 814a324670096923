"""Running the engine's coroutines from synchronous code (the CLI, scripts)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run`, except that the result never becomes the main task's result.

    When `asyncio.run` finishes it calls `signal.getsignal(SIGINT)`, which builds (and drops)
    an error message holding repr() of its handler: a partial over the main task, so the repr
    of the task's *result*, a walk over the whole plan and state for the CLI's commands.
    Handing the result over through a closure keeps the task's result None.
    """
    box: list[T] = []

    async def main() -> None:
        box.append(await coroutine)

    asyncio.run(main())
    return box[0]

