"""The retry policy, and how the client applies it to reads and (non-idempotent) writes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest
from apitest_helpers import (
    CLIENT_GROUPS_XML,
    FakeTime,
    make_api,
    run,
    soap_result,
    token_response,
    xml_response,
)

from lexsync.api.transport import Verdict, backoff_delay, classify, parse_retry_after
from lexsync.errors import ApiError

# --- the policy function ---

REQ = httpx.Request("POST", "https://x.test/")


@pytest.mark.parametrize(("status", "read", "write"), [
    (429, Verdict(True), Verdict(True)),
    (500, Verdict(True), Verdict(False, maybe_committed=True)),
    (502, Verdict(True), Verdict(False, maybe_committed=True)),
    (503, Verdict(True), Verdict(False, maybe_committed=True)),
    (504, Verdict(True), Verdict(False, maybe_committed=True)),
    (400, Verdict(False), Verdict(False)),
    (401, Verdict(False), Verdict(False)),
    (404, Verdict(False), Verdict(False)),
])
def test_policy_statuses(status: int, read: Verdict, write: Verdict) -> None:
    assert classify(write=False, status=status) == read
    assert classify(write=True, status=status) == write


def test_policy_503_with_retry_after_means_not_processed() -> None:
    assert classify(write=True, status=503, has_retry_after=True) == Verdict(True)


@pytest.mark.parametrize(("error", "read", "write"), [
    (httpx.ConnectError("refused", request=REQ), Verdict(True), Verdict(True)),
    (httpx.ConnectTimeout("slow", request=REQ), Verdict(True), Verdict(True)),
    (httpx.PoolTimeout("busy", request=REQ), Verdict(True), Verdict(True)),
    (httpx.ReadTimeout("slow", request=REQ), Verdict(True), Verdict(False, True)),
    (httpx.ReadError("reset", request=REQ), Verdict(True), Verdict(False, True)),
    (httpx.RemoteProtocolError("dropped", request=REQ), Verdict(True), Verdict(False, True)),
    (httpx.WriteError("broken pipe", request=REQ), Verdict(True), Verdict(False, True)),
    (ConnectionResetError("dropped"), Verdict(True), Verdict(False, True)),
    (ConnectionRefusedError("refused"), Verdict(True), Verdict(True)),
])
def test_policy_errors(error: Exception, read: Verdict, write: Verdict) -> None:
    assert classify(write=False, error=error) == read
    assert classify(write=True, error=error) == write


def test_retry_after_parsing() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7", now) == 7
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now) == 30
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now) == 0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_backoff_is_exponential_capped_full_jitter() -> None:
    assert [backoff_delay(a, 0.5, 10, lambda: 1.0) for a in (1, 2, 3, 4, 5, 6)] == \
        [0.5, 1.0, 2.0, 4.0, 8.0, 10]
    assert backoff_delay(3, 0.5, 10, lambda: 0.25) == 0.5


# --- applied ---

def _groups(handler, time: FakeTime, calls: dict | None = None, **kw) -> object:  # noqa: ANN001, ANN003
    async def go() -> object:
        async with make_api(handler, time=time, **kw) as api:
            try:
                return await api.get_client_groups()
            finally:
                if calls is not None:
                    calls.update(api.calls)
    return run(go())


def test_read_retries_429_honouring_retry_after() -> None:
    answers = [httpx.Response(429, headers={"Retry-After": "3"}),
               httpx.Response(429, headers={"Retry-After": "120"}),  # capped by backoff_max
               httpx.Response(503),  # no header: backoff (rand=1.0 -> 0.5 * 2**2)
               xml_response(CLIENT_GROUPS_XML)]
    time, calls = FakeTime(), {}
    result = _groups(lambda request: answers.pop(0), time, calls)
    assert result[0]["ClientGroupUID"] == 12  # type: ignore[index]
    assert time.sleeps == [3.0, 10.0, 2.0]
    assert calls == {"GetClientGroups": 4}


def test_read_retries_connection_errors() -> None:
    attempts: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        if len(attempts) < 3:
            raise httpx.ReadTimeout("slow", request=request)
        return xml_response(CLIENT_GROUPS_XML)
    assert len(_groups(handler, FakeTime())) == 1  # type: ignore[arg-type]
    assert len(attempts) == 3


def test_read_retries_exhausted_names_the_call() -> None:
    time = FakeTime()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="Bad gateway from upstream")
    with pytest.raises(ApiError) as info:
        _groups(handler, time, max_attempts=3)
    err = info.value
    assert err.call == "GetClientGroups" and err.status == 502
    assert "Bad gateway from upstream" in err.answer and "3 attempts" in err.answer
    assert str(err).startswith("GetClientGroups failed (HTTP 502)")
    assert len(time.sleeps) == 2


def test_retry_budget_stops_early() -> None:
    time = FakeTime()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "8"})
    with pytest.raises(ApiError):
        _groups(handler, time, retry_budget_seconds=20, max_attempts=10)
    assert time.sleeps == [8.0, 8.0]  # a third wait would pass the 20 s budget


def test_long_answer_is_truncated() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, text="x" * 5000)
    with pytest.raises(ApiError) as info:
        _groups(handler, FakeTime(), max_attempts=1)
    assert len(info.value.answer) < 600


# --- writes are not idempotent ---

BODY = {"Info": {"ClientUID": 0, "Status": "New"}, "FieldData": []}


def _write(handler, dialect: str = "rest", time: FakeTime | None = None):  # noqa: ANN001, ANN202
    counts: dict[str, int] = {}

    async def go() -> int:
        async with make_api(handler, dialect=dialect, time=time) as api:
            try:
                return await api.write_client(BODY)
            finally:
                counts.update(api.calls)
    return go, counts


def rest(write_answer):  # noqa: ANN001, ANN201
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/authorization/token":
            return token_response()
        return write_answer(request)
    return handler


@pytest.mark.parametrize("failure", [
    lambda r: httpx.Response(500, json={"Message": "An error has occurred."}),
    lambda r: httpx.Response(504, text="Gateway Timeout"),
    lambda r: httpx.Response(503, text="Service Unavailable"),
    lambda r: (_ for _ in ()).throw(httpx.ReadTimeout("timed out", request=r)),
    lambda r: (_ for _ in ()).throw(httpx.RemoteProtocolError("Server disconnected", request=r)),
    lambda r: (_ for _ in ()).throw(httpx.ReadError("connection reset", request=r)),
    lambda r: (_ for _ in ()).throw(ConnectionError("in-process transport dropped it")),
])
def test_write_not_retried_and_flagged_maybe_committed(failure) -> None:  # noqa: ANN001
    go, counts = _write(rest(failure))
    with pytest.raises(ApiError) as info:
        run(go())
    assert info.value.maybe_committed is True
    assert info.value.call == "PATCH /v1/clients"
    assert counts["PATCH /v1/clients"] == 1


def test_soap_write_500_without_fault_is_maybe_committed() -> None:
    go, counts = _write(lambda r: httpx.Response(500, text="Internal Server Error"), "soap")
    with pytest.raises(ApiError) as info:
        run(go())
    assert info.value.maybe_committed and counts["AddEditClient"] == 1


def test_write_retried_after_connect_error() -> None:
    attempts: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        if len(attempts) == 1:
            raise httpx.ConnectError("connection refused", request=request)
        if len(attempts) == 2:
            raise httpx.ConnectTimeout("connect timed out", request=request)
        return httpx.Response(200, text="99")
    go, counts = _write(rest(answer))
    assert run(go()) == 99
    assert counts["PATCH /v1/clients"] == 3


@pytest.mark.parametrize("dialect", ["rest", "soap"])
def test_write_retried_on_429_and_503_with_retry_after(dialect: str) -> None:
    answers = [httpx.Response(429, headers={"Retry-After": "2"}),
               httpx.Response(503, headers={"Retry-After": "1"})]

    def answer(request: httpx.Request) -> httpx.Response:
        if answers:
            return answers.pop(0)
        return httpx.Response(200, text="7") if dialect == "rest" else \
            soap_result("AddEditClient", 7)
    time = FakeTime()
    go, _ = _write(rest(answer), dialect, time)
    assert run(go()) == 7
    assert time.sleeps == [2.0, 1.0]


def test_write_connect_errors_exhausted_are_not_maybe_committed() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)
    go, counts = _write(rest(answer))
    with pytest.raises(ApiError) as info:
        run(go())
    assert not info.value.maybe_committed and counts["PATCH /v1/clients"] == 5


def test_the_retry_budget_does_not_count_the_wait_for_a_connection() -> None:
    # One connection: the second read waits while the first takes 100 s, then fails once.
    time = FakeTime()
    answered: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        answered.append(request.url.path)
        if len(answered) == 1:
            await asyncio.sleep(0)  # the second read starts, and waits for the connection
            time.now += 100
        if len(answered) == 2:
            return httpx.Response(503)
        return xml_response(CLIENT_GROUPS_XML)

    async def go() -> list[object]:
        async with make_api(handler, time=time, parallelism=1, retry_budget_seconds=20) as api:
            return await asyncio.gather(api.get_client_groups(), api.get_client_groups())
    first, second = run(go())
    assert first == second and len(answered) == 3
