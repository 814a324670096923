"""Benchmark lexsync against the sandbox over a real socket with 50 ms latency per request.

    python benchmarks/run.py --clients 100,300,1000
    python benchmarks/run.py --clients 1000 --compare ../other-checkout --compare-python PY

For each size: generate the workload, start `lexsync sandbox serve` on a SQLite file, then run
the `lexsync` command as a user runs it, each time in a new process: the initial apply, a
no-change plan, a plan and an apply after changing one account's price, and a plan targeted at
one client. Wall time runs from starting the process to its exit; CPU time is the process's
own (wait4), peak memory its own high-water mark (scenario.py's `peak_rss`); the note gives
the sandbox's CPU during the run (Linux /proc). Call counts come from the sandbox's
/_sandbox/requests. Prints a table; asserts nothing.

The no-change plan runs `--plan-runs` times and its row shows the median run (the spread in
its note): on a small shared machine one run can be 10% off. The "sandbox floor" row makes the
same reads with a client that does nothing else (floor.py), once before each of the plan's
runs: what the sandbox and the machine allowed any client at that moment.

`--compare ROOT` also runs the `lexsync` of another checkout (with `--compare-python`, or its
.venv) in every scenario, against the same sandbox and data, alternating with this checkout's
runs, so both see the machine as it was then.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.workload import ENVIRONMENT, Shape, write  # noqa: E402

READ_PREFIXES = ("Get", "is")
CREDENTIALS = {"LEADEXEC_API_KEY": "sandbox-key", "LEADEXEC_CLIENT_ID": "sandbox",
               "LEADEXEC_CLIENT_SECRET": "sandbox-secret"}
SCENARIO = Path(__file__).resolve().parent / "scenario.py"


@dataclass(frozen=True)
class Code:
    """A checkout whose `lexsync` command is measured."""

    name: str
    root: Path
    python: str


@dataclass
class Row:
    clients: int
    scenario: str
    code: str
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


@dataclass
class Run:
    """One process: wall from start to exit, its CPU, peak memory, exit code and phases."""

    wall: float
    cpu: dict[str, float]
    peak_mb: float
    exit_code: int
    calls: dict[str, int]
    sandbox_cpu: float = 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Sandbox:
    def __init__(self, db: Path, latency_ms: int, port: int) -> None:
        self.port = port
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

    def cpu(self) -> float:
        """The sandbox process's CPU seconds so far (Linux /proc; 0 elsewhere)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def requests(self) -> dict[str, int]:
        return {k: v for k, v in self.http.get("/_sandbox/requests").json().items() if v}

    def reset_requests(self) -> None:
        self.http.post("/_sandbox/requests/reset").raise_for_status()

    def close(self) -> None:
        self.http.close()
        self.process.terminate()
        self.process.wait(timeout=10)


class Workspace:
    """The workload directory (configuration, state, sandbox database) and its sandbox; saved
    and restored so that every checkout's apply starts from the same data. The sandbox keeps
    its port across restarts: state records which LeadExec (URL) it describes."""

    def __init__(self, directory: Path, latency_ms: int) -> None:
        self.directory = directory
        self.latency_ms = latency_ms
        self.port = free_port()
        self.sandbox: Sandbox | None = None

    def start(self) -> Sandbox:
        if self.sandbox is None:
            self.sandbox = Sandbox(self.directory / "sandbox.db", self.latency_ms, self.port)
        return self.sandbox

    def stop(self) -> None:
        if self.sandbox is not None:
            self.sandbox.close()
            self.sandbox = None

    def save(self, name: str) -> None:
        self.stop()
        shutil.copytree(self.directory, self.directory.with_name(f"{self.directory.name}.{name}"),
                        dirs_exist_ok=True)

    def restore(self, name: str) -> None:
        self.stop()
        shutil.rmtree(self.directory)
        shutil.copytree(self.directory.with_name(f"{self.directory.name}.{name}"), self.directory)


def run_lexsync(code: Code, sandbox: Sandbox, directory: Path, *args: str, api: bool = True,
                exits: tuple[int, ...] = (0, 2), unset: tuple[str, ...] = ()) -> Run:
    """`lexsync ARGS -c CONFIG --api URL` in a new process, timed from its start to its exit.
    Without `api`, no `--api` (the state commands); `exits`: the exit codes that are no
    failure of the run; `unset`: variables of the workload's environment left unset."""
    phases = directory.with_name(directory.name + ".phases.json")
    phases.unlink(missing_ok=True)
    env = {**os.environ, **CREDENTIALS, **ENVIRONMENT, "PYTHONPATH": str(code.root)}
    for name in unset:
        env.pop(name, None)
    sandbox.reset_requests()
    sandbox_cpu = sandbox.cpu()
    started = time.perf_counter()
    process = subprocess.Popen(
        [code.python, str(SCENARIO), str(phases), *args, "-c", str(config_path(directory)),
         *(["--api", sandbox.url] if api else [])], cwd=code.root, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    stderr = process.stderr.read()  # until the process closes it, at its exit
    _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    exit_code = process.returncode
    if exit_code not in exits:
        raise RuntimeError(f"lexsync {' '.join(args)} exited {exit_code}:\n{stderr[-3000:].decode()}")
    cpu = {"total": usage.ru_utime + usage.ru_stime, **json.loads(phases.read_text())}
    # The process's own peak (scenario.py); wait4's is at least this process's RSS.
    peak_mb = cpu.pop("peak_mb", usage.ru_maxrss / 1024)
    return Run(wall, cpu, peak_mb, exit_code, sandbox.requests(),
               sandbox.cpu() - sandbox_cpu)


def config_path(directory: Path) -> Path:
    """The workload's one file, or its directory when it takes several (workload.write)."""
    return directory / "lexsync.yaml" if len(list(directory.glob("*.yaml"))) == 1 else directory


def floor_wall(sandbox: Sandbox, parallelism: int) -> float:
    """One run of the plan's reads by a client that does nothing else (floor.py)."""
    done = subprocess.run([sys.executable, "-m", "benchmarks.floor", sandbox.url,
                           "--parallelism", str(parallelism)],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    return float(json.loads(done.stdout)["wall"])


def alternating_plans(sandbox: Sandbox, directory: Path, codes: list[Code], plan_runs: int,
                      parallelism: int) -> tuple[list[float], dict[Code, list[Run]]]:
    """`plan_runs` sandbox floors (sorted) and no-change plans of each checkout. They
    alternate, so all see the machine as it was then."""
    floors: list[float] = []
    plans: dict[Code, list[Run]] = {code: [] for code in codes}
    for _ in range(plan_runs):
        floors.append(floor_wall(sandbox, parallelism))
        for code in codes:
            plans[code].append(run_lexsync(code, sandbox, directory, "plan", "--detailed-exitcode"))
    return sorted(floors), plans


def row(shape: Shape, scenario: str, code: Code, runs: list[Run], minimum: int,
        lower_bound: float, expected_exit: int) -> Row:
    runs = sorted(runs, key=lambda r: r.wall)
    median = runs[(len(runs) - 1) // 2]  # the lower one of two
    calls = sum(median.calls.values())
    writes = sum(v for k, v in median.calls.items() if not k.startswith(READ_PREFIXES) and k != "token")
    note = f"median of {len(runs)} runs ({runs[0].wall:.2f}-{runs[-1].wall:.2f} s)" if len(runs) > 1 else ""
    if median.sandbox_cpu:
        note = f"sandbox CPU {median.sandbox_cpu:.1f} s" + (f"; {note}" if note else "")
    if any(r.exit_code != expected_exit for r in runs):
        note = f"exit codes {[r.exit_code for r in runs]}, expected {expected_exit}"
    return Row(shape.clients, scenario, code.name, calls, minimum, writes, median.wall,
               lower_bound, median.cpu, median.peak_mb, note)


def run_size(shape: Shape, work: Path, codes: list[Code], latency_ms: int, parallelism: int,
             full_apply: bool, plan_runs: int) -> list[Row]:
    latency = latency_ms / 1000
    n = shape.clients

    def bound(minimum: int) -> float:
        return minimum * latency / parallelism

    space = Workspace(work / f"clients-{n}", latency_ms)
    write(space.directory, shape, parallelism=parallelism)
    space.save("empty")
    rows: list[Row] = []
    # Minimum reads of any plan: GetLeadTypes, GetLeadFields, GetStateList, GetClientList,
    # GetClientGroups, then per client GetClientAccounts and GetClientData (fields are managed).
    plan_reads = 5 + 2 * n
    try:
        # Initial apply: the plan reads (no client exists yet), a token, one write per resource,
        # and the read-back of everything written. Each checkout starts from the empty sandbox;
        # this checkout's (the last) result is what the later scenarios read.
        apply_min = 5 + 1 + shape.writes + (2 + 2 * n)
        for code in codes:
            space.restore("empty")
            run = run_lexsync(code, space.start(), space.directory, "apply", "--auto-approve")
            rows.append(row(shape, "initial apply", code, [run], apply_min, bound(apply_min), 0))
        space.save("applied")
        if not full_apply:
            return rows
        sandbox = space.start()
        floors, plans = alternating_plans(sandbox, space.directory, codes, plan_runs, parallelism)
        rows.append(Row(n, "sandbox floor", "-", plan_reads, plan_reads, 0,
                        floors[(len(floors) - 1) // 2], bound(plan_reads), {}, 0,
                        f"the plan's reads, no client work; median of {len(floors)} "
                        f"({floors[0]:.2f}-{floors[-1]:.2f} s), each run just before the plans"))
        rows += [row(shape, "no-change plan", code, plans[code], plan_reads, bound(plan_reads), 0)
                 for code in codes]
        write(space.directory, shape, price_bump=1, parallelism=parallelism)
        for code in codes:
            run = run_lexsync(code, sandbox, space.directory, "plan", "--detailed-exitcode")
            rows.append(row(shape, "1 change: plan", code, [run], plan_reads, bound(plan_reads), 2))
        # Catalog (3), GetClientList, and the one client's accounts and field data.
        for code in codes:
            run = run_lexsync(code, sandbox, space.directory, "plan", "--detailed-exitcode",
                              "--target", "client.buyer00000")
            rows.append(row(shape, "--target 1 client", code, [run], 6, bound(6), 2))
        # + a token, the one write, and reading back that client's accounts.
        change_min = plan_reads + 1 + 1 + 1
        for code in codes:
            space.restore("applied")
            write(space.directory, shape, price_bump=1, parallelism=parallelism)
            run = run_lexsync(code, space.start(), space.directory, "apply", "--auto-approve")
            rows.append(row(shape, "1 change: apply", code, [run], change_min, bound(change_min), 0))
    finally:
        space.stop()
    return rows


def table(rows: list[Row]) -> str:
    head = ("| clients | scenario | code | calls | minimum | writes | wall s | lower bound s | ratio "
            "| CPU s | CPU load s | CPU diff s | CPU render s | peak MB |")
    lines = [head, "|" + "---|" * 14]
    for r in rows:
        cpu = (f"{r.cpu['total']:.2f} | {r.cpu['load']:.2f} | {r.cpu['diff']:.2f} "
               f"| {r.cpu['render']:.2f} | {r.peak_mb:.0f}") if r.cpu else "— | — | — | — | —"
        lines.append(
            f"| {r.clients} | {r.scenario} | {r.code} | {r.calls} | {r.minimum} | {r.writes} "
            f"| {r.wall:.2f} | {r.lower_bound:.2f} | {r.ratio:.2f} | {cpu} |".replace("| nan |", "| — |")
            + (f" {r.note}" if r.note else ""))
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
    parser.add_argument("--name", default="this", help="this checkout's name in the table")
    parser.add_argument("--compare", type=Path, default=None, metavar="ROOT",
                        help="also measure the checkout at ROOT, alternating with this one")
    parser.add_argument("--compare-name", default="other")
    parser.add_argument("--compare-python", default=None,
                        help="the Python that runs ROOT's lexsync (default: ROOT/.venv/bin/python)")
    args = parser.parse_args()
    codes = [Code(args.name, ROOT, sys.executable)]
    if args.compare is not None:
        root = args.compare.resolve()
        python = args.compare_python or str(root / ".venv" / "bin" / "python")
        codes.insert(0, Code(args.compare_name, root, python))
    sizes = [int(s) for s in args.clients.split(",") if s]
    with tempfile.TemporaryDirectory(prefix="lexsync-bench-") as tmp:
        work = args.workdir or Path(tmp)
        rows: list[Row] = []
        for n in sizes:
            full = not args.apply_only_above or n <= args.apply_only_above
            size_rows = run_size(Shape(n), work, codes, args.latency_ms, args.parallelism, full,
                                 max(1, args.plan_runs))
            print(table(size_rows), flush=True)
            rows += size_rows
        print()
        print(f"latency {args.latency_ms} ms, parallelism {args.parallelism}, "
              f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
        print(table(rows))


if __name__ == "__main__":
    main()
