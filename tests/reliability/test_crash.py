"""SIGKILL `lexsync apply` at every write boundary; the next apply finishes the job.

The sandbox holds the answer to its Nth write ("after": committed, answer not yet sent;
"before": not processed at all) and the test kills the CLI while it waits. The state file
must still load, and the next apply must converge with no duplicate and no orphan.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.conftest import Box
from tests.reliability.harness import (
    MAX_RUNS,
    assert_converged,
    copy_example,
    kill_at_write,
    load_state,
    report,
    resolve_unconfirmed,
    run,
)

QUICKSTART_WRITES = 4  # group, client, method, account: checked by the first test
# A spread over the 47 writes of insurance-network: first, each kind's first, mid, last.
NETWORK_SAMPLE = (1, 3, 12, 30, 47)


def test_quickstart_write_count(box: Box, tmp_path: Path) -> None:
    config = copy_example("quickstart", tmp_path)
    assert run(box.url, config, "apply", "--auto-approve").returncode == 0
    assert box.writes() == QUICKSTART_WRITES


def finish(box: Box, config: Path) -> int:
    """Apply again until clean, doing what any error message asks; returns resolutions made."""
    resolved = 0
    for _ in range(MAX_RUNS):
        result = run(box.url, config, "apply", "--auto-approve")
        output = result.stdout + result.stderr
        assert "Traceback" not in output and "internal error" not in output, output
        if result.returncode == 0:
            return resolved
        found = resolve_unconfirmed(box.url, config, output, box.dump())
        assert found, output  # the only acceptable failure after a crash is an unconfirmed method
        resolved += found
    pytest.fail(f"no clean apply after the crash:\n{output}")


CASES = [("quickstart", n, mode) for n in range(1, QUICKSTART_WRITES + 1) for mode in ("after", "before")]
CASES += [("insurance-network", n, "after") for n in NETWORK_SAMPLE]


@pytest.fixture(scope="module")
def figures() -> Iterator[dict[str, int]]:
    """Kills and resolutions of this module's run, appended to the reliability report after it."""
    counts = {"kills": 0, "resolutions": 0}
    yield counts
    if counts["kills"]:
        report("crash", counts)


@pytest.mark.parametrize("example,n,mode", CASES)
def test_killed_apply_converges(box: Box, tmp_path: Path, figures: dict[str, int], example: str,
                                n: int, mode: str) -> None:
    config = copy_example(example, tmp_path)
    assert kill_at_write(box, config, n, mode), f"apply never reached write {n}"
    figures["kills"] += 1
    state = load_state(config)  # loads, or raises: a torn state file fails here
    if mode == "after":
        assert state.pending, "the write in flight must be marked pending before it is sent"
    figures["resolutions"] += finish(box, config)
    assert_converged(box.url, config, box.dump(), example)
