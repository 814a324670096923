"""`--api sandbox`: the sandbox in-process over httpx's ASGI transport, its database in .lexsync/."""

from __future__ import annotations

from pathlib import Path

import httpx

SANDBOX_CREDENTIALS = {"api_key": "sandbox-key", "client_id": "sandbox", "client_secret": "sandbox-secret"}
# No socket is opened; the URL only gives requests a loopback host the client accepts over http.
SANDBOX_URL = "http://127.0.0.1"


def in_process_sandbox(root: Path) -> tuple[httpx.AsyncBaseTransport, str, dict[str, str]]:
    from lexsync.sandbox.app import SandboxConfig, create_app

    directory = root / ".lexsync"
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)  # state lives here too: owner only
    app = create_app(SandboxConfig(db_path=str(directory / "sandbox.db")))
    return httpx.ASGITransport(app=app), SANDBOX_URL, dict(SANDBOX_CREDENTIALS)
