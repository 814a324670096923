"""One HTTP exchange with LeadExec: bounded concurrency, retries with backoff, logging.

The retry rules live in `classify`, a pure function, so they can be read and tested alone.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from lexsync.api.hooks import before_write_sent
from lexsync.api.redact import Redactor, clip
from lexsync.api.settings import ApiSettings
from lexsync.errors import ApiError

log = logging.getLogger("lexsync.api")
# The request line httpx's AsyncClient logged at INFO for every request, kept on its logger
# so that logs, and filters written for them, stay as they were.
_http_log = logging.getLogger("httpx")

# The headers httpx's AsyncClient sent with every request (Host and the body's are added
# by httpx.Request). Only the encodings httpx always decodes are offered.
DEFAULT_HEADERS: list[tuple[bytes, bytes]] = [
    (b"Accept", b"*/*"),
    (b"Accept-Encoding", b"gzip, deflate"),
    (b"Connection", b"keep-alive"),
    (b"User-Agent", f"python-httpx/{httpx.__version__}".encode("ascii")),
]

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

READ_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Raised before a single byte of the request left: safe to repeat even a create.
NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout,
                   ConnectionRefusedError)
# In-process transports (httpx.ASGITransport against the sandbox) surface a dropped
# connection as a bare ConnectionError/OSError instead of an httpx error.
EXCHANGE_ERRORS = (httpx.TransportError, OSError)


@dataclass(frozen=True)
class Verdict:
    """What to do after one failed attempt."""

    retry: bool
    # The request may have been processed (writes only): the caller must read back.
    maybe_committed: bool = False


def classify(*, write: bool, status: int | None = None, error: BaseException | None = None,
             has_retry_after: bool = False) -> Verdict:
    """The retry policy.

    Reads are idempotent: retry 429/500/502/503/504 and any transport error.
    Writes are not (a repeated create duplicates a buyer): retry only when the request
    certainly was not processed -- a connect failure, a 429, or a 503 carrying Retry-After.
    Any other 5xx, a read timeout or a connection dropped after sending may have saved the
    write, so it is reported as maybe committed and never repeated.
    """
    if error is not None:
        if isinstance(error, NOT_SENT_ERRORS):
            return Verdict(retry=True)
        if isinstance(error, httpx.UnsupportedProtocol | httpx.ProxyError):
            return Verdict(retry=False)
        if isinstance(error, EXCHANGE_ERRORS):
            return Verdict(retry=not write, maybe_committed=write)
        return Verdict(retry=False)
    if status is None or status < 400:
        return Verdict(retry=False)
    if not write:
        return Verdict(retry=status in READ_RETRY_STATUSES)
    if status == 429 or (status == 503 and has_retry_after):
        return Verdict(retry=True)
    if status >= 500:
        return Verdict(retry=False, maybe_committed=True)
    return Verdict(retry=False)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), or None."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff_delay(attempt: int, base: float, cap: float, rand: Callable[[], float]) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2**(attempt-1))]."""
    return rand() * min(cap, base * (2 ** (attempt - 1)))


# Parsing a URL is about a twentieth of a request's CPU, and lexsync calls few distinct ones.
_parse_url = functools.lru_cache(maxsize=1024)(httpx.URL)

RequestFactory = Callable[[], httpx.Request]
Check = Callable[[httpx.Response], None]


class Sender:
    """Builds requests for the dialect modules, sends them and applies the retry policy.

    Requests go straight to the transport: httpx's AsyncClient adds auth, redirect, cookie
    and hook handling lexsync does not use, at about a fifth of the CPU of a request. What
    of it lexsync needs is here: the default headers, the timeout, the body read.
    """

    def __init__(self, transport: httpx.AsyncBaseTransport, settings: ApiSettings,
                 redactor: Redactor, calls: Counter[str], *, sleep: Sleep = asyncio.sleep,
                 clock: Clock = time.monotonic, rand: Callable[[], float] = random.random
                 ) -> None:
        self.transport = transport
        self.settings = settings
        self.redact = redactor
        self.calls = calls
        self._sleep = sleep
        self._clock = clock
        self._rand = rand
        self._slots = asyncio.Semaphore(settings.parallelism)
        # The extension the transport reads its connect/read/write/pool timeouts from.
        self._timeout = httpx.Timeout(settings.timeout_seconds).as_dict()

    def build_request(self, method: str, url: str, *, data: Mapping[str, str] | None = None,
                      json: Any = None, content: bytes | None = None,
                      headers: Mapping[str, str] | None = None) -> httpx.Request:
        """A request carrying the default headers and the timeout, as the client built it."""
        if headers:
            merged = httpx.Headers(DEFAULT_HEADERS)
            merged.update(headers)
            all_headers: httpx.Headers | list[tuple[bytes, bytes]] = merged
        else:
            all_headers = DEFAULT_HEADERS
        return httpx.Request(method, _parse_url(url), headers=all_headers, data=data, json=json,
                             content=content, extensions={"timeout": dict(self._timeout)})

    async def _exchange(self, request: httpx.Request) -> httpx.Response:
        """One request and its whole body; the connection is free again when this returns."""
        response = await self.transport.handle_async_request(request)
        response.request = request
        if _http_log.isEnabledFor(logging.INFO):
            _http_log.info('HTTP Request: %s %s "%s %d %s"', request.method, request.url,
                           response.http_version, response.status_code,
                           response.reason_phrase)
        try:
            await response.aread()
        finally:
            await response.aclose()
        return response

    def answer_text(self, response: httpx.Response) -> str:
        """LeadExec's answer, redacted then shortened, for an error message."""
        try:
            text = response.text
        except (UnicodeDecodeError, LookupError):
            text = repr(response.content[:500])
        return clip(self.redact(text)) or "(empty answer)"

    async def send(self, call: str, build: RequestFactory, *, write: bool,
                   check: Check | None = None) -> httpx.Response:
        """Send until success or a final answer; return the response unless it is an error
        the policy decided on (retries exhausted, maybe committed), which raises ApiError.

        `check` sees every response first and may raise (a refused key, a SOAP fault).
        Non-retryable 4xx responses are returned for the caller to interpret.
        """
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            request = build()
            self.calls[call] += 1
            t0 = self._clock()
            retry_after: float | None = None
            try:
                async with self._slots:
                    if write:
                        before_write_sent()
                    response = await self._exchange(request)
            except EXCHANGE_ERRORS as exc:
                log.debug("%s %s -> %s after %.0f ms (%s, attempt %d)", request.method,
                          request.url.path, type(exc).__name__, (self._clock() - t0) * 1000,
                          call, attempt)
                verdict = classify(write=write, error=exc)
                detail = self.redact(str(exc)) or "no detail"
                if verdict.maybe_committed:
                    answer = (f"{type(exc).__name__} after the request was sent ({detail}); "
                              "LeadExec may have saved it")
                else:
                    answer = f"{type(exc).__name__}: {detail}"
                failure = ApiError(call, answer, None, retryable=verdict.retry,
                                   maybe_committed=verdict.maybe_committed)
            else:
                # The freed slot went to a waiting request; let it go out before the caller
                # decodes this answer (a millisecond or two of CPU), or every wait for a slot
                # would also wait for the decoding of the answer that freed it.
                await asyncio.sleep(0)
                log.debug("%s %s -> %d in %.0f ms (%s, attempt %d)", request.method,
                          request.url.path, response.status_code,
                          (self._clock() - t0) * 1000, call, attempt)
                if check is not None:
                    check(response)
                if response.is_success:
                    return response
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                verdict = classify(write=write, status=response.status_code,
                                   has_retry_after=retry_after is not None)
                if not verdict.retry and not verdict.maybe_committed:
                    return response
                answer = self.answer_text(response)
                if verdict.maybe_committed:
                    answer += " (LeadExec may have saved this write)"
                failure = ApiError(call, answer, response.status_code,
                                   retryable=verdict.retry,
                                   maybe_committed=verdict.maybe_committed)
            if not verdict.retry:
                raise failure
            if retry_after is not None:
                delay = min(retry_after, self.settings.backoff_max_seconds)
            else:
                delay = backoff_delay(attempt, self.settings.backoff_base_seconds,
                                      self.settings.backoff_max_seconds, self._rand)
            spent = self._clock() - started
            if (attempt >= self.settings.max_attempts
                    or spent + delay > self.settings.retry_budget_seconds):
                raise ApiError(call, f"{failure.answer} (gave up after {attempt} attempts)",
                               failure.status, retryable=True,
                               maybe_committed=failure.maybe_committed)
            log.debug("%s: retrying in %.2f s", call, delay)
            await self._sleep(delay)
