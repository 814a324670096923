"""Shared by the fault, crash and secret suites: a sandbox on a socket whose app object the
test holds, the real CLI in a subprocess, and the store checks (duplicates, orphans)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lexsync.sandbox.app import SandboxConfig, create_app
from lexsync.sandbox.server import serving_in_thread
from lexsync.state.document import StateDocument
from lexsync.state.local import LocalBackend

if TYPE_CHECKING:
    from tests.reliability.conftest import Box

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
# Expected objects per example: (groups, clients, methods, accounts).
EXAMPLE_SIZES = {"quickstart": (1, 1, 1, 1), "insurance-network": (2, 9, 18, 18)}
PASSWORDS = {"ACME_PORTAL_PASSWORD": "acme-portal-Secret-5b1c",
             "NETWORK_PORTAL_PASSWORD": "network-portal-Secret-9d2e"}
# How many times a run may be repeated before the suite calls it a failure to converge.
MAX_RUNS = 6


@contextmanager
def socket_sandbox(config: SandboxConfig) -> Iterator[tuple[str, Any]]:
    """Like running_sandbox, but also yields the app (to read the bearer tokens it issued)."""
    app = create_app(config)
    # force_exit: do not wait out answers held for a client already killed
    with serving_in_thread(app, force_exit=True) as url:
        yield url, app


def copy_example(name: str, dest: Path) -> Path:
    target = dest / name
    shutil.copytree(EXAMPLES / name, target, ignore=shutil.ignore_patterns(".lexsync", "*.sh"))
    return target


# What the soap dialect cannot write (docs/configuration.md, "Dialect capabilities"): a
# client's automation and an account's weekly cap; the examples set no other such key.
SOAP_CANNOT_WRITE = (re.compile(r"^    automation: .*\n", re.MULTILINE), re.compile(r", week: \d+"))


def as_soap(config: Path) -> Path:
    """The copied example in the soap dialect: AddEdit* envelopes instead of REST writes."""
    for path in sorted(config.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        if "dialect: rest" in text:
            text = text.replace("dialect: rest", "dialect: soap", 1)
        for pattern in SOAP_CANNOT_WRITE:
            text = pattern.sub("", text)
        path.write_text(text, encoding="utf-8")
    return config


def copy_example_in(name: str, dest: Path, dialect: str) -> Path:
    config = copy_example(name, dest)
    return as_soap(config) if dialect == "soap" else config


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {**os.environ, "LEADEXEC_API_KEY": "sandbox-key", "LEADEXEC_CLIENT_ID": "sandbox",
           "LEADEXEC_CLIENT_SECRET": "sandbox-secret", "NO_COLOR": "1", **PASSWORDS,
           # The CLI under test is this tree's, whatever copy of lexsync is installed.
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    env.pop("LEXSYNC_DEBUG", None)
    return {**env, **(extra or {})}


def command(url: str, config: Path, *args: str) -> list[str]:
    api = ["--api", url] if args[0] in ("plan", "apply") else []
    return [sys.executable, "-m", "lexsync.cli.main", *args, "-c", str(config), *api]


def run(url: str, config: Path, *args: str, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command(url, config, *args), env=env or cli_env(), capture_output=True,
                          text=True, timeout=180, cwd=config.parent)


def kill_at_write(box: Box, config: Path, n: int, mode: str) -> bool:
    """Run apply and SIGKILL it while the sandbox holds write `n`; False if it never got there."""
    box.faults(hold_write=n, hold_mode=mode, hold_seconds=30)
    proc = subprocess.Popen(command(box.url, config, "apply", "--auto-approve"), env=cli_env(),
                            cwd=config.parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while box.faults()["holds_started"] == 0:
            if proc.poll() is not None or time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        return True
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        box.faults(hold_write=None)


def load_state(config: Path) -> StateDocument:
    # Through the backend, as the next run would read it (a journal left by a kill included).
    return LocalBackend(config / ".lexsync" / "state.json").load()


UNCONFIRMED = re.compile(r"lexsync state resolve (\S+) --id ID")


def resolve_unconfirmed(url: str, config: Path, output: str, dump: dict[str, Any]) -> int:
    """Do what the error message asks an operator to do: look in LeadExec (here the
    sandbox's store) for each unconfirmed method and record its ID or its absence."""
    state = load_state(config)
    known = {r.remote_id for r in state.resources.values()}
    resolved = 0
    for address in sorted(set(UNCONFIRMED.findall(output))):
        marker = state.pending[address]
        name = marker["attributes"]["name"]
        found = [m["ClientDeliveryUID"] for m in dump["methods"]
                 if m["ClientUID"] == marker["parent_id"] and m["Name"] == name
                 and m["ClientDeliveryUID"] not in known]
        assert len(found) <= 1, f"duplicate methods for {address}: {found}"
        flag = ["--id", str(found[0])] if found else ["--absent"]
        result = run(url, config, "state", "resolve", address, *flag)
        assert result.returncode == 0, result.stdout + result.stderr
        resolved += 1
    return resolved


def duplicates(dump: dict[str, Any]) -> list[str]:
    """Natural keys held by more than one live object (the issue's definition)."""
    keys = ([("client", c["Username"].lower()) for c in dump["clients"]]
            + [("account", a["ClientUID"], a["Description"]) for a in dump["accounts"]]
            + [("method", m["ClientUID"], m["Name"]) for m in dump["methods"]]
            + [("group", g["Description"]) for g in dump["groups"]])
    return sorted({repr(k) for k in keys if keys.count(k) > 1})


def orphans(dump: dict[str, Any], state: StateDocument) -> list[str]:
    """Live objects lexsync created but does not record (or records but do not exist)."""
    live = {("client_group", g["ClientGroupUID"]) for g in dump["groups"]}
    live |= {("client", c["ClientUID"]) for c in dump["clients"]}
    live |= {("delivery_method", m["ClientDeliveryUID"]) for m in dump["methods"]}
    live |= {("delivery_account", a["ClientAccountUID"]) for a in dump["accounts"]}
    recorded = {(r.kind, r.remote_id) for r in state.resources.values()}
    return sorted(str(x) for x in live ^ recorded)


def assert_converged(url: str, config: Path, dump: dict[str, Any], example: str) -> None:
    plan = run(url, config, "plan", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert duplicates(dump) == []
    state = load_state(config)
    assert orphans(dump, state) == []
    assert not state.pending
    sizes = (len(dump["groups"]), len(dump["clients"]), len(dump["methods"]), len(dump["accounts"]))
    assert sizes == EXAMPLE_SIZES[example]


def seeds(default: int) -> range:
    """LEXSYNC_SOAK_SEEDS=N runs N seeds instead of the default (a longer soak)."""
    return range(1, int(os.environ.get("LEXSYNC_SOAK_SEEDS", default)) + 1)


def report(name: str, figures: dict[str, Any]) -> None:
    """Append the suite's figures to LEXSYNC_RELIABILITY_REPORT (a JSON-lines file), if set."""
    path = os.environ.get("LEXSYNC_RELIABILITY_REPORT")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"suite": name, **figures}) + "\n")
