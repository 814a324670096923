"""The transport over real sockets: TLS trust (ca_bundle, SSL_CERT_FILE), certificate errors
failing at once, what goes on the wire, gzip answers."""

from __future__ import annotations

import asyncio
import gzip
import socket
from pathlib import Path
from typing import Any

import pytest
from sockettest_helpers import Server, read_request, self_signed_certificate, server_tls

from lexsync import __version__
from lexsync.api import ApiSettings, LeadExecApi, SettingsError
from lexsync.errors import ApiError

CLIENTS = (b'<?xml version="1.0" encoding="utf-8"?><ArrayOfClientItemType xmlns="http://tempuri.org/">'
           b"<ClientItemType><ClientUID>7</ClientUID><Username>acme</Username></ClientItemType>"
           b"</ArrayOfClientItemType>")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed_certificate(tmp_path_factory.mktemp("tls"), ["localhost", "127.0.0.1"])


def answering(body: bytes, heads: list[bytes], *headers: bytes, tls: Any = None) -> Any:
    """Answers every request with `body`, over TLS if given a context (the handshake inside
    the handler, so that the server counts connections whose handshake fails)."""
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if tls is not None:
            await writer.start_tls(tls)
        while True:
            heads.append(await read_request(reader))
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\n"
                         + b"".join(h + b"\r\n" for h in headers)
                         + b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
            await writer.drain()
    return handler


def client_list(url: str, **settings: Any) -> list[dict[str, Any]]:
    async def go() -> list[dict[str, Any]]:
        async with LeadExecApi(ApiSettings(base_url=url, api_key="k", **settings)) as api:
            return await api.get_client_list()
    return asyncio.run(go())


def serve(handler: Any, *, then: Any) -> Any:
    async def scenario() -> Any:
        async with Server(handler) as server:
            return await asyncio.to_thread(then, server)
    return asyncio.run(scenario())


def test_an_untrusted_certificate_fails_at_once_and_says_what_to_do(
        certificate: tuple[Path, Path]) -> None:
    heads: list[bytes] = []

    def attempt(server: Server) -> tuple[ApiError, int]:
        with pytest.raises(ApiError) as info:
            client_list(f"https://127.0.0.1:{server.port}")  # max_attempts 5, as by default
        return info.value, server.connections

    error, connections = serve(answering(CLIENTS, heads, tls=server_tls(certificate)),
                               then=attempt)
    assert connections == 1 and heads == []  # one handshake, no retry, nothing sent
    assert not error.retryable and not error.maybe_committed
    assert "TLS certificate was refused" in error.answer
    assert "self-signed certificate" in error.answer
    assert "ca_bundle" in error.answer and "SSL_CERT_FILE" in error.answer


def test_ca_bundle_trusts_a_private_ca(certificate: tuple[Path, Path]) -> None:
    heads: list[bytes] = []
    items = serve(answering(CLIENTS, heads, tls=server_tls(certificate)),
                  then=lambda server: client_list(f"https://localhost:{server.port}",
                                                  ca_bundle=str(certificate[0])))
    assert items == [{"ClientUID": 7, "Username": "acme"}]


def test_ssl_cert_file_trusts_a_private_ca(certificate: tuple[Path, Path],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    heads: list[bytes] = []
    items = serve(answering(CLIENTS, heads, tls=server_tls(certificate)),
                  then=lambda server: client_list(f"https://127.0.0.1:{server.port}"))
    assert items == [{"ClientUID": 7, "Username": "acme"}]


@pytest.mark.parametrize("where", ["ca_bundle", "SSL_CERT_FILE", "SSL_CERT_DIR"])
def test_a_missing_ca_file_is_a_clear_settings_error(
        where: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    missing = str(tmp_path / "nonexistent.pem")
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    settings: dict[str, Any] = {}
    if where == "ca_bundle":
        settings["ca_bundle"] = missing
    else:
        monkeypatch.setenv(where, missing)
    with pytest.raises(SettingsError) as info:
        client_list("https://api.leadexec.net", **settings)
    message = str(info.value)
    assert missing in message and "cannot load the CA certificates" in message
    assert ("the ca_bundle setting" if where == "ca_bundle" else where) in message


def test_a_ca_file_that_holds_no_certificate_is_a_clear_settings_error(tmp_path: Path) -> None:
    bad = tmp_path / "bundle.pem"
    bad.write_text("not a certificate\n")
    with pytest.raises(SettingsError, match="cannot load the CA certificates named by the "
                                            "ca_bundle setting"):
        client_list("https://api.leadexec.net", ca_bundle=str(bad))


def test_the_wire_carries_lexsyncs_user_agent_and_accepts_gzip_only() -> None:
    heads: list[bytes] = []
    items = serve(answering(CLIENTS, heads),
                  then=lambda server: client_list(f"http://127.0.0.1:{server.port}"))
    assert items == [{"ClientUID": 7, "Username": "acme"}]
    head = heads[0].lower()
    assert b"\r\nuser-agent: lexsync/%s\r\n" % __version__.encode() in head
    assert b"\r\naccept-encoding: gzip\r\n" in head
    assert b"key=k" in head  # the key in the form body, never the URL


def test_a_gzip_answer_is_decoded() -> None:
    heads: list[bytes] = []
    items = serve(answering(gzip.compress(CLIENTS), heads, b"Content-Encoding: gzip"),
                  then=lambda server: client_list(f"http://127.0.0.1:{server.port}"))
    assert items == [{"ClientUID": 7, "Username": "acme"}]


def test_parallel_reads_share_parallelism_connections() -> None:
    heads: list[bytes] = []

    async def scenario() -> tuple[int, int]:
        async with Server(answering(CLIENTS, heads)) as server:
            settings = ApiSettings(base_url=f"http://127.0.0.1:{server.port}", api_key="k",
                                   parallelism=3)
            async with LeadExecApi(settings) as api:
                await asyncio.gather(*(api.get_client_list() for _ in range(30)))
            return server.connections, len(heads)
    connections, requests = asyncio.run(scenario())
    assert requests == 30 and connections <= 3


# --- what a failed exchange means for the retry policy, as the transport reports it -------

def closing_after(answer: bytes, heads: list[bytes]) -> Any:
    """Reads each request, writes `answer` (maybe nothing) and hangs up."""
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        heads.append(await read_request(reader))
        writer.write(answer)
        await writer.drain()
    return handler


async def no_wait(seconds: float) -> None:
    return None


def soap_write(url: str, **settings: Any) -> int:
    async def go() -> int:
        api_settings = ApiSettings(base_url=url, api_key="k", dialect="soap", **settings)
        async with LeadExecApi(api_settings, sleep=no_wait) as api:
            return await api.write_group({"ClientGroupUID": 0, "Description": "g",
                                          "DisplayOrder": 1})
    return asyncio.run(go())


def test_a_write_whose_connection_drops_after_sending_is_maybe_committed_not_repeated() -> None:
    heads: list[bytes] = []

    def attempt(server: Server) -> ApiError:
        with pytest.raises(ApiError) as info:
            soap_write(f"http://127.0.0.1:{server.port}")
        return info.value
    error = serve(closing_after(b"", heads), then=attempt)
    assert len(heads) == 1  # a repeat could duplicate the group
    assert error.maybe_committed and not error.retryable
    assert "after the request was sent" in error.answer
    assert "Timeout" not in error.answer  # the server hung up; nothing timed out


def test_a_read_whose_connection_drops_is_retried() -> None:
    heads: list[bytes] = []

    def attempt(server: Server) -> ApiError:
        with pytest.raises(ApiError) as info:
            client_list(f"http://127.0.0.1:{server.port}", max_attempts=3)
        return info.value
    error = serve(closing_after(b"", heads), then=attempt)
    assert len(heads) == 3 and "gave up after 3 attempts" in error.answer


def unused_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_write_that_cannot_connect_is_retried() -> None:
    with pytest.raises(ApiError) as info:
        soap_write(f"http://127.0.0.1:{unused_port()}", max_attempts=3)
    assert "gave up after 3 attempts" in info.value.answer
    assert not info.value.maybe_committed


MALFORMED = {
    "bad status line": b"HELLO\r\n\r\n",
    "oversized header": b"HTTP/1.1 200 OK\r\nX: " + b"a" * 20000 + b"\r\n\r\n",
    "bad chunk": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    "bad length": b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
    "short body": b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
    "TLS to a plain client": b"\x16\x03\x01\x00\x05hello",
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_answers_are_clear_errors(name: str) -> None:
    heads: list[bytes] = []

    def attempt(server: Server) -> tuple[ApiError, ApiError]:
        url = f"http://127.0.0.1:{server.port}"
        with pytest.raises(ApiError) as read:
            client_list(url, max_attempts=1)
        with pytest.raises(ApiError) as write:
            soap_write(url)
        return read.value, write.value
    read, write = serve(closing_after(MALFORMED[name], heads), then=attempt)
    assert read.call == "GetClientList" and write.call == "AddEditClientGroup"
    assert write.maybe_committed and len(heads) == 2  # the write was not repeated
