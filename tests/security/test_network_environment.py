"""The real CLI honours the network environment as any httpx program does: a plan through
HTTPS_PROXY reaches the proxy with CONNECT, NO_PROXY bypasses it, a bad SSL_CERT_FILE or an
untrusted certificate is a clear error at once (never an internal error, never retried)."""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lexsync.api import ApiSettings
from tests.api.sockettest_helpers import self_signed_certificate, server_tls

CONFIG = """lexsync:
  dialect: soap
client_groups:
  premium: {description: Premium buyers, display_order: 1}
"""
TARGET = "api.leadexec.example"
# Each test sets what it needs of these; the machine's own values are left out.
NETWORK_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY", "SSL_CERT_FILE",
                     "SSL_CERT_DIR")
# One call retried would connect this many times.
ATTEMPTS = ApiSettings().max_attempts


class Listener:
    """A loopback TCP server in a thread: runs `serve` on each connection, records what the
    first line of each connection was (if any arrived)."""

    def __init__(self, serve: Callable[[socket.socket, Listener], None]) -> None:
        self.serve = serve
        self.first_lines: list[bytes] = []
        self.connections = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return  # closed
            self.connections += 1
            with conn:
                conn.settimeout(10)
                with contextlib.suppress(OSError):
                    self.serve(conn, self)

    def close(self) -> None:
        self.sock.close()


def refusing_proxy(conn: socket.socket, listener: Listener) -> None:
    """Reads the request head and refuses it, as a proxy that may not reach the target."""
    head = b""
    while b"\r\n\r\n" not in head:
        data = conn.recv(4096)
        if not data:
            break
        head += data
    listener.first_lines.append(head.split(b"\r\n", 1)[0])
    conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


@pytest.fixture
def listeners() -> Iterator[list[Listener]]:
    made: list[Listener] = []
    yield made
    for listener in made:
        listener.close()


def plan(tmp_path: Path, api: str, config: str = CONFIG, **env: str
         ) -> subprocess.CompletedProcess[str]:
    (tmp_path / "lexsync.yaml").write_text(config)
    base = {k: v for k, v in os.environ.items()
            if k.upper() not in NETWORK_VARIABLES and k != "LEXSYNC_DEBUG"}
    return subprocess.run(
        [sys.executable, "-m", "lexsync.cli.main", "plan", "--api", api],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**base, "LEADEXEC_API_KEY": "proxy-test-key", "NO_COLOR": "1", **env})


def assert_clear_failure(done: subprocess.CompletedProcess[str], *fragments: str) -> str:
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "Traceback" not in output and "internal error" not in output, output
    for fragment in fragments:
        assert fragment in output, (fragment, output)
    assert "proxy-test-key" not in output
    return output


def test_a_plan_through_https_proxy_reaches_the_proxy_with_connect(
        tmp_path: Path, listeners: list[Listener]) -> None:
    proxy = Listener(refusing_proxy)
    listeners.append(proxy)
    started = time.monotonic()
    done = plan(tmp_path, f"https://{TARGET}", HTTPS_PROXY=f"http://127.0.0.1:{proxy.port}")
    assert proxy.first_lines[0] == f"CONNECT {TARGET}:443 HTTP/1.1".encode()
    # Every request was that CONNECT (a connection the run closed before its request, as the
    # first refusal ended it, sent nothing).
    assert set(proxy.first_lines) - {b""} == {proxy.first_lines[0]}
    assert_clear_failure(done, "ProxyError", "403")
    # A refusing proxy is not retried: each call that started failed at its first CONNECT.
    assert proxy.connections < ATTEMPTS and time.monotonic() - started < 60


def test_all_proxy_is_used_too(tmp_path: Path, listeners: list[Listener]) -> None:
    proxy = Listener(refusing_proxy)
    listeners.append(proxy)
    done = plan(tmp_path, f"https://{TARGET}", ALL_PROXY=f"http://127.0.0.1:{proxy.port}")
    assert proxy.first_lines[0] == f"CONNECT {TARGET}:443 HTTP/1.1".encode()
    assert_clear_failure(done, "ProxyError")


def test_no_proxy_bypasses_the_proxy(tmp_path: Path, listeners: list[Listener]) -> None:
    proxy = Listener(refusing_proxy)
    certificate = self_signed_certificate(tmp_path, ["127.0.0.1"])
    context = server_tls(certificate)

    def tls_server(conn: socket.socket, listener: Listener) -> None:
        with context.wrap_socket(conn, server_side=True) as tls:  # the client refuses it
            listener.first_lines.append(tls.recv(100))

    direct = Listener(tls_server)
    listeners += [proxy, direct]
    done = plan(tmp_path, f"https://127.0.0.1:{direct.port}",
                HTTPS_PROXY=f"http://127.0.0.1:{proxy.port}", NO_PROXY="127.0.0.1")
    assert proxy.connections == 0
    # Reached directly; its certificate is untrusted, which fails at once (no retry).
    assert 1 <= direct.connections < ATTEMPTS
    assert_clear_failure(done, "TLS certificate was refused", "ca_bundle")


def test_ca_bundle_from_the_configuration_is_used(tmp_path: Path,
                                                  listeners: list[Listener]) -> None:
    certificate = self_signed_certificate(tmp_path, ["127.0.0.1"])
    context = server_tls(certificate)
    handshakes: list[str] = []

    def tls_server(conn: socket.socket, listener: Listener) -> None:
        try:
            with context.wrap_socket(conn, server_side=True) as tls:
                handshakes.append("ok")
                tls.recv(65536)
                tls.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                            b"Connection: close\r\n\r\n")
        except ssl.SSLError:
            handshakes.append("refused")

    server = Listener(tls_server)
    listeners.append(server)
    config = CONFIG.replace("  dialect: soap\n",
                            f"  dialect: soap\n  ca_bundle: {certificate[0]}\n")
    done = plan(tmp_path, f"https://127.0.0.1:{server.port}", config)
    assert handshakes and set(handshakes) == {"ok"}  # trusted: the request went through
    assert_clear_failure(done, "HTTP 503")


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "SSL_CERT_DIR"])
def test_a_missing_ssl_cert_file_is_a_clear_error(tmp_path: Path, variable: str) -> None:
    done = plan(tmp_path, f"https://{TARGET}", **{variable: "/nonexistent"})
    assert_clear_failure(done, f"cannot load the CA certificates named by {variable} "
                               "(/nonexistent)")


@pytest.mark.parametrize(("value", "says"), [
    ("socks5://user:proxy-pw-1@127.0.0.1:1080", "names a socks5:// proxy"),
    ("http://user:proxy-pw-1@[bad", "is not a URL lexsync can use"),
])
def test_a_proxy_lexsync_cannot_use_is_a_clear_error_without_its_password(
        tmp_path: Path, value: str, says: str) -> None:
    done = plan(tmp_path, f"https://{TARGET}", ALL_PROXY=value)
    output = assert_clear_failure(done, f"the ALL_PROXY environment variable {says}")
    assert "proxy-pw-1" not in output
