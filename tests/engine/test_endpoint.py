"""State knows its LeadExec: the URL and a fingerprint of the account, never a secret."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from lexsync.engine import endpoint as endpoints
from lexsync.engine.endpoint import Endpoint, EndpointMismatch
from lexsync.errors import ApiError, AuthError
from lexsync.state.document import StateDocument

KEY, CLIENT_ID = "live-api-key-8f2c", "client-id-51"


def recorded(url: str = "https://api.leadexec.net/", key: str | None = KEY,
             client_id: str | None = CLIENT_ID) -> StateDocument:
    state = StateDocument.new()
    assert endpoints.record(state, Endpoint(url, key, client_id))
    return state


def test_the_record_holds_the_url_and_salted_slow_hashes_never_the_credentials() -> None:
    state = recorded()
    text = state.to_json()
    assert KEY not in text and CLIENT_ID not in text
    assert state.endpoint is not None and state.endpoint["url"] == "https://api.leadexec.net"
    assert state.endpoint["api_key"].startswith("scrypt:") and state.endpoint["client_id"] != \
        state.endpoint["api_key"]
    # Salted per state: the same key in another state does not look the same.
    assert recorded().endpoint["api_key"] != state.endpoint["api_key"]  # type: ignore[index]
    again = StateDocument.from_json(text, "state.json")
    assert again.endpoint == state.endpoint and not endpoints.record(again, Endpoint(
        "HTTPS://API.leadexec.net:443", KEY, CLIENT_ID))


def test_the_same_leadexec_passes_and_a_state_without_a_record_takes_one() -> None:
    state = recorded()
    endpoints.check(state, Endpoint("https://api.leadexec.net", KEY, CLIENT_ID))
    endpoints.check(state, Endpoint("https://api.leadexec.net", KEY, None))  # soap: no client id
    fresh = StateDocument.new()
    endpoints.check(fresh, Endpoint("http://127.0.0.1:9", "k", None))
    assert endpoints.record(fresh, Endpoint("http://127.0.0.1:9", "k", None))
    assert set(fresh.endpoint or {}) == {"url", "api_key"}
    assert endpoints.record(fresh, Endpoint("http://127.0.0.1:9", "k", "cid"))  # rest adds its id
    assert set(fresh.endpoint or {}) == {"url", "api_key", "client_id"}


@pytest.mark.parametrize(("endpoint", "why"), [
    (Endpoint("http://127.0.0.1:8765", KEY, CLIENT_ID), "another LeadExec"),
    (Endpoint("https://api.leadexec.net", "another-key", CLIENT_ID), "api key differ"),
    (Endpoint("https://api.leadexec.net", KEY, "another-id"), "client id differ"),
])
def test_another_leadexec_is_refused_naming_both_and_what_to_do(endpoint: Endpoint, why: str) -> None:
    state = recorded()
    with pytest.raises(EndpointMismatch) as refused:
        asyncio.run(endpoints.check_in_thread(state, endpoint))
    message = refused.value.message
    assert "https://api.leadexec.net (account " + state.endpoint["api_key"][7:19] in message  # type: ignore[index]
    assert endpoints.normal_url(endpoint.url) in message and why in message
    assert "--state" in message and "workspace" in message and "forget-endpoint" in message
    for secret in (KEY, CLIENT_ID, "another-key", "another-id"):
        assert secret not in message


def test_state_show_prints_the_endpoint() -> None:
    state = recorded()
    shown = endpoints.summary(state)
    assert shown["endpoint"] == state.endpoint and shown["lineage"] == state.lineage
    json.dumps(shown)


ELSEWHERE = Endpoint("http://127.0.0.1:8765", KEY, CLIENT_ID)
HERE = Endpoint("https://api.leadexec.net", KEY, CLIENT_ID)


def beside(endpoint: Endpoint, work: Any) -> Any:
    return asyncio.run(endpoints.checked_beside(recorded(), endpoint, work()))


def test_reads_beside_the_check_answer_when_it_passes_and_fail_as_they_failed() -> None:
    async def reads() -> str:
        return "read"

    async def refused() -> None:
        raise ApiError("GetClientList", "LeadExec refused the API key", 500)

    assert beside(HERE, reads) == "read"
    with pytest.raises(ApiError, match="refused the API key"):
        beside(HERE, refused)


def test_a_state_of_another_leadexec_is_told_even_when_the_reads_failed_first() -> None:
    # Reads of the wrong LeadExec fail for that reason, faster than the check's slow hashes.
    async def refused() -> None:
        raise ApiError("GetClientList", "no live client matches 'x'", 200)

    with pytest.raises(EndpointMismatch):
        beside(ELSEWHERE, refused)


def test_credentials_leadexec_refused_are_told_rather_than_the_state() -> None:
    async def refused() -> None:
        raise AuthError("GetClientList", "LeadExec refused the API key: Invalid API key", 500)

    with pytest.raises(AuthError, match="Invalid API key"):
        beside(Endpoint("https://api.leadexec.net", "mistyped-key", CLIENT_ID), refused)


def test_the_check_refusing_first_stops_the_reads() -> None:
    stopped: list[bool] = []

    async def slow_reads() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            stopped.append(True)
            raise

    with pytest.raises(EndpointMismatch):
        beside(ELSEWHERE, slow_reads)
    assert stopped == [True]
