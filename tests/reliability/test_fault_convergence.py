"""10% faults of every kind, many seeds: each example converges with no duplicate, no orphan.

The real CLI runs against the sandbox on a socket; a run that ends in error is simply run
again, as CI would. Convergence means: the last run exits 0, a fault-free plan is empty, the
store holds exactly the example's objects once each, and state records exactly those.
LEXSYNC_SOAK_SEEDS=N raises the seed count (default: 5 quickstart seeds, 2 network seeds).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from lexsync.sandbox.config import FAULT_KINDS
from tests.reliability.conftest import Box
from tests.reliability.harness import (
    MAX_RUNS,
    assert_converged,
    copy_example,
    report,
    resolve_unconfirmed,
    run,
    seeds,
)

INJECTED: Counter[str] = Counter()
RUNS: Counter[str] = Counter()


def converge_under_faults(box: Box, config: Path, seed: int, rate: float = 0.1) -> int:
    """Apply until a run succeeds; returns how many runs it took."""
    box.faults(fault_rate=rate, seed=seed, fault_kinds=list(FAULT_KINDS), retry_after_seconds=1,
               lost_answer_mode="random")
    for attempt in range(1, MAX_RUNS + 1):
        result = run(box.url, config, "apply", "--auto-approve")
        output = result.stdout + result.stderr
        assert "Traceback" not in output and "internal error" not in output, output
        if result.returncode == 0:
            INJECTED.update(box.faults(fault_rate=0)["injected"])
            return attempt
        assert result.returncode == 1, output
        RUNS["unconfirmed methods resolved"] += resolve_unconfirmed(box.url, config, output,
                                                                    box.dump())
    pytest.fail(f"seed {seed}: no clean apply in {MAX_RUNS} runs:\n{output}")


@pytest.mark.parametrize("example,seed", [("quickstart", s) for s in seeds(5)]
                         + [("insurance-network", s) for s in seeds(2)])
def test_example_converges_under_faults(box: Box, tmp_path: Path, example: str, seed: int) -> None:
    config = copy_example(example, tmp_path)
    RUNS["applies"] += converge_under_faults(box, config, seed)
    RUNS["examples converged"] += 1
    assert_converged(box.url, config, box.dump(), example)


def test_heavy_faults_still_converge(box: Box, tmp_path: Path) -> None:
    # 30% faults: most calls see at least one, including lost answers of creates.
    config = copy_example("quickstart", tmp_path)
    RUNS["applies"] += converge_under_faults(box, config, seed=1000, rate=0.3)
    assert_converged(box.url, config, box.dump(), "quickstart")


def test_every_fault_kind_was_injected() -> None:
    """Guards the suite itself: each kind must actually have been exercised."""
    if not RUNS["examples converged"]:
        pytest.skip("run together with the convergence tests")
    assert set(INJECTED) == set(FAULT_KINDS), INJECTED
    report("faults", {"injected": dict(INJECTED), "total_injected": sum(INJECTED.values()),
                      **RUNS, "duplicates": 0})
