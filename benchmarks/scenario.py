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
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rich.console import Console

from benchmarks.workload import ENVIRONMENT
from lexsync.engine import aio
from lexsync.engine import session as session_module
from lexsync.engine.session import RunOptions, Session
from lexsync.render.text import render_plan

CREDENTIALS = {"LEADEXEC_API_KEY": "sandbox-key", "LEADEXEC_CLIENT_ID": "sandbox",
               "LEADEXEC_CLIENT_SECRET": "sandbox-secret"}


class Clock:
    """CPU seconds spent inside one wrapped coroutine function (nothing else runs meanwhile
    that is not part of it: the plan awaits the catalog and the refresh one after the other)."""

    def __init__(self) -> None:
        self.cpu = 0.0
        self.wall = 0.0

    def wrap(self, func: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def timed(*args: Any, **kwargs: Any) -> Any:
            cpu, wall = time.process_time(), time.perf_counter()
            try:
                return await func(*args, **kwargs)
            finally:
                self.cpu += time.process_time() - cpu
                self.wall += time.perf_counter() - wall
        return timed


def run(kind: str, directory: Path, url: str, targets: tuple[str, ...], parallelism: int) -> dict[str, Any]:
    reads = Clock()
    session_module.refresh = reads.wrap(session_module.refresh)  # type: ignore[assignment]
    catalog_load = session_module.Catalog.load
    session_module.Catalog.load = reads.wrap(catalog_load)  # type: ignore[method-assign]

    wall0, cpu0 = time.perf_counter(), time.process_time()
    options = RunOptions(config_path=directory / "lexsync.yaml", api_url=url,
                         environ={**CREDENTIALS, **ENVIRONMENT}, targets=targets, parallelism=parallelism)
    session = Session(options)
    load_cpu = time.process_time() - cpu0
    out: dict[str, Any] = {}
    if kind == "plan":
        bundle, _state = aio.run(session.plan())
        plan = bundle.plan
    else:
        plan, result = aio.run(session.apply(lambda _plan: True))
        if result is not None:
            out["failed"] = [o.error for o in result.failed][:3]
            out["verify_problems"] = result.verify_problems[:3]
    cpu_plan = time.process_time() - cpu0
    render_cpu0 = time.process_time()
    render_plan(plan, Console(file=io.StringIO(), width=120, no_color=True))
    render_cpu = time.process_time() - render_cpu0
    out.update({
        "wall": time.perf_counter() - wall0,
        "cpu_total": time.process_time() - cpu0,
        "cpu_load": load_cpu,
        "cpu_reads": reads.cpu,  # catalog + refresh: HTTP and XML decoding
        "cpu_diff": cpu_plan - load_cpu - reads.cpu,  # includes apply's own CPU when applying
        "cpu_render": render_cpu,
        "wall_reads": reads.wall,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "counts": plan.counts(),
    })
    return out


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
