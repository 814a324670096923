"""One HTTP exchange with LeadExec: bounded concurrency and answers, retries with backoff.

The retry rules live in `classify`, a pure function, so they can be read and tested alone.
"""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from lexsync.api.bounded import AnswerRefused, read_bounded
from lexsync.api.hooks import before_write_sent
from lexsync.api.httpclient import TRANSPORT_ERRORS, describe, request_not_sent
from lexsync.api.redact import Redactor, clip
from lexsync.api.settings import ApiSettings
from lexsync.errors import ApiError

log = logging.getLogger("lexsync.api")

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

READ_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# What an exchange may fail with. In-process transports (httpx.ASGITransport against the
# sandbox) surface a dropped connection as a bare ConnectionError/OSError.
EXCHANGE_ERRORS = TRANSPORT_ERRORS
# Framing of the body as received; the answer handed on is the decoded body.
_FRAMING = frozenset({b"content-encoding", b"content-length", b"transfer-encoding"})


def certificate_error(error: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate verification failure behind a transport error, if that is what it is
    (the innermost one: a wrapper may subclass it without OpenSSL's reason)."""
    found: ssl.SSLCertVerificationError | None = None
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, ssl.SSLCertVerificationError):
            found = cause
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return found


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
    write, so it is reported as maybe committed and never repeated. A certificate that fails
    verification fails the same way the next time: never retried.
    """
    if error is not None:
        if certificate_error(error) is not None:
            return Verdict(retry=False)
        if request_not_sent(error):
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


Check = Callable[[httpx.Response], None]
RequestFactory = Callable[[], httpx.Request]


class Sender:
    """Builds requests for the dialect modules, sends them through the one AsyncClient and
    applies the retry policy.

    At most `parallelism` exchanges run at once (the client's pool is sized to match, so it
    never queues): an exchange's deadline starts when it gets its turn, not while it waits.
    """

    def __init__(self, client: httpx.AsyncClient, settings: ApiSettings, redactor: Redactor,
                 calls: Counter[str], *, sleep: Sleep = asyncio.sleep,
                 clock: Clock = time.monotonic, rand: Callable[[], float] = random.random
                 ) -> None:
        self.client = client
        self.settings = settings
        self.redact = redactor
        self.calls = calls
        self._sleep = sleep
        self._clock = clock
        self._rand = rand
        self._slots = asyncio.Semaphore(settings.parallelism)

    def build_request(self, method: str, url: str, *, data: Mapping[str, str] | None = None,
                      json: Any = None, content: bytes | None = None,
                      headers: Mapping[str, str] | None = None) -> httpx.Request:
        return self.client.build_request(method, url, data=data, json=json, content=content,
                                         headers=headers)

    async def _exchange(self, request: httpx.Request) -> httpx.Response:
        """One request and its whole body, within the deadline and the size bound; the
        connection is free again when this returns or raises."""
        deadline = asyncio.timeout(self.settings.deadline_seconds)
        try:
            async with deadline:
                response = await self.client.send(request, stream=True)
                try:
                    body = await read_bounded(response, self.settings.max_answer_bytes)
                finally:
                    await response.aclose()
        except TimeoutError:
            if not deadline.expired():
                raise
            raise httpx.ReadTimeout(
                f"no complete answer within {self.settings.deadline_seconds:g} s",
                request=request) from None
        headers = [(k, v) for k, v in response.headers.raw if k.lower() not in _FRAMING]
        extensions = {k: v for k, v in response.extensions.items()
                      if k in ("http_version", "reason_phrase")}
        return httpx.Response(response.status_code, headers=headers, content=body,
                              request=request, extensions=extensions)

    def answer_text(self, response: httpx.Response) -> str:
        """LeadExec's answer, redacted then shortened, for an error message."""
        try:
            text = response.text
        except (UnicodeDecodeError, LookupError):
            text = repr(response.content[:500])
        return clip(self.redact(text)) or "(empty answer)"

    def _redirect_error(self, call: str, response: httpx.Response) -> ApiError:
        location = response.headers.get("Location")
        where = f"to {self.redact(location)}" if location else "without a Location"
        return ApiError(call, f"LeadExec answered {response.status_code} "
                        f"{response.reason_phrase}, redirecting {where}; lexsync does not "
                        "follow redirects: check api_url (https://, host and path)",
                        response.status_code)

    def _exchange_failure(self, call: str, exc: BaseException, verdict: Verdict) -> ApiError:
        name, detail = describe(exc)
        detail = self.redact(detail) or "no detail"
        bad_certificate = certificate_error(exc)
        if bad_certificate is not None:
            reason = getattr(bad_certificate, "verify_message", None) or detail
            answer = (f"the TLS certificate was refused: {reason}"
                      " (to trust a private CA, set ca_bundle in the lexsync: settings, or "
                      "SSL_CERT_FILE)")
        elif verdict.maybe_committed:
            answer = f"{name} after the request was sent ({detail}); LeadExec may have saved it"
        else:
            answer = f"{name}: {detail}"
        return ApiError(call, answer, None, retryable=verdict.retry,
                        maybe_committed=verdict.maybe_committed)

    async def send(self, call: str, build: RequestFactory, *, write: bool,
                   check: Check | None = None) -> httpx.Response:
        """Send until success or a final answer; return the response unless it is an error
        the policy decided on (retries exhausted, maybe committed), which raises ApiError.

        `check` sees every response first and may raise (a refused key, a SOAP fault).
        Non-retryable 4xx responses are returned for the caller to interpret; a redirect,
        an answer past its bounds or one that cannot be decoded raises.
        """
        started: float | None = None  # the retry budget runs from the first send
        attempt = 0
        while True:
            attempt += 1
            request = build()
            self.calls[call] += 1
            retry_after: float | None = None
            try:
                async with self._slots:
                    # Not from the wait for a connection: in a large plan thousands of reads
                    # queue, and one that waited longer than the budget was never retried.
                    t0 = self._clock()
                    if started is None:
                        started = t0
                    if write:
                        before_write_sent()
                    response = await self._exchange(request)
            except AnswerRefused as exc:
                # A server that sent this will send it again; a write it answered was read.
                raise ApiError(call, str(exc), None, maybe_committed=write) from None
            except EXCHANGE_ERRORS as exc:
                log.debug("%s %s -> %s after %.0f ms (%s, attempt %d)", request.method,
                          request.url.path, type(exc).__name__, (self._clock() - t0) * 1000,
                          call, attempt)
                verdict = classify(write=write, error=exc)
                failure = self._exchange_failure(call, exc, verdict)
            else:
                # The freed slot went to a waiting request; let it go out before the caller
                # decodes this answer, or every wait for a slot would also wait for the
                # decoding of the answer that freed it.
                await asyncio.sleep(0)
                log.debug("%s %s -> %d in %.0f ms (%s, attempt %d)", request.method,
                          request.url.path, response.status_code,
                          (self._clock() - t0) * 1000, call, attempt)
                if response.is_redirect or 300 <= response.status_code < 400:
                    raise self._redirect_error(call, response)
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
            spent = self._clock() - (started if started is not None else self._clock())
            if (attempt >= self.settings.max_attempts
                    or spent + delay > self.settings.retry_budget_seconds):
                raise ApiError(call, f"{failure.answer} (gave up after {attempt} attempts)",
                               failure.status, retryable=True,
                               maybe_committed=failure.maybe_committed)
            log.debug("%s: retrying in %.2f s", call, delay)
            await self._sleep(delay)
