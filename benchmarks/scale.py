"""A large network as a large network keeps it: peak memory and time of a no-change plan.

    python benchmarks/scale.py --clients 1000,5000,10000

For each size, smallest first: write the configuration as one file per client beside
`lexsync.yaml` (the settings and groups: `workload.write_per_client`); set it up (setting up is
not what is measured): the first 100 clients are created once by `lexsync apply` against a
sandbox without latency, and the others are copies of them in the sandbox's database and in
state, with their own IDs and names (grow.py). Then start the sandbox with 50 ms per request
and run, each in a new process as a user runs it: the no-change plan (`--plan-runs` times,
median shown), the sandbox floor before each, and a plan targeted at one client after
changing that client, with `drift --target` of it, `import --client` of it into a new
folder and `apply --target` of it (its one account's price; then back, not measured); then
`state list`, `state show` of a client, `state mv` of a method (and back, not measured),
`validate` without the secrets and a plan without them (its error expected). The
no-change plan must find no change: if it does, the set-up is wrong and the run stops with
an error. `--compare ROOT` also runs another checkout's lexsync
in each scenario, alternating with this one. With `--workdir`, the networks set up there are
kept, and a later run plans them again without setting them up. Peak memory is the CLI
process's own peak RSS (its high-water mark: wait4's would include this script's, which holds
the grown network). Prints the table of run.py, the load average around each
size's plans and the whole run's time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.grow import grow  # noqa: E402
from benchmarks.run import (  # noqa: E402
    Code,
    Row,
    Sandbox,
    Workspace,
    alternating_plans,
    row,
    run_lexsync,
    table,
)
from benchmarks.workload import ENVIRONMENT, Shape, render, write_per_client  # noqa: E402

# Clients created through the API; the rest are copies of them (grow.py).
TEMPLATE = 100
# An import of one client into a new folder: the groups, the client list, the client's
# accounts and field data, and the catalog (the lead types, each one's fields, the states).
IMPORT_CALLS = 10
# An apply targeted at the client whose account's price changed: the targeted plan's 6 reads,
# a token, the write and the client's accounts read back.
TARGET_APPLY_CALLS = 9
# The secrets the workload's configuration references (each client's portal password).
SECRETS = tuple(ENVIRONMENT)


def write_client(directory: Path, shape: Shape, i: int, price_bump: int = 0) -> None:
    """Client i's own file, as `write_per_client` writes it."""
    (directory / f"buyer{i:05d}.yaml").write_text(
        render(shape, price_bump=price_bump, clients=range(i, i + 1), settings=False),
        encoding="utf-8")


def template(work: Path, code: Code, parallelism: int) -> tuple[Workspace, Row | None]:
    """The first TEMPLATE clients, created by `lexsync apply` against a sandbox without
    latency (kept in `work` for later runs)."""
    shape = Shape(TEMPLATE)
    space = Workspace(work / f"template-{TEMPLATE}", latency_ms=0)
    port_file = space.directory / "sandbox.port"
    if port_file.exists():
        space.port = int(port_file.read_text())
        return space, None
    write_per_client(space.directory, shape)
    try:
        run = run_lexsync(code, space.start(), space.directory, "apply", "--auto-approve")
    finally:
        space.stop()
    port_file.write_text(str(space.port))
    apply_min = 5 + 1 + shape.writes + (2 + 2 * shape.clients)
    return space, row(shape, "set-up: apply, no latency", code, [run], apply_min, 0, 0)


def set_up(shape: Shape, work: Path, code: Code, parallelism: int) -> tuple[Workspace, list[Row]]:
    """The network of `shape.clients` clients: the template's, grown with copies of its clients
    (grow.py; from the largest smaller network already set up in `work`), kept for later runs."""
    n = shape.clients
    space = Workspace(work / f"network-{n}", latency_ms=0)
    port_file = space.directory / "sandbox.port"
    if port_file.exists():  # set up by an earlier run (--workdir)
        space.port = int(port_file.read_text())
        write_per_client(space.directory, shape, parallelism=parallelism)
        return space, []
    base, made = template(work, code, parallelism)
    smaller = sorted((int(d.name.split("-")[1]), d) for d in work.glob("network-*")
                     if (d / "sandbox.port").exists() and int(d.name.split("-")[1]) < n)
    source = smaller[-1][1] if smaller else base.directory
    if space.directory.exists():  # an interrupted set-up
        shutil.rmtree(space.directory)
    shutil.copytree(source, space.directory)
    (space.directory / "sandbox.port").unlink()
    space.port = base.port  # the URL state records
    write_per_client(space.directory, shape, parallelism=parallelism)
    started = time.perf_counter()
    added = grow(space.directory / "sandbox.db", space.directory / ".lexsync" / "state.json",
                 TEMPLATE, n)
    print(f"set-up of {n} clients: {added} copied from {source.name} in "
          f"{time.perf_counter() - started:.1f} s", flush=True)
    port_file.write_text(str(space.port))
    return space, [made] if made else []


def run_size(shape: Shape, work: Path, codes: list[Code], latency_ms: int, parallelism: int,
             plan_runs: int, loads: list[str]) -> list[Row]:
    n = shape.clients
    latency = latency_ms / 1000

    def bound(minimum: int) -> float:
        return minimum * latency / parallelism

    space, rows = set_up(shape, work, codes[-1], parallelism)
    space.latency_ms = latency_ms
    sandbox = space.start()
    try:
        plan_reads = 5 + 2 * n
        load = os.getloadavg()
        floors, plans = alternating_plans(sandbox, space.directory, codes, plan_runs, parallelism)
        changed = [(code.name, r.exit_code) for code in codes for r in plans[code] if r.exit_code]
        if changed:  # the set-up is wrong: nothing measured here means what it says
            raise RuntimeError(f"{n} clients: the no-change plan found changes (checkout, exit "
                               f"code): {changed}; the network was not set up as configured")
        loads.append(f"{n} clients: load average {load[0]:.1f} before, "
                     f"{os.getloadavg()[0]:.1f} after the plans")
        rows.append(Row(n, "sandbox floor", "-", plan_reads, plan_reads, 0,
                        floors[(len(floors) - 1) // 2], bound(plan_reads), {}, 0,
                        f"median of {len(floors)}" if len(floors) > 1 else ""))
        rows += [row(shape, "no-change plan", code, plans[code], plan_reads, bound(plan_reads), 0)
                 for code in codes]
        write_per_client(space.directory, shape, price_bump=1, parallelism=parallelism)
        for code in codes:
            target = run_lexsync(code, sandbox, space.directory, "plan", "--detailed-exitcode",
                                 "--target", "client.buyer00000")
            rows.append(row(shape, "--target 1 client", code, [target], 6, bound(6), 2))
            drift = run_lexsync(code, sandbox, space.directory, "drift", "--target",
                                "client.buyer00000")
            rows.append(row(shape, "drift --target 1 client", code, [drift], 6, bound(6), 2))
            with tempfile.TemporaryDirectory(prefix="lexsync-import-") as out:
                imported = run_lexsync(code, sandbox, space.directory, "import", "--client",
                                       "buyer00000-portal", "--out", out)
            rows.append(row(shape, "import --client 1 client", code, [imported], IMPORT_CALLS,
                            bound(IMPORT_CALLS), 0))
            applied = run_lexsync(code, sandbox, space.directory, "apply", "--target",
                                  "client.buyer00000", "--auto-approve")
            rows.append(row(shape, "apply --target 1 client", code, [applied], TARGET_APPLY_CALLS,
                            bound(TARGET_APPLY_CALLS), 0))
            # Back as it was, for the next checkout to change the same (not measured).
            write_client(space.directory, shape, 0)
            run_lexsync(code, sandbox, space.directory, "apply", "--target", "client.buyer00000",
                        "--auto-approve")
            write_client(space.directory, shape, 0, price_bump=1)
        write_per_client(space.directory, shape, parallelism=parallelism)
        rows += other_commands(shape, space.directory, codes, sandbox)
    finally:
        space.stop()
    return rows


def other_commands(shape: Shape, directory: Path, codes: list[Code],
                   sandbox: Sandbox) -> list[Row]:
    """The commands a large network runs besides plan and apply, each as a user runs it: the
    state commands (`state mv` of one method, and back, not measured), and `validate` and a
    plan without the secrets (the plan's error, expected: one problem however many clients
    reference the variable)."""
    rows: list[Row] = []
    method = "client.buyer00001.delivery_method.m0"

    def run(code: Code, scenario: str, *args: str, expected: int = 0, **options: Any) -> None:
        done = run_lexsync(code, sandbox, directory, *args, exits=(expected,), **options)
        rows.append(row(shape, scenario, code, [done], 0, 0.0, expected))

    for code in codes:
        run(code, "state list", "state", "list", api=False)
        run(code, "state show 1 client", "state", "show", "client.buyer00001", api=False)
        run(code, "state mv 1 method", "state", "mv", method, f"{method}-moved", api=False)
        run_lexsync(code, sandbox, directory, "state", "mv", f"{method}-moved", method, api=False)
        run(code, "validate, no secrets", "validate", api=False, unset=SECRETS)
        run(code, "plan, a secret unset", "plan", expected=1, unset=SECRETS)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", default="1000,5000,10000", help="comma-separated sizes")
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--parallelism", type=int, default=16)
    parser.add_argument("--plan-runs", type=int, default=1,
                        help="times the no-change plan runs; its row shows the median")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="keep the networks here (default: a temp dir); a network already "
                             "set up there is planned again without a new set-up apply")
    parser.add_argument("--name", default="this", help="this checkout's name in the table")
    parser.add_argument("--compare", type=Path, default=None, metavar="ROOT",
                        help="also measure the checkout at ROOT (run with this Python), "
                             "alternating with this one")
    parser.add_argument("--compare-name", default="other")
    args = parser.parse_args()
    codes = [Code(args.name, ROOT, sys.executable)]
    if args.compare is not None:
        codes.insert(0, Code(args.compare_name, args.compare.resolve(), sys.executable))
    with tempfile.TemporaryDirectory(prefix="lexsync-scale-") as tmp:
        work = args.workdir or Path(tmp)
        rows: list[Row] = []
        loads: list[str] = []
        started = time.perf_counter()
        for n in sorted(int(s) for s in args.clients.split(",") if s):
            size_rows = run_size(Shape(n), work, codes, args.latency_ms, args.parallelism,
                                 max(1, args.plan_runs), loads)
            print(table(size_rows), flush=True)
            rows += size_rows
        print()
        print(f"one file per client; latency {args.latency_ms} ms, parallelism {args.parallelism}, "
              f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; the whole run "
              f"{time.perf_counter() - started:.0f} s")
        print("\n".join(loads))
        print(table(rows))


if __name__ == "__main__":
    main()
