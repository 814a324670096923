"""What the import end-to-end suites share: importing the populated sandbox with the real
CLI, in either dialect, and the secret variables the user then sets."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.e2e.conftest import Cli, Sandbox
from tests.import_drift.populate import Populated, populate

CLIENTS = 22


def secret_env(out: Path, populated: Populated) -> dict[str, str]:
    """The variables import asked for, set to the live values (as the user would)."""
    state = json.loads((out / ".lexsync" / "state.json").read_text())
    env = {}
    for address, record in state["resources"].items():
        if record["kind"] == "client" and record["remote_id"] in populated.passwords:
            key = address.split(".")[1]
            env["LEXSYNC_PW_" + key.upper().replace("-", "_")] = populated.passwords[record["remote_id"]]
        if record["kind"] == "delivery_method" and record["remote_id"] in populated.ftp_passwords:
            _, client, _, method = address.split(".")
            name = f"LEXSYNC_FTP_PW_{client}_{method}".upper().replace("-", "_")
            env[name] = populated.ftp_passwords[record["remote_id"]]
    return env


def run(cli: Cli, *args: str, env: dict[str, str] | None = None, ok: tuple[int, ...] = (0,)
        ) -> subprocess.CompletedProcess[str]:
    result = cli(*args, "--api", cli.url, env=env)
    assert result.returncode in ok, result.stdout + result.stderr
    return result


def import_account(cli: Cli, sandbox: Sandbox, *options: str) -> tuple[Populated, Path, dict[str, str]]:
    """Populate the sandbox by hand, then `lexsync import --out account --all` it."""
    populated = populate(sandbox.url, count=CLIENTS)
    out = cli.directory / "account"
    result = run(cli, "import", "--out", str(out), "--all", *options)
    assert f"Imported {CLIENTS} clients, 3 client groups" in result.stdout
    assert "Warning" not in result.stdout, result.stdout
    env = secret_env(out, populated)
    assert set(env) <= set(result.stdout.split()), "every secret variable is listed"
    return populated, out, env
