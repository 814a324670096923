"""How long writing a large local state takes, and the memory it needs.

    python benchmarks/state_write.py /tmp/scale-bench/network-10000/.lexsync/state.json
    python benchmarks/state_write.py STATE --compare ../other-checkout --runs 2

Copies the state file (and its record index, if it has one) to a temporary folder, then, in a
new process per run: loads it as an apply does, adds a pending create and writes it (a changed write), and writes it again (an
unchanged one, which reads the file to find nothing to write). An apply writes state twice:
when its journal starts and when it is folded in at the end. With `--compare ROOT`, ROOT's
lexsync runs too, alternating with this one (its `.venv`'s Python, or `--compare-python`).
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Run in the measured checkout's own process: it prints one JSON line of figures.
_ONE_RUN = """
import json, resource, sys, time
from pathlib import Path
from lexsync.state.local import LocalBackend
backend = LocalBackend(Path(sys.argv[1]))
started = time.perf_counter()
doc = backend.load()
loaded = time.perf_counter()
doc.pending["client.state-write-benchmark"] = {"kind": "client"}
backend.write(doc)
changed = time.perf_counter()
backend.write(doc)
unchanged = time.perf_counter()
print(json.dumps({"load": loaded - started, "changed": changed - loaded,
                  "unchanged": unchanged - changed,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def one_run(python: str, root: Path, state: Path, work: Path) -> dict[str, float]:
    copy = work / "state.json"
    for stale in work.iterdir():
        stale.unlink()
    shutil.copyfile(state, copy)
    index = state.with_name(state.name + ".index")  # the record index written with it, if any
    if index.exists():
        shutil.copyfile(index, work / index.name)
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run([python, "-c", _ONE_RUN, str(copy)], env=env, cwd=root, check=True,
                          capture_output=True, text=True)
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("state", type=Path, help="a local state file (e.g. one scale.py set up)")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--compare", type=Path, help="another checkout, run alternately")
    parser.add_argument("--compare-python", help="the Python of --compare (default: its .venv)")
    args = parser.parse_args()
    codes = [("this", sys.executable, ROOT)]
    if args.compare:
        other = args.compare.resolve()
        codes.append(("other", args.compare_python or str(other / ".venv" / "bin" / "python"),
                      other))
    print(f"{args.state} ({args.state.stat().st_size / 2**20:.0f} MB), {args.runs} runs each")
    print("| code | load s | write, changed s | write, unchanged s | peak MB |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as work:
        for _ in range(args.runs):
            for name, python, root in codes:
                f = one_run(python, root, args.state.resolve(), Path(work))
                print(f"| {name} | {f['load']:.2f} | {f['changed']:.2f} | {f['unchanged']:.2f} "
                      f"| {f['peak_mb']:.0f} |", flush=True)


if __name__ == "__main__":
    main()
