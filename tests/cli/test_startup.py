"""`lexsync --help` loads only the command modules: each command imports what it uses when it runs."""

from __future__ import annotations

import json
import subprocess
import sys

# What a command needs once it runs; none of it is needed to list the commands.
HEAVY = ("lexsync.engine", "lexsync.config", "lexsync.api", "lexsync.state", "lexsync.render",
         "lexsync.sandbox", "lexsync.resources", "asyncio", "httpx", "pydantic", "ruamel",
         "starlette", "psycopg")


def test_help_imports_no_command_dependencies() -> None:
    script = ("import sys, json\n"
              "from lexsync.cli.main import main\n"
              "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
              "print(json.dumps(sorted(sys.modules)), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert "Commands:" in done.stdout
    loaded = json.loads(done.stderr.strip().splitlines()[-1])
    heavy = [m for m in loaded if any(m == h or m.startswith(h + ".") for h in HEAVY)]
    assert heavy == []
