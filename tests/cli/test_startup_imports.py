"""Commands import only what they use: `--help` needs neither rich nor the engine, and
`validate` neither HTTP nor the event loop (benchmarks/startup.py measures what this saves)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

QUICKSTART = Path(__file__).resolve().parents[2] / "examples" / "quickstart"
HEAVY = ("rich", "asyncio", "httpx", "pydantic", "ruamel", "lexsync.engine", "lexsync.api")

PROBE = """
import json, sys
from lexsync.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m.startswith(%r))))
"""


def imported(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> list[str]:
    done = subprocess.run([sys.executable, "-c", PROBE % (HEAVY,), *args], capture_output=True,
                          text=True, check=True, cwd=cwd, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_help_imports_no_heavy_module() -> None:
    assert imported("--help") == []


def test_command_help_imports_no_heavy_module() -> None:
    assert imported("plan", "--help") == []


def test_validate_imports_no_http_or_event_loop() -> None:
    env = {**os.environ, "ACME_PORTAL_PASSWORD": "x"}
    modules = imported("validate", cwd=QUICKSTART, env=env)
    assert "pydantic" in modules  # it did validate
    assert [m for m in modules if m.split(".")[0] in ("asyncio", "httpx", "rich")
            or m.startswith(("lexsync.engine", "lexsync.api"))] == []
