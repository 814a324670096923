"""Mistakes on the command line get a clear message and exit 1, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from lexsync.cli.main import main
from lexsync.cli.sandbox_mode import in_process_sandbox

CREDENTIALS = {"LEADEXEC_API_KEY": "k", "LEADEXEC_CLIENT_ID": "i", "LEADEXEC_CLIENT_SECRET": "s"}


@pytest.mark.parametrize(("args", "message"), [
    (["import"], "needs --out DIR"),
    (["import", "--out", "OUT"], "--all, or --client"),
    (["import", "client.acme"], "usage: lexsync import ADDRESS ID"),
    (["import", "client.acme", "abc"], "usage: lexsync import ADDRESS ID"),
    (["import", "client.acme", "7", "--all"], "takes no --out, --client or --all"),
    (["drift", "-c", "missing.yaml"], "does not exist"),
])
def test_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    args = [str(tmp_path / "out") if a == "OUT" else a for a in args]
    result = CliRunner().invoke(main, args, env=CREDENTIALS)
    assert result.exit_code == 1, result.output
    assert message in result.output and "Traceback" not in result.output


def test_missing_credentials_are_named(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["import", "--out", str(tmp_path), "--all"],
                                env={k: "" for k in CREDENTIALS})
    assert result.exit_code == 1 and "LEADEXEC_API_KEY" in result.output


def test_import_from_the_in_process_sandbox_writes_settings_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    in_process_sandbox(tmp_path)  # the current folder's sandbox, holding no clients yet
    out = tmp_path / "account"
    runner = CliRunner()
    first = runner.invoke(main, ["import", "--out", str(out), "--all", "--api", "sandbox",
                                 "--dialect", "soap"], env={k: "" for k in CREDENTIALS})
    assert first.exit_code == 0, first.output
    assert "Imported 0 clients" in first.output
    assert "Warning: nothing was imported" in first.output
    assert (out / "lexsync.yaml").read_text().endswith("lexsync:\n  dialect: soap\n")
    (out / "lexsync.yaml").write_text("lexsync:\n  dialect: soap   # ours\n")
    again = runner.invoke(main, ["import", "--out", str(out), "--all", "--api", "sandbox"],
                          env={k: "" for k in CREDENTIALS})
    assert again.exit_code == 0, again.output
    assert (out / "lexsync.yaml").read_text() == "lexsync:\n  dialect: soap   # ours\n"
    clash = runner.invoke(main, ["import", "--out", str(out), "--all", "--api", "sandbox",
                                 "--dialect", "rest"], env={k: "" for k in CREDENTIALS})
    assert clash.exit_code == 1 and "differs from the soap dialect" in clash.output
