"""The collector's setting for one CLI run (engine/collector.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from lexsync import collector


@pytest.fixture
def restored(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    thresholds = gc.get_threshold()
    monkeypatch.setattr(collector, "_one_run", False)
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_outside_a_cli_run_nothing_is_frozen(restored: None) -> None:
    gc.unfreeze()
    collector.keep_until_the_end()
    assert gc.get_freeze_count() == 0


def test_a_cli_run_collects_less_often_and_freezes_each_phase(restored: None) -> None:
    gc.unfreeze()
    collector.set_for_one_run()
    assert gc.get_threshold() == collector.RUN_THRESHOLDS
    loaded = [{"phase": n} for n in range(100)]
    collector.keep_until_the_end()
    assert gc.get_freeze_count() >= len(loaded)


def test_the_cli_sets_the_collector_for_its_run_and_gives_it_back(
        restored: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from lexsync.cli.main import main
    from lexsync.config import schema

    during: list[tuple[tuple[int, ...], int]] = []

    def a_phase_of_the_command() -> dict:
        collector.keep_until_the_end()  # as a plan does after each phase
        during.append((gc.get_threshold(), gc.get_freeze_count()))
        return {}

    monkeypatch.setattr(schema, "generate_schema", a_phase_of_the_command)
    gc.set_threshold(700, 10, 10)
    assert CliRunner().invoke(main, ["schema"]).exit_code == 0
    [(thresholds, frozen)] = during
    assert thresholds == collector.RUN_THRESHOLDS and frozen > 0
    # Once the command ended, a program running commands in its own process collects as
    # before: the thresholds it had, nothing left frozen.
    assert gc.get_threshold() == (700, 10, 10) and gc.get_freeze_count() == 0


def test_the_sandbox_server_keeps_the_collectors_defaults(
        restored: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # A server runs until stopped: collecting less often would let its garbage grow.
    from click.testing import CliRunner

    from lexsync.cli.main import main
    from lexsync.sandbox import server

    seen: list[tuple[int, ...]] = []
    monkeypatch.setattr(server, "serve", lambda *_a, **_k: seen.append(gc.get_threshold()))
    gc.set_threshold(700, 10, 10)
    result = CliRunner().invoke(main, ["sandbox", "serve"])
    assert result.exit_code == 0, result.output
    assert seen == [(700, 10, 10)]


def test_the_program_leaves_what_is_alive_frozen_as_it_exits(
        restored: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    # The console script's function: the command gives the collector back as in-process
    # callers need, then everything alive is frozen so the interpreter's last collection
    # walks nothing. Its exit code is the command's.
    from lexsync.cli.main import run

    gc.unfreeze()
    monkeypatch.setattr("sys.argv", ["lexsync", "schema"])
    with pytest.raises(SystemExit) as exited:
        run()
    assert exited.value.code == 0
    assert '"$schema"' in capsys.readouterr().out
    assert gc.get_freeze_count() > 0
    gc.unfreeze()
    monkeypatch.setattr("sys.argv", ["lexsync", "no-such-command"])
    with pytest.raises(SystemExit) as exited:
        run()
    assert exited.value.code == 2
    assert gc.get_freeze_count() > 0
