"""Reading an answer with its size bounded: gzip layers undone, every bound enforced."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator

import httpx
import pytest

from lexsync.api.bounded import AnswerRefused, read_bounded


class Chunks(httpx.AsyncByteStream):
    def __init__(self, *chunks: bytes) -> None:
        self.chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk


def read(body: bytes, limit: int = 1000, chunk: int = 7, **headers: str) -> bytes:
    pieces = [body[at:at + chunk] for at in range(0, len(body), chunk)]
    response = httpx.Response(200, headers={k.replace("_", "-"): v for k, v in headers.items()},
                              stream=Chunks(*pieces))
    return asyncio.run(read_bounded(response, limit))


TEXT = b"<ArrayOfClientItem>" + b"<ClientItem/>" * 60 + b"</ArrayOfClientItem>"


@pytest.mark.parametrize("chunk", [1, 7, 100_000])
def test_plain_gzip_and_layered_gzip_answers_read_whole(chunk: int) -> None:
    assert read(TEXT, chunk=chunk) == TEXT
    assert read(gzip.compress(TEXT), chunk=chunk, content_encoding="gzip") == TEXT
    assert read(gzip.compress(gzip.compress(TEXT)), chunk=chunk,
                content_encoding="gzip, gzip") == TEXT
    assert read(gzip.compress(TEXT), chunk=chunk, content_encoding="identity, GZIP") == TEXT


def test_an_answer_of_exactly_the_limit_is_read() -> None:
    body = b"x" * 1000
    assert read(body, limit=1000) == body
    assert read(gzip.compress(body), limit=1000, content_encoding="gzip") == body


@pytest.mark.parametrize("encoding", ["", "gzip", "gzip, gzip"])
def test_one_byte_past_the_limit_is_refused(encoding: str) -> None:
    body = b"x" * 1001
    for _ in encoding.split(",") if encoding else ():
        body = gzip.compress(body)
    with pytest.raises(AnswerRefused, match="more than 1000 bytes|longer than 1000 bytes"):
        read(body, limit=1000, content_encoding=encoding or "identity")


def test_a_compressed_stream_that_never_ends_is_bounded_by_its_raw_size() -> None:
    # Deflate blocks that decode to nothing: the decoded size alone would never stop it.
    empty_blocks = b"\x00\x00\x00\xff\xff" * 1000
    with pytest.raises(AnswerRefused, match="longer than 1000 bytes"):
        read(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + empty_blocks, limit=1000,
             content_encoding="gzip")


def test_an_announced_length_past_the_limit_is_refused_before_reading() -> None:
    class Never(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            raise AssertionError("the body must not be read")
            yield b""  # pragma: no cover

    response = httpx.Response(200, headers={"Content-Length": "5000"}, stream=Never())
    with pytest.raises(AnswerRefused, match="announces 5000 bytes"):
        asyncio.run(read_bounded(response, 1000))


@pytest.mark.parametrize("encoding", ["br", "deflate", "zstd", "gzip, compress"])
def test_encodings_lexsync_did_not_ask_for_are_refused(encoding: str) -> None:
    with pytest.raises(AnswerRefused, match="did not ask for"):
        read(TEXT, content_encoding=encoding)


def test_broken_and_truncated_gzip_are_refused() -> None:
    with pytest.raises(AnswerRefused, match="not valid gzip"):
        read(b"this is not gzip at all", content_encoding="gzip")
    with pytest.raises(AnswerRefused, match="ends before its gzip stream does"):
        read(gzip.compress(TEXT)[:-12], content_encoding="gzip")


def test_the_limit_is_stated_in_mib_when_it_is_one() -> None:
    with pytest.raises(AnswerRefused, match="longer than 1 MiB"):
        read(b"x" * (1024 * 1024 + 1), limit=1024 * 1024, chunk=65536)
