"""A hostile server on a real socket: every answer ends in a clear ApiError naming the call,
within a time and memory bound (docs/reliability.md, "Bounded answers").

The bounds are lexsync's defaults (32 MiB decoded per answer) except the deadline, which is
shortened so that the trickle ends quickly; memory is Python's peak allocation during the
call (tracemalloc), the answer's bytes included.
"""

from __future__ import annotations

import asyncio
import gzip
import struct
import time
import tracemalloc
import zlib
from collections.abc import Awaitable, Callable

import pytest

from lexsync.api import ApiSettings, LeadExecApi
from lexsync.errors import ApiError
from tests.api.sockettest_helpers import Server, read_request

MiB = 1024 * 1024
CAP = ApiSettings().max_answer_bytes
# An answer's bytes, whole or in pieces, and one copy while they are joined.
MEMORY_BOUND = 2 * CAP + 16 * MiB

Reply = Callable[[asyncio.StreamWriter], Awaitable[None]]


def serving(reply: Reply) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter],
                                      Awaitable[None]]:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await reply(writer)
    return handler


def run_read(reply: Reply, **settings: float) -> tuple[ApiError, float, int]:
    """GetClientList against a server answering with `reply`: the error, the seconds it took
    and the peak of Python's memory meanwhile."""
    async def scenario() -> tuple[ApiError, float]:
        async with Server(serving(reply)) as server:
            api_settings = ApiSettings(base_url=f"http://127.0.0.1:{server.port}",
                                       api_key="k", max_attempts=1, **settings)  # type: ignore[arg-type]
            started = time.monotonic()
            with pytest.raises(ApiError) as info:
                async with LeadExecApi(api_settings) as api:
                    await api.get_client_list()
            return info.value, time.monotonic() - started

    tracemalloc.start()
    try:
        error, seconds = asyncio.run(scenario())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return error, seconds, peak


def test_an_endless_chunked_body_stops_at_the_size_bound() -> None:
    sent = [0]

    async def endless(writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        payload = (b"<a>" * 30000)[:64 * 1024]
        chunk = b"%x\r\n%s\r\n" % (len(payload), payload)
        while True:
            writer.write(chunk)
            await writer.drain()
            sent[0] += 64 * 1024

    error, seconds, peak = run_read(endless, deadline_seconds=60)
    assert error.call == "GetClientList"
    assert "longer than 32 MiB" in str(error), str(error)
    assert "internal error" not in str(error)
    assert seconds < 60 and peak < MEMORY_BOUND, (seconds, peak)
    assert sent[0] >= CAP  # it did stop the body, not the server


@pytest.fixture(scope="module")
def double_gzip_bomb() -> bytes:
    """1 GiB of zeros, gzipped twice: about 2.5 KB on the wire.

    The inner gzip stream repeats one deflated MiB of zeros 1,024 times (a full flush ends
    each copy, so none refers to the one before), which is quicker than deflating 1 GiB.
    """
    zeros = bytes(MiB)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    one_mib = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    last_block = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS).flush()
    crc = 0
    for _ in range(1024):
        crc = zlib.crc32(zeros, crc)
    inner = (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + one_mib * 1024 + last_block
             + struct.pack("<II", crc, (1024 * MiB) & 0xFFFFFFFF))
    return gzip.compress(inner, 9)


def test_a_decompression_bomb_stops_at_the_size_bound(double_gzip_bomb: bytes) -> None:
    async def bomb(writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n"
                     b"Content-Encoding: gzip, gzip\r\n"
                     b"Content-Length: %d\r\n\r\n%s" % (len(double_gzip_bomb), double_gzip_bomb))
        await writer.drain()

    assert len(double_gzip_bomb) < 4096
    error, seconds, peak = run_read(bomb, deadline_seconds=60)
    assert error.call == "GetClientList"
    assert "decodes to more than 32 MiB" in str(error), str(error)
    assert seconds < 60 and peak < MEMORY_BOUND, (seconds, peak)


def test_a_trickle_ends_at_the_deadline() -> None:
    async def trickle(writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 100\r\n\r\n")
        while True:  # one byte every 5 seconds: each read waits far less than its timeout
            writer.write(b"<")
            await writer.drain()
            await asyncio.sleep(5)

    error, seconds, peak = run_read(trickle, deadline_seconds=2, timeout_seconds=30)
    assert error.call == "GetClientList"
    assert "no complete answer within 2 s" in str(error), str(error)
    assert 2 <= seconds < 2 + 3 and peak < MEMORY_BOUND, (seconds, peak)


def test_a_trickled_head_ends_at_the_deadline_too() -> None:
    async def trickle(writer: asyncio.StreamWriter) -> None:
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 1000:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(1)

    error, seconds, _ = run_read(trickle, deadline_seconds=2, timeout_seconds=30)
    assert error.call == "GetClientList" and "no complete answer within 2 s" in str(error)
    assert 2 <= seconds < 2 + 3, seconds
