"""scenario.py reports the CLI process's own peak memory, not the benchmark's that started
it: Linux carries a parent's peak RSS into its child's `wait4` figure."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SCENARIO = Path(__file__).resolve().parents[2] / "benchmarks" / "scenario.py"


def test_the_peak_is_the_commands_own_however_large_the_benchmark(tmp_path: Path) -> None:
    held = bytearray(256 * 2**20)  # the benchmark holding a grown network
    held[::4096] = b"\1" * len(held[::4096])  # touched: resident
    phases = tmp_path / "phases.json"
    process = subprocess.Popen([sys.executable, str(SCENARIO), str(phases), "--help"],
                               stdout=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(process.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    reported = json.loads(phases.read_text(encoding="utf-8"))
    assert usage.ru_maxrss / 1024 >= 256  # wait4: the parent's peak
    assert 0 < reported["peak_mb"] < 128  # `lexsync --help`: the interpreter and click
    assert set(reported) == {"load", "diff", "render", "peak_mb"}
    del held
