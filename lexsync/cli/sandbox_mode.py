"""`--api sandbox`: the sandbox in-process over httpx's ASGI transport, its database a file
(`.lexsync/sandbox.db` beside the configuration, or the one its state was made against)."""

from __future__ import annotations

from pathlib import Path

import httpx

SANDBOX_CREDENTIALS = {"api_key": "sandbox-key", "client_id": "sandbox", "client_secret": "sandbox-secret"}
# No socket is opened; the URL only gives requests a loopback host the client accepts over http.
SANDBOX_URL = "http://127.0.0.1"


def in_process_sandbox(database: Path) -> tuple[httpx.AsyncBaseTransport, str, dict[str, str]]:
    """The transport, URL and credentials of the sandbox whose database is `database` (a
    folder: its `.lexsync/sandbox.db`)."""
    from lexsync.sandbox.app import SandboxConfig, create_app

    if database.is_dir():
        database = database / ".lexsync" / "sandbox.db"
    # State lives beside the sandbox's database too: the folder is the owner's only.
    database.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    app = create_app(SandboxConfig(db_path=str(database)))
    return httpx.ASGITransport(app=app), SANDBOX_URL, dict(SANDBOX_CREDENTIALS)
