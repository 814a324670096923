"""The sandbox under uvicorn without httptools: uvicorn falls back to h11 by itself."""

from __future__ import annotations

import subprocess
import sys

# Blocks the import of httptools, serves, and reads once over GET and once over form POST.
_SCRIPT = """
import sys
sys.modules["httptools"] = None
import httpx
from lexsync.sandbox.server import running_sandbox
import uvicorn.protocols.http.auto as auto
assert auto.AutoHTTPProtocol.__name__ == "H11Protocol", auto.AutoHTTPProtocol
with running_sandbox() as url, httpx.Client(base_url=url) as http:
    got = http.get("/service.asmx/GetLeadTypes", params={"Key": "sandbox-key", "LeadTypeUID": 3})
    form = {"key": "sandbox-key", "leadtypeuid": "3"}
    posted = http.post("/service.asmx/GetLeadTypes", data=form)
    assert got.status_code == 200 and "<Descriptor>Solar</Descriptor>" in got.text, got.text
    assert posted.content == got.content
print("h11 ok")
"""


def test_serves_without_httptools() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and done.stdout.strip() == "h11 ok", done.stderr
