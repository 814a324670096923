"""The asyncio network backend against real local sockets: plain TCP and TLS."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import socket
import ssl
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import httpcore
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sockettest_helpers import Handler, Server

from lexsync.api.aionet import AsyncioBackend, socket_readable


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()


async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(30)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- plain TCP ---

def test_write_then_read_back_and_addresses() -> None:
    async def scenario() -> None:
        async with Server(echo) as server:
            stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port, timeout=5)
            await stream.write(b"hello", timeout=5)
            received = b""
            while len(received) < 5:
                received += await stream.read(65536, timeout=5)
            assert received == b"hello"
            assert stream.get_extra_info("server_addr") == ("127.0.0.1", server.port)
            assert stream.get_extra_info("client_addr")[0] == "127.0.0.1"
            assert stream.get_extra_info("socket").fileno() >= 0
            assert stream.get_extra_info("ssl_object") is None
            await stream.aclose()
    run(scenario())


def test_read_returns_at_most_max_bytes_and_keeps_the_rest() -> None:
    async def scenario() -> None:
        async with Server(echo) as server:
            stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port)
            await stream.write(b"abcdefgh")
            await asyncio.sleep(0.05)
            parts = [await stream.read(3, timeout=5) for _ in range(2)]
            rest = await stream.read(100, timeout=5)
            assert parts == [b"abc", b"def"] and rest == b"gh"
            await stream.aclose()
    run(scenario())


def test_socket_options_and_local_address_are_honoured() -> None:
    async def scenario() -> None:
        async with Server(echo) as server:
            # Any 127.x.y.z address is the loopback interface on Linux.
            stream = await AsyncioBackend().connect_tcp(
                "127.0.0.1", server.port, local_address="127.0.0.2",
                socket_options=[(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)])
            sock = stream.get_extra_info("socket")
            assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
            assert stream.get_extra_info("client_addr")[0] == "127.0.0.2"
            await stream.aclose()
    run(scenario())


def test_refused_connection_is_a_connect_error() -> None:
    port = free_port()

    async def scenario() -> None:
        await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5)
    with pytest.raises(httpcore.ConnectError):
        run(scenario())


def test_connect_timeout() -> None:
    # A listener whose backlog is full drops further SYNs: the connect hangs.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    address = listener.getsockname()
    fillers = []
    try:
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(address)
            fillers.append(filler)

        async def scenario() -> None:
            await AsyncioBackend().connect_tcp(*address, timeout=0.3)
        with pytest.raises(httpcore.ConnectTimeout):
            run(scenario())
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


def test_read_timeout() -> None:
    async def scenario() -> None:
        async with Server(silent) as server:
            stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port)
            try:
                await stream.read(10, timeout=0.1)
            finally:
                await stream.aclose()
    with pytest.raises(httpcore.ReadTimeout):
        run(scenario())


def test_write_timeout_when_the_server_does_not_read() -> None:
    async def scenario() -> None:
        async with Server(silent) as server:
            stream = await AsyncioBackend().connect_tcp(
                "127.0.0.1", server.port,
                socket_options=[(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)])
            try:
                for _ in range(1000):  # until the kernel's and asyncio's buffers are full
                    await stream.write(b"x" * 1_000_000, timeout=0.2)
            finally:
                await stream.aclose()
    with pytest.raises(httpcore.WriteTimeout):
        run(scenario())


def test_server_closing_reads_as_end_of_stream() -> None:
    async def answer_and_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                               ) -> None:
        writer.write(b"bye")
        await writer.drain()

    async def scenario() -> list[bytes]:
        async with Server(answer_and_close) as server:
            stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port)
            chunks = []
            while chunk := await stream.read(100, timeout=5):
                chunks.append(chunk)
            chunks.append(await stream.read(100, timeout=5))  # still the end, no error
            await stream.aclose()
            return chunks
    assert run(scenario()) == [b"bye", b""]


def test_reset_connection_is_a_read_error() -> None:
    async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        writer.transport.abort()

    async def scenario() -> None:
        async with Server(reset) as server:
            stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port)
            await asyncio.sleep(0.05)
            await stream.read(100, timeout=5)
    with pytest.raises(httpcore.ReadError):
        run(scenario())


def test_closed_stream_refuses_reads_and_writes() -> None:
    async def scenario() -> None:
        async with Server(echo) as server:
            stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port)
            await stream.aclose()
            with pytest.raises(httpcore.ReadError):
                await stream.read(10)
            with pytest.raises(httpcore.WriteError):
                await stream.write(b"x")
            assert stream.get_extra_info("is_readable")
    run(scenario())


def test_writing_to_a_connection_the_server_closed_is_a_write_error() -> None:
    async def close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        return

    async def scenario() -> None:
        async with Server(close) as server:
            stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port)
            assert await stream.read(10, timeout=5) == b""
            with pytest.raises(httpcore.WriteError):
                await stream.write(b"x", timeout=5)
    run(scenario())


def test_is_readable_once_the_server_sends_or_closes() -> None:
    async def scenario(close: bool) -> list[bool]:
        act = asyncio.Event()

        async def idle_then_act(reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                                ) -> None:
            await act.wait()
            if not close:
                writer.write(b"stray")  # bytes on an idle HTTP/1.1 connection: unusable
                await writer.drain()
                await asyncio.sleep(30)

        async with Server(idle_then_act) as server:
            stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port)
            seen = [stream.get_extra_info("is_readable")]
            act.set()
            await asyncio.sleep(0.05)  # the event loop has read what came
            seen.append(stream.get_extra_info("is_readable"))
            await stream.aclose()
            return seen
    assert run(scenario(close=True)) == [False, True]
    assert run(scenario(close=False)) == [False, True]


def test_is_readable_before_the_event_loop_has_seen_the_close() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    async def scenario() -> tuple[bool, bool]:
        stream = await AsyncioBackend().connect_tcp(*listener.getsockname())
        accepted, _ = listener.accept()
        idle = stream.get_extra_info("is_readable")
        accepted.close()
        # No await since: only the socket knows the server has gone.
        closed = stream.get_extra_info("is_readable")
        await stream.aclose()
        return idle, closed
    with listener:
        assert run(scenario()) == (False, True)


def test_socket_readable_sees_what_the_event_loop_has_not_read() -> None:
    left, right = socket.socketpair()
    with left, right:
        assert not socket_readable(left)
        right.send(b"x")
        assert socket_readable(left)
        left.recv(1)
        right.close()
        assert socket_readable(left)  # the end of the stream is readable
    assert socket_readable(None)


# --- through httpcore's pool ---

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok"


async def one_answer_then_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                                ) -> None:
    """Promises keep-alive, answers one request, then closes the idle connection."""
    await reader.readuntil(b"\r\n\r\n")
    writer.write(RESPONSE)
    await writer.drain()
    await asyncio.sleep(0.05)


async def keep_alive(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        try:
            await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return
        writer.write(RESPONSE)
        await writer.drain()


def _pool_requests(handler: Handler, count: int) -> tuple[list[bytes], int]:
    async def scenario() -> tuple[list[bytes], int]:
        async with Server(handler) as server, httpcore.AsyncConnectionPool(
                max_connections=1, network_backend=AsyncioBackend()) as pool:
            bodies = []
            for _ in range(count):
                response = await pool.request(
                    "GET", f"http://127.0.0.1:{server.port}/",
                    extensions={"timeout": {"connect": 5, "read": 5, "write": 5,
                                            "pool": 5}})
                bodies.append(response.content)
                await asyncio.sleep(0.2)  # the server closes the idle connection
            return bodies, server.connections
    return run(scenario())


def test_pool_reuses_a_kept_alive_connection() -> None:
    assert _pool_requests(keep_alive, 3) == ([b"ok"] * 3, 1)


def test_pool_replaces_a_keep_alive_connection_the_server_closed() -> None:
    assert _pool_requests(one_answer_then_close, 3) == ([b"ok"] * 3, 3)


# --- TLS ---

@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def server_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


def trusting(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


async def _tls_stream(port: int, context: ssl.SSLContext, hostname: str,
                      timeout: float = 5) -> httpcore.AsyncNetworkStream:
    stream = await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5)
    return await stream.start_tls(context, server_hostname=hostname, timeout=timeout)


def test_tls_handshake_verifies_and_carries_data(certificate: tuple[Path, Path]) -> None:
    async def scenario() -> None:
        async with Server(echo, tls=server_tls(certificate)) as server:
            stream = await _tls_stream(server.port, trusting(certificate), "localhost")
            assert isinstance(stream.get_extra_info("ssl_object"), ssl.SSLObject)
            assert stream.get_extra_info("ssl_object").server_hostname == "localhost"
            await stream.write(b"secret", timeout=5)
            received = b""
            while len(received) < 6:
                received += await stream.read(100, timeout=5)
            assert received == b"secret"
            assert not stream.get_extra_info("is_readable")
            await stream.aclose()
    run(scenario())


def test_tls_refuses_an_untrusted_certificate(certificate: tuple[Path, Path]) -> None:
    async def scenario() -> None:
        async with Server(echo, tls=server_tls(certificate)) as server:
            await _tls_stream(server.port, ssl.create_default_context(), "localhost")
    with pytest.raises(httpcore.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        run(scenario())


def test_tls_refuses_a_certificate_for_another_host(certificate: tuple[Path, Path]) -> None:
    async def scenario() -> None:
        async with Server(echo, tls=server_tls(certificate)) as server:
            await _tls_stream(server.port, trusting(certificate), "api.leadexec.net")
    with pytest.raises(httpcore.ConnectError, match="mismatch|doesn't match"):
        run(scenario())


def test_tls_handshake_timeout(certificate: tuple[Path, Path]) -> None:
    async def scenario() -> None:
        async with Server(silent) as server:  # plain TCP: never answers the hello
            await _tls_stream(server.port, trusting(certificate), "localhost", timeout=0.2)
    with pytest.raises(httpcore.ConnectTimeout):
        run(scenario())


def test_https_through_the_pool(certificate: tuple[Path, Path]) -> None:
    async def scenario() -> tuple[list[bytes], int]:
        async with Server(keep_alive, tls=server_tls(certificate)) as server:
            async with httpcore.AsyncConnectionPool(
                    ssl_context=trusting(certificate), max_connections=1,
                    network_backend=AsyncioBackend()) as pool:
                bodies = [(await pool.request("GET", f"https://localhost:{server.port}/")
                           ).content for _ in range(3)]
            return bodies, server.connections
    assert run(scenario()) == ([b"ok"] * 3, 1)
