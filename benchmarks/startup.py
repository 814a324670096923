"""How long `lexsync --help` and `lexsync validate` of the quick start take, whole process.

    python benchmarks/startup.py [--runs 15] [--compare ROOT]

Each command runs `--runs` times in a new process, alternating with the interpreter alone
(`python -c pass`) and, with `--compare ROOT`, with another checkout's lexsync, so that all
see the machine as it was then. The modules are compiled first (`compileall`), as an installed
package is: a checkout run with PYTHONDONTWRITEBYTECODE would compile lexsync on every start.
Prints the fastest and the median wall time of each; asserts nothing.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "examples" / "quickstart"
COMMANDS = {
    "python -c pass": ["-c", "pass"],
    "lexsync --help": ["-m", "lexsync.cli.main", "--help"],
    "lexsync validate (quickstart)": ["-m", "lexsync.cli.main", "validate"],
}


def wall(root: Path, args: list[str]) -> float:
    env = {**os.environ, "PYTHONPATH": str(root), "ACME_PORTAL_PASSWORD": "startup-benchmark"}
    started = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=QUICKSTART, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--compare", type=Path, default=None, metavar="ROOT",
                        help="also time the lexsync package at ROOT (run with this Python)")
    args = parser.parse_args()
    roots = {"this": ROOT}
    if args.compare is not None:
        roots["other"] = args.compare.resolve()
    for root in roots.values():
        compileall.compile_dir(str(root / "lexsync"), quiet=1)
    times: dict[tuple[str, str], list[float]] = {}
    for _ in range(args.runs):
        for name, command in COMMANDS.items():
            for code, root in roots.items():
                if command[0] == "-c" and code != "this":
                    continue
                times.setdefault((name, code), []).append(wall(root, command))
    print(f"| command | code | fastest s | median s |  ({args.runs} runs, {os.cpu_count()} CPUs)")
    print("|---|---|---|---|")
    for (name, code), runs in times.items():
        print(f"| {name} | {code} | {min(runs):.3f} | {statistics.median(runs):.3f} |")


if __name__ == "__main__":
    main()
