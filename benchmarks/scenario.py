"""One benchmark scenario in its own process, so its CPU time and peak memory are its own.

Prints one JSON object: wall and CPU seconds per phase, ru_maxrss, the plan's counts.
Run by `run.py`; usable alone: python -m benchmarks.scenario plan DIR URL [--target ADDR].
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console

from benchmarks.workload import ENVIRONMENT
from lexsync.engine import aio
from lexsync.engine import session as session_module
from lexsync.engine.observe import EarlyObserver
from lexsync.engine.session import RunOptions, Session
from lexsync.render.text import render_plan

CREDENTIALS = {"LEADEXEC_API_KEY": "sandbox-key", "LEADEXEC_CLIENT_ID": "sandbox",
               "LEADEXEC_CLIENT_SECRET": "sandbox-secret"}


class ThreadCpu:
    """CPU seconds spent inside wrapped synchronous functions, on whichever thread runs them
    (the plan expands the configuration on a worker thread while the event loop reads)."""

    def __init__(self) -> None:
        self.cpu = 0.0

    def wrap(self, func: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.thread_time()
            try:
                return func(*args, **kwargs)
            finally:
                self.cpu += time.thread_time() - start
        return timed


def run(kind: str, directory: Path, url: str, targets: tuple[str, ...], parallelism: int) -> dict[str, Any]:
    # "load": reading the `lexsync:` block ahead, then the whole configuration (on a worker
    # thread while the reads run; a large one is parsed by a child process, whose CPU counts
    # here too). "diff": expanding the configuration, observing live
    # objects, comparing and building the plan. Whatever else the plan spends is "reads":
    # HTTP, XML decoding and the event loop.
    load = ThreadCpu()
    session_module.load_configuration = load.wrap(session_module.load_configuration)
    diff = ThreadCpu()
    Session._expand = diff.wrap(Session._expand)  # type: ignore[method-assign]
    EarlyObserver.observe_client = diff.wrap(EarlyObserver.observe_client)  # type: ignore[method-assign]
    session_module.build_plan = diff.wrap(session_module.build_plan)

    aio.collect_less()  # as the command line does
    wall0, cpu0, children0 = time.perf_counter(), time.process_time(), _children_cpu()
    options = RunOptions(config_path=directory / "lexsync.yaml", api_url=url,
                         environ={**CREDENTIALS, **ENVIRONMENT}, targets=targets, parallelism=parallelism)
    session = Session(options)
    init_cpu = time.process_time() - cpu0  # the preview, or the whole load when there is none
    load.cpu = 0.0
    out: dict[str, Any] = {}
    if kind == "plan":
        bundle, _state = aio.run(session.plan())
        plan = bundle.plan
    else:
        plan, result = aio.run(session.apply(lambda _plan: True))
        if result is not None:
            out["failed"] = [o.error for o in result.failed][:3]
            out["verify_problems"] = result.verify_problems[:3]
    children_cpu = _children_cpu() - children0
    load_cpu = init_cpu + load.cpu + children_cpu
    cpu_plan = time.process_time() - cpu0 - init_cpu - load.cpu
    render_cpu0 = time.process_time()
    render_plan(plan, Console(file=io.StringIO(), width=120, no_color=True))
    render_cpu = time.process_time() - render_cpu0
    out.update({
        "wall": time.perf_counter() - wall0,
        "cpu_total": time.process_time() - cpu0 + children_cpu,
        "cpu_load": load_cpu,
        "cpu_reads": cpu_plan - diff.cpu,  # for an apply, also the writes and the journal
        "cpu_diff": diff.cpu,
        "cpu_render": render_cpu,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "counts": plan.counts(),
    })
    return out


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["plan", "apply"])
    parser.add_argument("directory", type=Path)
    parser.add_argument("url")
    parser.add_argument("--target", action="append", default=[])
    parser.add_argument("--parallelism", type=int, default=16)
    args = parser.parse_args(argv)
    result = run(args.kind, args.directory, args.url, tuple(args.target), args.parallelism)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
