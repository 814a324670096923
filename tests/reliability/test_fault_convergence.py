"""10% faults of every kind, many seeds: each example converges with no duplicate, no orphan,
in both write dialects.

The real CLI runs against the sandbox on a socket; a run that ends in error is simply run
again, as CI would. Convergence means: the last run exits 0, a fault-free plan is empty, the
store holds exactly the example's objects once each, and state records exactly those.
LEXSYNC_SOAK_SEEDS=N raises the seed count (default: 5 quickstart seeds and 2 network seeds
in rest, 3 and 1 in soap, whose reads are the same and whose writes are fewer kinds).
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
    copy_example_in,
    report,
    resolve_unconfirmed,
    run,
    seeds,
)

DIALECTS = ("rest", "soap")


def write_dialects(box: Box) -> set[str]:
    """The dialects the writes since the last reset came in (client groups, written with
    SOAP in both, left out)."""
    names = [name for name, count in box.requests().items() if count]
    return ({"rest" for name in names if name.startswith(("PUT /v1", "PATCH /v1"))}
            | {"soap" for name in names if name.startswith("AddEdit") and name != "AddEditClientGroup"})


def converge_under_faults(box: Box, config: Path, seed: int, rate: float = 0.1,
                          first: tuple[str, ...] = ()) -> Counter[str]:
    """Apply until a run succeeds, `first` faults forced on the first requests; returns the
    run's figures: faults injected per kind (the sandbox counts them since it started, so
    this run's are a difference), applies and unconfirmed methods resolved."""
    before = Counter(box.faults(fault_rate=0)["injected"])
    box.faults(fault_rate=rate, seed=seed, fault_kinds=list(FAULT_KINDS), retry_after_seconds=1,
               lost_answer_mode="random", next=[{"kind": kind} for kind in first])
    figures: Counter[str] = Counter()
    for _attempt in range(MAX_RUNS):
        result = run(box.url, config, "apply", "--auto-approve")
        figures["applies"] += 1
        output = result.stdout + result.stderr
        assert "Traceback" not in output and "internal error" not in output, output
        if result.returncode == 0:
            figures.update(Counter(box.faults(fault_rate=0)["injected"]) - before)
            return figures
        assert result.returncode == 1, output
        figures["unconfirmed methods resolved"] += resolve_unconfirmed(box.url, config, output,
                                                                       box.dump())
    pytest.fail(f"seed {seed}: no clean apply in {MAX_RUNS} runs:\n{output}")


def cases() -> list[tuple[str, str, int]]:
    return ([("rest", "quickstart", s) for s in seeds(5)]
            + [("rest", "insurance-network", s) for s in seeds(2)]
            + [("soap", "quickstart", s) for s in seeds(3)]
            + [("soap", "insurance-network", s) for s in seeds(1)])


@pytest.mark.parametrize("dialect,example,seed", cases())
def test_example_converges_under_faults(box: Box, tmp_path: Path, dialect: str, example: str,
                                        seed: int) -> None:
    config = copy_example_in(example, tmp_path, dialect)
    figures = converge_under_faults(box, config, seed)
    assert write_dialects(box) == {dialect}
    assert_converged(box.url, config, box.dump(), example)
    report("faults", {"dialect": dialect, "example": example, "seed": seed, **figures})


@pytest.mark.parametrize("dialect", DIALECTS)
def test_heavy_faults_still_converge(box: Box, tmp_path: Path, dialect: str) -> None:
    # 30% faults: most calls see at least one, including lost answers of creates.
    config = copy_example_in("quickstart", tmp_path, dialect)
    figures = converge_under_faults(box, config, seed=1000, rate=0.3)
    assert write_dialects(box) == {dialect}
    assert_converged(box.url, config, box.dump(), "quickstart")
    report("faults", {"dialect": dialect, "example": "quickstart", "seed": 1000, **figures})


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_fault_kind_is_injected_and_survived(box: Box, tmp_path: Path, dialect: str) -> None:
    """Guards the suite itself within one test (so whatever runs where under pytest-xdist):
    each kind is served at least once, one of each forced first, and the run converges."""
    config = copy_example_in("quickstart", tmp_path, dialect)
    figures = converge_under_faults(box, config, seed=7, first=FAULT_KINDS)
    assert {kind: figures[kind] >= 1 for kind in FAULT_KINDS} == dict.fromkeys(FAULT_KINDS, True)
    assert write_dialects(box) == {dialect}
    assert_converged(box.url, config, box.dump(), "quickstart")
    report("faults", {"dialect": dialect, "example": "quickstart", "seed": 7, **figures})
