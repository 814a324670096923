"""Running the sandbox under uvicorn: blocking `serve`, or `running_sandbox` in a thread."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.applications import Starlette

from lexsync.sandbox.app import SandboxConfig, create_app


def serve(config: SandboxConfig, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve until interrupted (Ctrl-C). Requests are logged only to a terminal: formatting
    a line per request costs ~0.1 ms of CPU, a tenth of a cached read, for output that a
    script or benchmark discards."""
    uvicorn.run(create_app(config), host=host, port=port, log_level="info",
                access_log=sys.stdout.isatty())


@contextmanager
def running_sandbox(config: SandboxConfig | None = None) -> Iterator[str]:
    """Start the sandbox on a free loopback port in a background thread; yield its base URL."""
    with serving_in_thread(create_app(config)) as url:
        yield url


@contextmanager
def serving_in_thread(app: Starlette, *, force_exit: bool = False) -> Iterator[str]:
    """Serve `app` on a free loopback port in a background thread; yield its base URL.

    `force_exit` stops without waiting for answers still held for clients that are gone.
    """
    # Port 0: the OS picks a free port at bind time, so parallel test runs never collide.
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                           lifespan="off", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the sandbox server did not start")
            time.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        server.force_exit = force_exit
        thread.join(timeout=10)
