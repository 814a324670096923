"""Adopting a hand-made account in the soap dialect: the real CLI against the sandbox on a
socket, as test_import_drift_e2e.py does for rest. SOAP writes carry no weekly cap,
AlternatePosting, offer or client automation, so the imported YAML declares none of them
(not even as placeholders), and putting back a change made by hand needs none of them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, Sandbox
from tests.import_drift.e2e import CLIENTS, import_account, run
from tests.import_drift.populate import Populated

pytestmark = pytest.mark.e2e

SOAP_WRITES = {"AddEditClient", "AddEditClientDelivery", "AddEditClientAccount"}


@pytest.fixture
def imported(cli: Cli, sandbox: Sandbox) -> tuple[Populated, Path, dict[str, str]]:
    return import_account(cli, sandbox, "--dialect", "soap")


def test_soap_import_then_plan_is_empty(cli: Cli, sandbox: Sandbox, imported) -> None:
    populated, out, env = imported
    assert (out / "lexsync.yaml").read_text().endswith("lexsync:\n  dialect: soap\n")
    assert len(list(out.glob("client-*.yaml"))) == CLIENTS
    text = "".join(p.read_text() for p in sorted(out.glob("*.yaml")))
    assert not any(pw in text for pw in populated.passwords.values())
    # What the soap dialect refuses to load is neither written nor offered as a comment.
    for key in ("week", "alternate_posting", "offer"):
        assert key not in text, key
    assert "\n    automation:" not in text  # the client's; an account's automation is soap's too
    state_text = (out / ".lexsync" / "state.json").read_text()
    assert not any(pw in state_text for pw in populated.passwords.values())

    sandbox.reset_requests()
    result = run(cli, "plan", "--detailed-exitcode", "-c", str(out), env=env)
    assert "No changes" in result.stdout
    assert run(cli, "drift", "-c", str(out), env=env).stdout.startswith("No drift")
    assert sandbox.writes() == {}
    assert (out / ".lexsync" / "state.json").read_text() == state_text


def test_soap_drift_reports_changes_by_hand_and_apply_restores(
        cli: Cli, sandbox: Sandbox, imported) -> None:
    populated, out, env = imported
    sandbox.mutate("accounts", populated.account_ids[1], Price=99.5)
    sandbox.mutate("methods", populated.method_ids[0], DeliveryAddress="https://hijacked.example")
    sandbox.mutate("clients", populated.client_ids[3], Notes="edited in the UI")
    sandbox.reset_requests()
    before = (out / ".lexsync" / "state.json").read_bytes()

    result = run(cli, "drift", "-c", str(out), "--format", "json", env=env, ok=(2,))
    report = json.loads(result.stdout)
    changed = sorted((r["kind"], a["path"], a["live"], a["origin"])
                     for r in report["resources"] for a in r["attributes"])
    assert changed == [("client", "notes", "edited in the UI", "outside"),
                       ("delivery_account", "price", 99.5, "outside"),
                       ("delivery_method", "url", "https://hijacked.example", "outside")]
    assert sandbox.writes() == {}
    assert (out / ".lexsync" / "state.json").read_bytes() == before  # drift never writes state

    # Unlike rest, nothing the reads cannot show is written: the apply goes ahead as is.
    result = run(cli, "apply", "--auto-approve", "-c", str(out), env=env)
    assert "0 created, 3 updated, 0 retired" in result.stdout
    assert sandbox.writes() == dict.fromkeys(SOAP_WRITES, 1)
    dump = sandbox.dump()
    [account] = [a for a in dump["accounts"] if a["ClientAccountUID"] == populated.account_ids[1]]
    assert account["Price"] != 99.5
    assert run(cli, "drift", "-c", str(out), env=env).stdout.startswith("No drift")
    assert "No changes" in run(cli, "plan", "--detailed-exitcode", "-c", str(out), env=env).stdout
