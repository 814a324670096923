"""The sandbox bounds what it accepts as lexsync bounds what it reads: a request body over
32 MiB is answered 413, whether its Content-Length announces it or it is chunked."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from lexsync.sandbox.app import MAX_REQUEST_BYTES, SandboxConfig
from lexsync.sandbox.server import running_sandbox

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with running_sandbox(SandboxConfig()) as base:
        yield base


def chunks(total: int) -> Iterator[bytes]:
    piece = b"x" * MiB
    for _ in range(total // MiB):
        yield piece


def test_the_bound_is_the_clients() -> None:
    from lexsync.api import ApiSettings

    assert MAX_REQUEST_BYTES == ApiSettings().max_answer_bytes == 32 * MiB


@pytest.mark.parametrize("path", ["/service.asmx", "/service.asmx/GetClientList",
                                  "/v1/authorization/token"])
def test_an_announced_body_over_the_bound_is_refused_unread(url: str, path: str) -> None:
    with httpx.Client(base_url=url, timeout=30) as http:
        response = http.post(path, content=chunks(33 * MiB),
                             headers={"Content-Length": str(33 * MiB)})
    assert response.status_code == 413 and "too large" in response.text


# Requests that make the sandbox read the whole body: a SOAP write, a token request.
READ_WHOLE = {
    "/service.asmx": {"Content-Type": "text/xml; charset=utf-8",
                      "SOAPAction": '"http://tempuri.org/AddEditClientGroup"'},
    "/v1/authorization/token": {"Content-Type": "application/json"},
}


@pytest.mark.parametrize("path", sorted(READ_WHOLE))
def test_a_chunked_body_over_the_bound_is_refused(url: str, path: str) -> None:
    with httpx.Client(base_url=url, timeout=30) as http:
        response = http.post(path, content=chunks(40 * MiB), headers=READ_WHOLE[path])
        assert response.status_code == 413 and "too large" in response.text
        # The sandbox still answers the next request.
        assert http.get("/_sandbox/health").status_code == 200


def test_a_form_read_is_bounded_by_the_form_parser_first(url: str) -> None:
    # Starlette's form parser refuses a field over 1 MiB before the 32 MiB bound is reached.
    with httpx.Client(base_url=url, timeout=30) as http:
        response = http.post("/service.asmx/GetClientList", content=chunks(40 * MiB),
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400


def test_a_body_within_the_bound_is_read(url: str) -> None:
    body = b'{"grant_type": "client_credentials", "pad": "' + b"x" * (8 * MiB) + b'"}'
    with httpx.Client(base_url=url, timeout=30) as http:
        response = http.post("/v1/authorization/token", content=body,
                             headers={"Content-Type": "application/json"})
    assert response.status_code not in (413, 500)  # read and answered (credentials refused)
