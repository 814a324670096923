"""`LeadExecApi.prefetch`: the client list and the lead types travel while state loads,
and the next reads of each take those answers as their own."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import httpx
import pytest
from apitest_helpers import CLIENT_LIST_XML, LEAD_TYPES_XML, make_api, run, xml_response

from lexsync.api.behaviour import WireBehaviour
from lexsync.errors import AuthError

ANSWERS = {"GetClientList": CLIENT_LIST_XML, "GetLeadTypes": LEAD_TYPES_XML}


class Counting:
    """Answers the two reads and counts the requests of each."""

    def __init__(self, refuse: str | None = None) -> None:
        self.sent: list[str] = []
        self.refuse = refuse

    def __call__(self, request: httpx.Request) -> httpx.Response:
        method = request.url.path.rsplit("/", 1)[-1]
        self.sent.append(method)
        if method == self.refuse:
            return httpx.Response(500, text="Invalid API key")
        return xml_response(ANSWERS[method])


def test_the_next_reads_take_the_prefetched_answers_and_later_ones_read_again() -> None:
    async def go() -> tuple[Any, ...]:
        async with make_api(Counting()) as plain:
            expected = await plain.get_client_list(), await plain.get_lead_types()
        handler = Counting()
        async with make_api(handler) as api:
            api.prefetch()
            api.prefetch()  # started once, whoever asks
            await asyncio.sleep(0.01)
            assert sorted(handler.sent) == ["GetClientList", "GetLeadTypes"]  # before any asking
            taken = await api.get_client_list(), await api.get_lead_types()
            assert sorted(handler.sent) == ["GetClientList", "GetLeadTypes"]
            again = await api.get_client_list()
        return expected, taken, again, handler.sent, api.calls

    expected, taken, again, sent, calls = run(go())
    assert taken == expected and again == expected[0]
    assert sorted(sent) == ["GetClientList", "GetClientList", "GetLeadTypes"]
    assert calls["GetClientList"] == 2 and calls["GetLeadTypes"] == 1


def test_a_prefetched_answer_is_decoded_with_the_behaviour_state_gives_later() -> None:
    # Status 6 is "Active" counted from 0, "Inactive" counted from 1: the answer travels
    # before state is loaded, and is decoded once it is.
    async def go(numbering: str | None) -> Any:
        async with make_api(Counting()) as api:
            api.prefetch()
            await asyncio.sleep(0.01)
            if numbering:
                api.use_behaviour(WireBehaviour.from_state(
                    {"client_status": {"value": numbering, "source": "doctor", "at": "x"}}))
            return (await api.get_client_list())[0]["Status"]

    assert run(go(None)) == "Active"
    assert run(go("index1")) == "Inactive"


def test_a_prefetch_that_failed_fails_the_read_that_takes_it_once() -> None:
    handler = Counting(refuse="GetClientList")

    async def go() -> None:
        async with make_api(handler) as api:
            api.prefetch()
            with pytest.raises(AuthError, match="refused the API key"):
                await api.get_client_list()
            assert handler.sent.count("GetClientList") == 1  # the failure was the read's own
            assert await api.get_lead_types()

    run(go())


@pytest.mark.parametrize("refuse", [None, "GetClientList"])
def test_answers_not_taken_are_dropped_on_close(refuse: str | None) -> None:
    unretrieved: list[dict[str, Any]] = []
    started: list[asyncio.Task[Any]] = []

    async def go() -> None:
        asyncio.get_running_loop().set_exception_handler(
            lambda loop, context: unretrieved.append(context))
        async with make_api(Counting(refuse)) as api:
            api.prefetch()
            started.extend(api._prefetched.values())
            if refuse:
                await asyncio.sleep(0.01)  # the failure is in before the close
        assert started and all(task.done() for task in started)
        assert not api._prefetched

    run(go())
    started.clear()
    gc.collect()  # a failure never retrieved is reported when its task goes
    assert unretrieved == []
