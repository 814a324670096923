"""CPU time of loading a large configuration (`load_configuration`), in this one process.

    python benchmarks/config_load.py [--clients 1000] [--runs 5] [--workdir DIR]

Writes a network of one file per client beside `lexsync.yaml` (`workload.write_per_client`)
into DIR/network-N, unless it is there already, then loads it `--runs` times, each in a
process forked from this one (lexsync imported, nothing loaded: a CLI run loads once) with
the collector set as a CLI run sets it. Prints the fastest and the median CPU time (user +
system) of the load alone and the fastest per client; asserts nothing.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.workload import Shape, write_per_client  # noqa: E402
from lexsync import collector  # noqa: E402
from lexsync.config.loader import load_configuration  # noqa: E402

ENVIRON = {"BUYER_PASSWORD": "config-load-benchmark"}


def network(workdir: Path, clients: int) -> Path:
    folder = workdir / f"network-{clients}"
    if len(list(folder.glob("buyer*.yaml"))) != clients:
        write_per_client(folder, Shape(clients))
    return folder


def cpu_of_one_load(folder: Path) -> float:
    collector.set_for_one_run()
    started = time.process_time()
    load_configuration(folder, environ=ENVIRON)
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "lexsync-config-load")
    args = parser.parse_args()
    folder = network(args.workdir, args.clients)
    forked = multiprocessing.get_context("fork")
    times = []
    for _ in range(args.runs):
        with forked.Pool(1) as pool:
            times.append(pool.apply(cpu_of_one_load, (folder,)))
    best = min(times)
    print(f"{args.clients} clients ({folder}): best {best:.3f} s, median "
          f"{statistics.median(times):.3f} s of {args.runs} runs; "
          f"{best / args.clients * 1000:.2f} ms per client")


if __name__ == "__main__":
    main()
