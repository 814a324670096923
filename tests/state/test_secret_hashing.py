"""Secrets are kept in state as scrypt hashes (salt per state), computed only when a hash must
be stored or compared with a stored one; hashes of the old form (one SHA-256 of salt and
secret) still compare, and are rewritten in the new form by the next apply."""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from pathlib import Path
from typing import Any

import pytest

from lexsync.engine import aio
from lexsync.engine.planfile import check_not_stale
from lexsync.engine.session import RunOptions, Session
from lexsync.errors import PlanStaleError
from lexsync.state import secret_hash as secrets
from lexsync.state.document import StateDocument
from tests.engine.conftest import BASE_CONFIG, Harness

SALT = "00112233445566778899aabbccddeeff"
UNUSED_FTP_METHOD = """
      drop:
        type: ftp
        lead_type: Auto Insurance
        url: ftp.acme.example
        ftp: {user: acme, password: "${env:FTP_PW}", path: /leads}
"""
CONFIG = BASE_CONFIG.replace("    delivery_accounts:\n",
                             UNUSED_FTP_METHOD.lstrip("\n") + "    delivery_accounts:\n")
ENV = {"PW": "s3cret-portal", "FTP_PW": "ftp-Secret-77"}


def _scrypt(plain: str, salt: str = SALT) -> str:
    raw = hashlib.scrypt(plain.encode(), salt=salt.encode(), n=2**14, r=8, p=1, dklen=32)
    return f"scrypt:16384:8:1:{raw.hex()}"


def _legacy(plain: str, salt: str) -> str:
    return "sha256:" + hashlib.sha256((salt + plain).encode()).hexdigest()


def test_state_stores_an_scrypt_hash_with_its_parameters() -> None:
    doc = StateDocument(lineage="l", secret_salt=SALT)
    hashed = doc.hash_secret("hunter2")
    stored = json.loads(json.dumps(hashed, default=secrets.to_json))
    assert stored == _scrypt("hunter2")
    assert "hunter2" not in stored and "hunter2" not in repr(hashed) and "hunter2" not in str(hashed)


def test_hashes_compare_by_secret_and_salt_with_each_other_and_with_stored_text() -> None:
    doc, other = StateDocument(lineage="l", secret_salt=SALT), StateDocument.new()
    assert doc.hash_secret("a") == doc.hash_secret("a")
    assert doc.hash_secret("a") != doc.hash_secret("b")
    assert doc.hash_secret("a") != other.hash_secret("a")
    assert doc.hash_secret("a") == _scrypt("a") and _scrypt("a") == doc.hash_secret("a")
    assert doc.hash_secret("a") != _scrypt("b")
    assert doc.hash_secret("a") == _legacy("a", SALT)  # the old form, for states written before
    assert doc.hash_secret("a") != _legacy("a", "another salt")
    assert doc.hash_secret("") != ""
    assert doc.hash_secret("a") not in (None, "", "a")


class SecretsHarness(Harness):
    """The engine harness, with the secrets of ENV (read when each run starts)."""

    def session(self, **options: Any) -> Session:
        return Session(RunOptions(config_path=self.config, api_factory=lambda: self.api,
                                  environ=dict(ENV), **options))


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    h = SecretsHarness(tmp_path)
    h.write(CONFIG)
    return h


def _state(harness: Harness) -> dict[str, Any]:
    return json.loads((harness.dir / ".lexsync" / "state.json").read_text())


def _passwords(data: dict[str, Any]) -> list[str]:
    resources = data["resources"]
    return [resources["client.acme"]["attributes"]["password"],
            resources["client.acme.delivery_method.drop"]["attributes"]["ftp"]["password"]]


def test_an_apply_stores_scrypt_hashes(harness: Harness) -> None:
    harness.apply()
    salt = _state(harness)["secret_salt"]
    assert _passwords(_state(harness)) == [_scrypt(ENV["PW"], salt), _scrypt(ENV["FTP_PW"], salt)]
    assert not harness.plan().has_changes


def _make_legacy(harness: Harness) -> None:
    """Rewrite the state as an older lexsync wrote it: SHA-256 hashes, same serial."""
    path = harness.dir / ".lexsync" / "state.json"
    data = json.loads(path.read_text())
    salt = data["secret_salt"]
    resources = data["resources"]
    resources["client.acme"]["attributes"]["password"] = _legacy(ENV["PW"], salt)
    drop = resources["client.acme.delivery_method.drop"]["attributes"]
    drop["ftp"]["password"] = _legacy(ENV["FTP_PW"], salt)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def test_old_style_hashes_plan_no_change_and_are_new_style_after_the_next_apply(
        harness: Harness) -> None:
    harness.apply()
    _make_legacy(harness)
    plan = harness.plan()
    # The unused FTP method cannot be read back: its password is compared with state's hash.
    assert any("drop" in note for note in plan.unobservable)
    assert not plan.has_changes, [c.changes for c in plan.changes if c.changes]
    harness.apply()  # nothing to change; the hashes are rewritten all the same
    salt = _state(harness)["secret_salt"]
    assert _passwords(_state(harness)) == [_scrypt(ENV["PW"], salt), _scrypt(ENV["FTP_PW"], salt)]
    assert "sha256:" not in (harness.dir / ".lexsync" / "state.json").read_text()
    assert not harness.plan().has_changes


def test_an_old_style_hash_of_another_secret_is_still_a_change(harness: Harness) -> None:
    harness.apply()
    _make_legacy(harness)
    before = dict(ENV)
    try:
        ENV["FTP_PW"] = "rotated-ftp-Secret"
        plan = harness.plan()
    finally:
        ENV.update(before)
    [change] = [c for c in plan.changes if c.changes]
    assert change.address == "client.acme.delivery_method.drop"
    assert [(a.path, a.before, a.after) for a in change.changes] == [
        ("ftp.password", "(sensitive)", "(sensitive)")]


class Counting:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        real = secrets.hashlib.scrypt

        def scrypt(*args: Any, **kwargs: Any) -> bytes:
            self.calls += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(secrets.hashlib, "scrypt", scrypt)
        secrets.clear_cache()


def test_a_no_change_plan_computes_one_scrypt_for_its_digests_whatever_the_secrets(
        harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    clients = "\n".join(
        f"  c{i}:\n    username: c{i}-portal\n    password: pw-{i}-distinct" for i in range(20))
    harness.write(BASE_CONFIG.replace("clients:\n", "clients:\n" + clients + "\n"))
    harness.apply()
    counting = Counting(monkeypatch)
    bundle, _ = aio.run(harness.session().plan())
    assert not bundle.plan.has_changes
    # 21 portal passwords compared as configured and as read, with no scrypt; the plan's
    # digest of the desired values hashes all of them together, once.
    assert counting.calls == 1
    bundle.plan.to_dict()  # saving it computes nothing more
    assert counting.calls == 1


def test_a_method_leadexec_cannot_show_costs_one_scrypt_per_secret(
        harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    harness.apply()
    counting = Counting(monkeypatch)
    bundle, _ = aio.run(harness.session().plan())
    assert not bundle.plan.has_changes
    # Its FTP password against the hash state keeps, and the plan's digest of desired values.
    assert counting.calls == 2


def test_a_saved_plan_is_stale_when_a_secret_changed_though_the_changes_read_alike(
        harness: Harness) -> None:
    harness.apply()
    # Someone changes the portal password in LeadExec: the plan sets it back.
    [uid] = harness.api.clients
    harness.api.clients[uid]["Password"] = "changed-in-the-ui"
    saved = harness.plan()
    saved_dict = saved.to_dict()
    check_not_stale(type(saved).from_dict(saved_dict), harness.plan())
    ENV["PW"] = "rotated-before-apply"
    try:
        fresh = harness.plan()
    finally:
        ENV["PW"] = "s3cret-portal"
    assert [c.changes for c in fresh.changes if c.changes] == \
        [c.changes for c in saved.changes if c.changes]
    with pytest.raises(PlanStaleError, match="the configuration changed since"):
        check_not_stale(type(saved).from_dict(saved_dict), fresh)


def test_hashing_runs_off_the_event_loop_thread_safely() -> None:
    doc = StateDocument(lineage="l", secret_salt=SALT)

    async def many() -> list[str]:
        values = [doc.hash_secret(f"pw{i % 3}") for i in range(12)]
        return await asyncio.gather(*(asyncio.to_thread(secrets.stored, v) for v in values))

    stored = asyncio.run(many())
    assert stored == [_scrypt(f"pw{i % 3}") for i in range(12)]


def test_an_apply_hashes_new_secrets_on_worker_threads_not_the_event_loop(
        harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    clients = "\n".join(
        f"  c{i}:\n    username: c{i}-portal\n    password: pw-{i}-distinct" for i in range(8))
    harness.write(BASE_CONFIG.replace("clients:\n", "clients:\n" + clients + "\n"))
    threads: list[bool] = []
    real = secrets.hashlib.scrypt

    def scrypt(*args: Any, **kwargs: Any) -> bytes:
        threads.append(threading.current_thread() is threading.main_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(secrets.hashlib, "scrypt", scrypt)
    secrets.clear_cache()
    # aio.run, as the command line (asyncio.run would repr() the plan, digests included).
    _, result = aio.run(harness.session().apply(lambda plan: True))
    assert result is not None and not result.failed
    # The plan's one digest of desired values is made on the loop's thread; the 9 portal
    # passwords written to state, and the fingerprint of the API key state records to know its
    # LeadExec, are hashed on worker threads.
    assert len(threads) == 11 and threads.count(True) == 1
