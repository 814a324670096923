"""aio.run hands back the coroutine's result without asyncio formatting it."""

from __future__ import annotations

import asyncio
import signal

from lexsync.engine import aio


class CountsRepr:
    def __init__(self) -> None:
        self.reprs = 0

    def __repr__(self) -> str:
        self.reprs += 1
        return "CountsRepr()"


async def produce(value: CountsRepr) -> CountsRepr:
    await asyncio.sleep(0)
    return value


def test_result_is_returned_and_never_repr_formatted() -> None:
    value = CountsRepr()
    assert aio.run(produce(value)) is value
    assert value.reprs == 0


def test_plain_asyncio_run_does_format_the_result() -> None:
    # The reason aio.run exists: if this stops holding, aio.run may go. asyncio.run handles
    # Ctrl-C only where SIGINT has Python's own handler: not where whoever started the tests
    # ignores it, as a shell does for a job it starts in the background.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        value = CountsRepr()
        asyncio.run(produce(value))
    finally:
        signal.signal(signal.SIGINT, previous)
    assert value.reprs > 0


def test_exceptions_propagate() -> None:
    async def fail() -> None:
        raise LookupError("gone")

    try:
        aio.run(fail())
    except LookupError as exc:
        assert str(exc) == "gone"
    else:
        raise AssertionError("the exception was swallowed")

