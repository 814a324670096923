"""`lexsync state resolve`: settling a delivery-method create whose answer was lost.

A real lost answer makes the marker: the sandbox in-process behind a transport that drops
the connection of the first method create, after the sandbox saved it or before it saw it.
Each accepted form must leave state true (the next apply converges: one method, recorded,
no marker, then an empty plan); each refusal must say why, exit non-zero and leave the
state file as it was."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from lexsync.cli.main import main
from lexsync.cli.sandbox_mode import SANDBOX_CREDENTIALS, SANDBOX_URL, in_process_sandbox
from lexsync.engine.session import RunOptions, Session
from lexsync.state.local import LocalBackend
from tests.reliability.harness import PASSWORDS, copy_example_in

METHOD = "client.acme.delivery_method.acme-post"
ACCOUNT = "client.acme.delivery_account.acme-ca"


class LostMethodAnswer(httpx.AsyncBaseTransport):
    """The sandbox, but the create of method acme-post gets no answer: the connection drops
    after the sandbox saved it (`saved`) or before it reached it."""

    def __init__(self, inner: httpx.AsyncBaseTransport, saved: bool) -> None:
        self.inner, self.saved, self.dropped = inner, saved, False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        creates_method = (request.method == "PUT" and request.url.path.endswith("/methods")) \
            or b"<AddEditClientDelivery" in request.content
        if creates_method and b"acme-post" in request.content and not self.dropped:
            self.dropped = True
            if self.saved:
                await self.inner.handle_async_request(request)
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.",
                                            request=request)
        return await self.inner.handle_async_request(request)


# A second method, which no account uses; its create is answered.
BACKUP = """      acme-backup:
        type: http_post
        lead_type: Auto Insurance
        url: https://acme.example/backup
"""


class Project:
    """An example applied once through a lost method answer, and the sandbox it went to."""

    def __init__(self, tmp_path: Path, dialect: str, saved: bool, backup: bool = False) -> None:
        self.config = copy_example_in("quickstart", tmp_path, dialect) / "lexsync.yaml"
        if backup:
            text = self.config.read_text()
            self.config.write_text(text.replace("    delivery_methods:\n", "    delivery_methods:\n" + BACKUP))
        self.sandbox, _, _ = in_process_sandbox(self.config.parent)
        self.state = self.config.parent / ".lexsync" / "state.json"
        _, result = self.apply(LostMethodAnswer(self.sandbox, saved))
        assert result is not None
        assert [o.address for o in result.failed] == [METHOD]
        assert [o.address for o in result.skipped] == [ACCOUNT]
        assert f"lexsync state resolve {METHOD} --id ID" in (result.failed[0].error or "")
        assert set(self.load().pending) == {METHOD}

    def session(self, transport: httpx.AsyncBaseTransport | None = None) -> Session:
        return Session(RunOptions(config_path=self.config, transport=transport or self.sandbox,
                                  api_url=SANDBOX_URL, default_credentials=dict(SANDBOX_CREDENTIALS),
                                  environ=PASSWORDS))

    def apply(self, transport: httpx.AsyncBaseTransport | None = None) -> tuple[Any, Any]:
        return asyncio.run(self.session(transport).apply(lambda plan: True))

    def plan_changes(self) -> list[str]:
        bundle, _ = asyncio.run(self.session().plan())
        return [c.address for c in bundle.plan.actionable]

    def load(self) -> Any:
        return LocalBackend(self.state).load()

    def methods(self) -> list[int]:
        async def dump() -> dict[str, Any]:
            async with httpx.AsyncClient(transport=self.sandbox, base_url=SANDBOX_URL) as http:
                return (await http.get("/_sandbox/dump")).json()
        return [m["ClientDeliveryUID"] for m in asyncio.run(dump())["methods"]]

    def resolve(self, *args: str) -> Any:
        return CliRunner().invoke(main, ["state", "resolve", *args, "-c", str(self.config)],
                                  env=PASSWORDS)

    def assert_true(self) -> None:
        """State and LeadExec agree: an apply creates what is left, then nothing differs."""
        _, result = self.apply()
        assert result is not None and not result.failed, result
        state = self.load()
        assert not state.pending
        recorded = sorted(r.remote_id for r in state.resources.values() if r.kind == "delivery_method")
        assert sorted(self.methods()) == recorded  # nothing created twice, nothing unrecorded
        assert state.resources[METHOD].remote_id in recorded
        assert state.resources[ACCOUNT].remote_id > 0
        assert self.plan_changes() == []


@pytest.mark.parametrize("dialect", ["rest", "soap"])
def test_id_records_the_method_leadexec_saved(tmp_path: Path, dialect: str) -> None:
    project = Project(tmp_path, dialect, saved=True)
    [saved] = project.methods()
    result = project.resolve(METHOD, "--id", str(saved))
    assert result.exit_code == 0, result.output
    assert result.output == f"{METHOD}: recorded with ID {saved}\n"
    state = project.load()
    assert not state.pending and state.resources[METHOD].remote_id == saved
    assert state.resources[METHOD].parent_id == state.resources["client.acme"].remote_id
    project.assert_true()


@pytest.mark.parametrize("dialect", ["rest", "soap"])
def test_absent_lets_the_next_apply_create_it(tmp_path: Path, dialect: str) -> None:
    project = Project(tmp_path, dialect, saved=False)
    assert project.methods() == []
    result = project.resolve(METHOD, "--absent")
    assert result.exit_code == 0, result.output
    assert result.output == f"{METHOD}: recorded as not created; the next apply creates it\n"
    assert not project.load().pending and METHOD not in project.load().resources
    assert project.plan_changes() == [METHOD, ACCOUNT]
    project.assert_true()


REFUSALS = [
    (["client.acme.delivery_method.nope", "--id", "7"], 1,
     f"client.acme.delivery_method.nope has no unconfirmed create (unconfirmed: {METHOD})"),
    (["client.acme", "--absent"], 1, f"client.acme has no unconfirmed create (unconfirmed: {METHOD})"),
    ([METHOD], 1, "give exactly one of --id ID and --absent"),
    ([METHOD, "--id", "7", "--absent"], 1, "give exactly one of --id ID and --absent"),
    ([METHOD, "--id", "abc"], 2, "'abc' is not a valid integer"),
    ([METHOD, "--id", "0"], 2, "0 is not in the range x>=1"),
    ([METHOD, "--id", "-5"], 2, "-5 is not in the range x>=1"),
]


def test_refusals_leave_state_as_it_was(tmp_path: Path) -> None:
    project = Project(tmp_path, "rest", saved=True)
    before = project.state.read_bytes()
    for args, code, message in REFUSALS:
        result = project.resolve(*args)
        assert result.exit_code == code, (args, result.output)
        assert message in result.output and "Traceback" not in result.output, (args, result.output)
        assert project.state.read_bytes() == before, args
    # The marker is still there to settle properly.
    [saved] = project.methods()
    assert project.resolve(METHOD, "--id", str(saved)).exit_code == 0
    project.assert_true()


def test_an_id_state_gives_another_method_is_refused(tmp_path: Path) -> None:
    project = Project(tmp_path, "rest", saved=True, backup=True)
    backup = project.load().resources["client.acme.delivery_method.acme-backup"].remote_id
    before = project.state.read_bytes()
    result = project.resolve(METHOD, "--id", str(backup))
    assert result.exit_code == 1
    assert result.output == (f"Error: ID {backup} is already recorded for client.acme.delivery_method"
                             f".acme-backup; give the ID LeadExec shows for {METHOD}\n")
    assert project.state.read_bytes() == before
    [saved] = set(project.methods()) - {backup}
    assert project.resolve(METHOD, "--id", str(saved)).exit_code == 0
    project.assert_true()


def test_nothing_pending_is_refused(tmp_path: Path) -> None:
    project = Project(tmp_path, "rest", saved=False)
    assert project.resolve(METHOD, "--absent").exit_code == 0
    project.assert_true()
    before = project.state.read_bytes()
    for flag in (["--absent"], ["--id", str(project.load().resources[METHOD].remote_id)]):
        result = project.resolve(METHOD, *flag)
        assert result.exit_code == 1
        assert result.output == f"Error: {METHOD} has no unconfirmed create (unconfirmed: none)\n"
        assert project.state.read_bytes() == before
    assert project.plan_changes() == []


def test_without_a_state_it_is_refused(tmp_path: Path) -> None:
    config = copy_example_in("quickstart", tmp_path, "rest")
    result = CliRunner().invoke(main, ["state", "resolve", METHOD, "--absent", "-c", str(config)],
                                env=PASSWORDS)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "nothing has been applied or imported" in result.output
    assert not (config / ".lexsync" / "state.json").exists()
