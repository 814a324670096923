"""Running the engine's coroutines from synchronous code (the CLI, scripts)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run`, except that the result never becomes the main task's result.

    When `asyncio.run` finishes it calls `signal.getsignal(SIGINT)`, which builds (and drops)
    an error message holding repr() of its handler: a partial over the main task, so the repr
    of the task's *result*. For a plan of thousands of resources that repr cost seconds of
    CPU, twice per run. Handing the result over through a closure keeps the task's result None.
    """
    box: list[T] = []

    async def main() -> None:
        box.append(await coroutine)

    asyncio.run(main())
    return box[0]


def collect_less() -> None:
    """Let the cyclic garbage collector run far less often, for the rest of the process.

    A plan of a large network holds millions of small dicts and strings that live until it
    ends; every full collection walks all of them, which cost a quarter of a 1,000-client
    plan's CPU (docs/performance.md). lexsync makes few reference cycles, so the older
    generations are collected after every 5,000,000 allocations instead of every 7,000 or
    70,000: the same memory is freed, later.

    The youngest generation is collected every 20,000 allocations: a collection walks the
    objects made since the last one, and while it does the event loop stands still, so many
    short pauses (~15 ms) keep the reads flowing where a few long ones (~60 ms, every
    100,000) left every connection's answer waiting.
    """
    gc.set_threshold(20_000, 250, 100)
