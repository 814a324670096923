"""Reading one answer's body with its size bounded, compressed or not.

httpx undoes a Content-Encoding in one call per received chunk, with no limit on what a
chunk may expand to: a 2 KB double-gzip body becomes 1 GiB in memory before any check could
run. So the raw bytes are read here and inflated with zlib's `max_length`, and no layer may
produce more than the limit. lexsync asks for gzip only (`ACCEPT_ENCODING`); an answer in
another encoding is refused rather than guessed at.
"""

from __future__ import annotations

import zlib

import httpx

ACCEPT_ENCODING = "gzip"
_GZIP = 16 + zlib.MAX_WBITS  # zlib's wbits for a gzip header and trailer


class AnswerRefused(Exception):
    """The answer broke a bound or cannot be decoded; the message says which."""


def _size(limit: int) -> str:
    return f"{limit / (1024 * 1024):g} MiB" if limit >= 1024 * 1024 else f"{limit} bytes"


class _Inflater:
    """The Content-Encoding layers of one answer, undone in order, each bounded by `limit`."""

    def __init__(self, encodings: list[str], limit: int) -> None:
        self.limit = limit
        # Listed in the order they were applied: undone last first.
        self.layers = [zlib.decompressobj(_GZIP) for _ in encodings]
        self.produced = [0] * len(encodings)

    def feed(self, data: bytes) -> bytes:
        for at, layer in enumerate(reversed(self.layers)):
            # One byte past the room left: getting it means the limit is exceeded.
            data = layer.decompress(data, self.limit - self.produced[at] + 1)
            self.produced[at] += len(data)
            if self.produced[at] > self.limit:
                raise AnswerRefused(f"the answer decodes to more than {_size(self.limit)}")
        return data

    def finish(self) -> bytes:
        tail = b""
        for at, layer in enumerate(reversed(self.layers)):
            if tail:
                tail = layer.decompress(tail, self.limit - self.produced[at] + 1)
            tail += layer.flush()
            self.produced[at] += len(tail)
            if self.produced[at] > self.limit:
                raise AnswerRefused(f"the answer decodes to more than {_size(self.limit)}")
            if not layer.eof:
                raise AnswerRefused("the gzip-encoded answer ends before its gzip stream does")
        return tail


def content_encodings(headers: httpx.Headers) -> list[str]:
    """The encodings applied to the body, in order; identity dropped, unknown ones refused."""
    encodings = [value.strip().lower()
                 for header in headers.get_list("content-encoding")
                 for value in header.split(",")]
    encodings = [value for value in encodings if value and value != "identity"]
    unknown = [value for value in encodings if value != "gzip"]
    if unknown:
        raise AnswerRefused(f"the answer is encoded as {', '.join(unknown)!s}, which lexsync "
                            f"did not ask for (it accepts {ACCEPT_ENCODING})")
    return encodings


async def read_bounded(response: httpx.Response, limit: int) -> bytes:
    """The decoded body of a streamed `response`; AnswerRefused past `limit` bytes, raw or
    decoded. The caller closes the response."""
    if response.is_stream_consumed:
        # Built whole in memory (httpx.MockTransport): httpx has decoded it already.
        if len(response.content) > limit:
            raise AnswerRefused(f"the answer is longer than {_size(limit)}")
        return response.content
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise AnswerRefused(f"the answer announces {declared} bytes, more than the "
                            f"{_size(limit)} lexsync reads")
    encodings = content_encodings(response.headers)
    inflater = _Inflater(encodings, limit) if encodings else None
    chunks: list[bytes] = []
    received = 0
    try:
        async for chunk in response.aiter_raw():
            received += len(chunk)
            if received > limit:
                raise AnswerRefused(f"the answer is longer than {_size(limit)}")
            chunks.append(inflater.feed(chunk) if inflater else chunk)
        if inflater:
            chunks.append(inflater.finish())
    except zlib.error as exc:
        raise AnswerRefused(f"the answer is not valid gzip ({exc})") from None
    return b"".join(chunks)
