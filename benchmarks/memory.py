"""What a no-change plan holds in memory, step by step, in one process.

    python benchmarks/memory.py /tmp/memory-bench/network-1000
    python benchmarks/memory.py /tmp/memory-bench/network-1000 --trace [--by-line]
    python benchmarks/memory.py /tmp/memory-bench/network-1000 --target client.buyer00000

Plans the network a `scale.py --workdir DIR` run set up (DIR/network-N: the configuration,
its state and the sandbox's database) against its sandbox, started in its own process without
latency, as `lexsync plan` does (the plan is rendered as text to /dev/null). At each step of
`Session.make_plan` it prints the process's resident memory and, with `--trace`, what
`tracemalloc` counts as allocated and still alive (slower; its own bookkeeping adds to the
RSS), with the files holding most at the peak. The last line is the process's peak RSS. Prints
figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.run import CREDENTIALS, Sandbox  # noqa: E402
from benchmarks.workload import ENVIRONMENT  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as file:
        return int(file.read().split()[1]) * PAGE / 2**20


def peak_mb() -> float:
    """The process's peak RSS so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Steps:
    """The figures at each step, printed as they come."""

    def __init__(self, trace: bool) -> None:
        self.trace = trace
        self.started = time.perf_counter()
        print(f"{'step':<34} {'s':>6} {'RSS MB':>8} {'peak MB':>8}"
              + (f" {'traced MB':>10}" if trace else ""))

    def mark(self, name: str) -> None:
        line = (f"{name:<34} {time.perf_counter() - self.started:6.1f} {rss_mb():8.0f} "
                f"{peak_mb():8.0f}")
        if self.trace:
            line += f" {tracemalloc.get_traced_memory()[0] / 2**20:10.1f}"
        print(line, flush=True)


def after(steps: Steps, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        result = func(*args, **kwargs)
        steps.mark(name)
        return result
    return run


def after_async(steps: Steps, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    async def run(*args: Any, **kwargs: Any) -> Any:
        result = await func(*args, **kwargs)
        steps.mark(name)
        return result
    return run


def holders(top: int = 15, by_line: bool = False) -> None:
    """The source files (or lines) whose allocations are alive now, largest first."""
    stats = tracemalloc.take_snapshot().statistics("lineno" if by_line else "filename")
    for stat in stats[:top]:
        name = stat.traceback[0].filename
        for marker in ("/lexsync/", "/site-packages/", "/lib/python"):
            if marker in name:
                name = name[name.index(marker) + 1:]
                break
        line = f":{stat.traceback[0].lineno}" if by_line else ""
        print(f"  {stat.size / 2**20:8.1f} MB {stat.count:>9} blocks  {name}{line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("network", type=Path, help="a network scale.py set up: DIR/network-N")
    parser.add_argument("--trace", action="store_true", help="also count allocations (tracemalloc)")
    parser.add_argument("--by-line", action="store_true",
                        help="with --trace, the lines holding most rather than the files")
    parser.add_argument("--target", action="append", default=[],
                        help="plan only this address, as `plan --target` (repeatable)")
    args = parser.parse_args()
    network: Path = args.network.resolve()
    os.environ.update({**CREDENTIALS, **ENVIRONMENT})

    from rich.console import Console

    from lexsync.engine import aio
    from lexsync.engine import session as session_module
    from lexsync.engine.session import RunOptions, Session
    from lexsync.render.text import render_plan

    sandbox = Sandbox(network / "sandbox.db", 0, int((network / "sandbox.port").read_text()))
    try:
        gc.collect()
        if args.trace:
            tracemalloc.start()
        steps = Steps(args.trace)
        steps.mark("start (imports done)")
        session_module.gather_all = after_async(steps, "answers read, observed",
                                                session_module.gather_all)
        session_module.expand = after(steps, "configuration expanded", session_module.expand)
        session_module.build_plan = after(steps, "plan built", session_module.build_plan)
        session_module.refuse_unknown_writes = after(steps, "unknown writes checked",
                                                     session_module.refuse_unknown_writes)
        session_module.wire_limits.check_plan = after(steps, "wire limits checked",
                                                      session_module.wire_limits.check_plan)
        Session.load_state = after(steps, "state loaded", Session.load_state)  # type: ignore[method-assign]
        session = Session(RunOptions(config_path=network, api_url=sandbox.url,
                                     targets=tuple(args.target)))
        steps.mark("configuration loaded")
        bundle, _state = aio.run(session.plan())  # as the CLI runs it (see aio.run)
        steps.mark("plan made")
        if args.trace:
            print("alive at the end of the plan, by the file that allocated it:")
            holders(by_line=args.by_line)
        with open(os.devnull, "w", encoding="utf-8") as devnull:
            render_plan(bundle.plan, Console(file=devnull, width=120))
        steps.mark("plan rendered")
        print(f"{len(bundle.plan.changes)} changes, {len(bundle.plan.actionable)} actionable; "
              f"peak RSS {peak_mb():.0f} MB")
    finally:
        sandbox.close()


if __name__ == "__main__":
    main()
