"""The `lexsync` command, started as its console script starts it, with the CPU of its phases.

    python benchmarks/scenario.py PHASES_JSON plan -c DIR --api URL ...

Runs the `lexsync` console script's function (`lexsync.cli.main:run`; `main` in a checkout
older than it) with the arguments after PHASES_JSON, exactly as the `lexsync`
script does, after wrapping the few functions that make up each phase so that their CPU time
(on whichever thread runs them) is added up. At exit it writes one JSON object to PHASES_JSON:
CPU seconds of `load` (reading and validating the configuration, plus any child process),
`diff` (expanding the configuration, observing live objects, comparing, building the plan)
and `render` (printing the plan), and `peak_mb`, the process's own peak RSS (`peak_rss`). run.py times the process itself from outside, start to exit.

This file imports nothing of the benchmarks package: run.py also runs it against another
checkout (`--compare`), whose `lexsync` comes first on PYTHONPATH. The phases are found by
name; a name an older checkout lacks, or one it has that this one does not, is skipped.
"""

from __future__ import annotations

import atexit
import importlib
import json
import resource
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

# (phase, module, attribute path): the functions whose CPU makes up each phase.
PHASES = [
    ("load", "lexsync.engine.session", "load_configuration"),
    ("load", "lexsync.engine.session", "preview_settings"),
    ("diff", "lexsync.engine.session", "expand_configuration"),
    ("diff", "lexsync.engine.session", "expand"),
    ("diff", "lexsync.engine.session", "build_plan"),
    ("diff", "lexsync.engine.session", "PlanBuilder.add"),
    ("diff", "lexsync.engine.session", "PlanBuilder.finish"),
    ("diff", "lexsync.engine.session", "Session._expand"),
    ("diff", "lexsync.engine.observe", "EarlyObserver.observe_client"),
    ("diff", "lexsync.engine.observe", "EarlyObserver.prepare_steps"),
    ("render", "lexsync.render.text", "render_plan"),
]


_inside = threading.local()  # the phases the current thread is timing: counted once


def timed(phase: str, func: Callable[..., Any], cpu: dict[str, float]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        phases = _inside.__dict__.setdefault("phases", set())
        if phase in phases:  # a timed function calling another of its phase
            return func(*args, **kwargs)
        phases.add(phase)
        start = time.thread_time()
        try:
            return func(*args, **kwargs)
        finally:
            cpu[phase] += time.thread_time() - start
            phases.discard(phase)
    return run


def wrap_phases(cpu: dict[str, float]) -> None:
    for phase, module_name, path in PHASES:
        try:
            owner: Any = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        *parents, name = path.split(".")
        for parent in parents:
            owner = getattr(owner, parent, None)
        if owner is not None and hasattr(owner, name):
            setattr(owner, name, timed(phase, getattr(owner, name), cpu))


def peak_rss() -> dict[str, float]:
    """This process's own peak RSS in MB (Linux: the high-water mark of its memory since its
    exec). `wait4` and `getrusage` report the larger of that and the RSS of the process that
    started it: Linux carries a parent's peak into a child it forks, and across exec, so a
    small plan started by a benchmark that holds a large network shows the benchmark's size."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return {"peak_mb": int(line.split()[1]) / 1024}
    except OSError:
        pass
    return {}


def main() -> None:
    out = sys.argv[1]
    cpu = {"load": 0.0, "diff": 0.0, "render": 0.0}
    wrap_phases(cpu)

    def report() -> None:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu["load"] += children.ru_utime + children.ru_stime  # a child parsing the YAML, if any
        with open(out, "w", encoding="utf-8") as file:
            json.dump({**cpu, **peak_rss()}, file)

    atexit.register(report)
    import lexsync.cli.main as cli

    lexsync = getattr(cli, "run", cli.main)  # the console script's function

    sys.argv = ["lexsync", *sys.argv[2:]]
    sys.exit(lexsync())


if __name__ == "__main__":
    main()
