"""Benchmark lexsync against the sandbox over a real socket with 50 ms latency per request.

    python benchmarks/run.py --clients 100,300,1000

For each size: generate the workload, start `lexsync sandbox serve` on a SQLite file, then run
in separate processes (own CPU time and peak memory): the initial apply, a no-change plan, a
plan and apply after changing one account's price, and a plan targeted at one client. Call
counts come from the sandbox's /_sandbox/requests. Prints a table; asserts nothing.

The no-change plan runs `--plan-runs` times and its row shows the median run (the spread in
its note): on a small shared machine one run can be 10% off. The "sandbox floor" row makes the
same reads with a client that does nothing else (floor.py), once before each of the plan's
runs: what the sandbox and the machine allowed any client at that moment, against the same
lower bound.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.workload import Shape, write  # noqa: E402

READ_PREFIXES = ("Get", "is")


@dataclass
class Row:
    clients: int
    scenario: str
    calls: int
    minimum: int
    writes: int
    wall: float
    lower_bound: float
    cpu: dict[str, float]
    peak_mb: float
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.wall / self.lower_bound if self.lower_bound else float("nan")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Sandbox:
    def __init__(self, db: Path, latency_ms: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lexsync.cli.main", "sandbox", "serve", "--port", str(self.port),
             "--db", str(db), "--latency-ms", str(latency_ms)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.http = httpx.Client(base_url=self.url, timeout=30)
        deadline = time.monotonic() + 30
        while True:
            try:
                if self.http.get("/_sandbox/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("the sandbox did not start")
            time.sleep(0.1)

    def requests(self) -> dict[str, int]:
        return {k: v for k, v in self.http.get("/_sandbox/requests").json().items() if v}

    def reset_requests(self) -> None:
        self.http.post("/_sandbox/requests/reset").raise_for_status()

    def close(self) -> None:
        self.http.close()
        self.process.terminate()
        self.process.wait(timeout=10)


def scenario(kind: str, directory: Path, url: str, parallelism: int, *targets: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.scenario", kind, str(directory), url,
               "--parallelism", str(parallelism)]
    for target in targets:
        command += ["--target", target]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout))


def measure(sandbox: Sandbox, name: str, kind: str, directory: Path, shape: Shape, minimum: int,
            parallelism: int, latency: float, *targets: str, runs: int = 1,
            before_each: Callable[[], None] | None = None) -> Row:
    measured: list[tuple[dict[str, Any], dict[str, int]]] = []
    for _ in range(runs):
        if before_each is not None:
            before_each()
        sandbox.reset_requests()
        result = scenario(kind, directory, sandbox.url, parallelism, *targets)
        measured.append((result, sandbox.requests()))
    measured.sort(key=lambda run: run[0]["wall"])
    result, calls = measured[(runs - 1) // 2]  # the median run (the lower one of two)
    total = sum(calls.values())
    writes = sum(v for k, v in calls.items() if not k.startswith(READ_PREFIXES) and k != "token")
    cpu = {k.removeprefix("cpu_"): float(v) for k, v in result.items() if k.startswith("cpu_")}
    note = ""
    if runs > 1:
        note = (f"median of {runs} runs ({measured[0][0]['wall']:.2f}-"
                f"{measured[-1][0]['wall']:.2f} s)")
    if result.get("failed") or result.get("verify_problems"):
        note = f"failed={result.get('failed')} verify={result.get('verify_problems')}"
    return Row(shape.clients, name, total, minimum, writes, result["wall"],
               minimum * latency / parallelism, cpu, result["peak_mb"], note)


def floor_wall(sandbox: Sandbox, parallelism: int) -> float:
    """One run of the plan's reads by a client that does nothing else (floor.py)."""
    done = subprocess.run([sys.executable, "-m", "benchmarks.floor", sandbox.url,
                           "--parallelism", str(parallelism)],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    return float(json.loads(done.stdout)["wall"])


def floor_row(shape: Shape, minimum: int, parallelism: int, latency: float,
              walls: list[float]) -> Row:
    walls = sorted(walls)
    return Row(shape.clients, "sandbox floor", minimum, minimum, 0, walls[(len(walls) - 1) // 2],
               minimum * latency / parallelism, {}, 0,
               f"the plan's reads, no client work; median of {len(walls)} "
               f"({walls[0]:.2f}-{walls[-1]:.2f} s), each run just before a plan's")


def run_size(shape: Shape, work: Path, latency_ms: int, parallelism: int, full_apply: bool,
             plan_runs: int) -> list[Row]:
    latency = latency_ms / 1000
    n = shape.clients
    directory = work / f"clients-{n}"
    write(directory, shape)
    sandbox = Sandbox(directory / "sandbox.db", latency_ms)
    rows: list[Row] = []
    # Minimum reads of any plan: GetLeadTypes, GetLeadFields, GetStateList, GetClientList,
    # GetClientGroups, then per client GetClientAccounts and GetClientData (fields are managed).
    plan_reads = 5 + 2 * n
    try:
        # Initial apply: the plan reads (no client exists yet), a token, one write per resource,
        # and the read-back of everything written.
        apply_min = 5 + 1 + shape.writes + (2 + 2 * n)
        rows.append(measure(sandbox, "initial apply", "apply", directory, shape, apply_min,
                            parallelism, latency))
        if not full_apply:
            return rows
        # The floor runs alternate with the plan's, so both see the machine as it was then.
        floors: list[float] = []
        plan = measure(sandbox, "no-change plan", "plan", directory, shape, plan_reads,
                       parallelism, latency, runs=plan_runs,
                       before_each=lambda: floors.append(floor_wall(sandbox, parallelism)))
        rows += [floor_row(shape, plan_reads, parallelism, latency, floors), plan]
        write(directory, shape, price_bump=1)
        rows.append(measure(sandbox, "1 change: plan", "plan", directory, shape, plan_reads,
                            parallelism, latency))
        # + a token, the one write, and reading back that client's accounts (and the list).
        rows.append(measure(sandbox, "1 change: apply", "apply", directory, shape,
                            plan_reads + 1 + 1 + 2, parallelism, latency))
        # Catalog (3), GetClientList, and the one client's accounts and field data.
        rows.append(measure(sandbox, "--target 1 client", "plan", directory, shape, 6,
                            parallelism, latency, "client.buyer00000"))
    finally:
        sandbox.close()
    return rows


def table(rows: list[Row]) -> str:
    head = ("| clients | scenario | calls | minimum | writes | wall s | lower bound s | ratio "
            "| CPU load s | CPU reads s | CPU diff s | CPU render s | peak MB |")
    lines = [head, "|" + "---|" * 13]
    for r in rows:
        lines.append(
            f"| {r.clients} | {r.scenario} | {r.calls} | {r.minimum} | {r.writes} | {r.wall:.2f} "
            f"| {r.lower_bound:.2f} | {r.ratio:.2f} | {r.cpu.get('load', 0):.2f} "
            f"| {r.cpu.get('reads', 0):.2f} | {r.cpu.get('diff', 0):.2f} "
            f"| {r.cpu.get('render', 0):.2f} | {r.peak_mb:.0f} |" + (f" {r.note}" if r.note else ""))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", default="100,300,1000", help="comma-separated sizes")
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--parallelism", type=int, default=16)
    parser.add_argument("--apply-only-above", type=int, default=0,
                        help="for sizes above this, run only the initial apply (0: run everything)")
    parser.add_argument("--workdir", type=Path, default=None, help="keep files here (default: a temp dir)")
    parser.add_argument("--plan-runs", type=int, default=3,
                        help="times the no-change plan runs; its row shows the median")
    args = parser.parse_args()
    sizes = [int(s) for s in args.clients.split(",") if s]
    with tempfile.TemporaryDirectory(prefix="lexsync-bench-") as tmp:
        work = args.workdir or Path(tmp)
        rows: list[Row] = []
        for n in sizes:
            full = not args.apply_only_above or n <= args.apply_only_above
            size_rows = run_size(Shape(n), work, args.latency_ms, args.parallelism, full,
                                 max(1, args.plan_runs))
            print(table(size_rows), flush=True)
            rows += size_rows
        print()
        print(f"latency {args.latency_ms} ms, parallelism {args.parallelism}, "
              f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
        print(table(rows))


if __name__ == "__main__":
    main()
