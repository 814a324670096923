"""Benchmark route and coverage on a generated network (benchmarks/workload.py).

    python benchmarks/routing.py --clients 1000 --leads 1000

Targets (docs/routing.md): route of 1,000 leads against a 1,000-buyer configuration in under
5 s; coverage of that configuration in under 10 s. Loading the configuration is shown on its
own row (every command pays it once). Also times the whole `lexsync route --format json` and
`lexsync coverage` commands in a subprocess. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.workload import ENVIRONMENT, STATES, Shape, write  # noqa: E402
from lexsync.config.loader import load_configuration  # noqa: E402
from lexsync.routing.coverage import compute_coverage  # noqa: E402
from lexsync.routing.leads import make_lead  # noqa: E402
from lexsync.routing.network import build_network  # noqa: E402
from lexsync.routing.report import route_json  # noqa: E402
from lexsync.routing.route import Router  # noqa: E402

LA = ZoneInfo("America/Los_Angeles")
MOMENT = datetime(2025, 6, 3, 10, 30, tzinfo=LA)  # a Tuesday, inside the workload's windows


def sample_leads(count: int, seed: int = 7) -> list[dict[str, object]]:
    rng = random.Random(seed)
    return [{"lead_type": "Auto Insurance", "lead_name": f"lead-{n}",
             "State": rng.choice(STATES + ["MI", "AK"]), "Age": rng.randint(16, 80),
             "VehicleYear": rng.randint(1995, 2025), "CurrentInsurer": rng.choice(["None", "Geico"]),
             "CoverageType": f"Full{rng.randint(0, 5)}"} for n in range(count)]


def timed(label: str, action, rows: list[tuple[str, float, str]], note: str = ""):  # noqa: ANN001
    started = time.perf_counter()
    result = action()
    rows.append((label, time.perf_counter() - started, note))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--leads", type=int, default=1000)
    args = parser.parse_args()
    rows: list[tuple[str, float, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "network"
        shape = Shape(clients=args.clients)
        path = write(directory, shape)
        environ = {**os.environ, **ENVIRONMENT}
        loaded = timed("load configuration", lambda: load_configuration(path, environ), rows)
        network = timed("compile for routing", lambda: build_network(loaded.model), rows,
                        f"{len(network_accounts(loaded))} accounts")
        leads = [make_lead(data, str(data["lead_name"])) for data in sample_leads(args.leads)]
        router = Router(network)
        results = timed(f"route {args.leads} leads", lambda: [router.route(lead, MOMENT) for lead in leads],
                        rows)
        buyers = sum(len(r.buyers) for r in results)
        rows[-1] = (*rows[-1][:2], f"{buyers} buyer rows, {sum(len(r.rejected) for r in results)} reasons")
        timed("  + JSON of every result", lambda: json.dumps([route_json(r) for r in results]), rows)
        timed("coverage (51 states x 168 hours)",
              lambda: compute_coverage(network, "Auto Insurance", {"Age": "40"}, MOMENT, LA), rows)
        leads_file = Path(tmp) / "leads.json"
        leads_file.write_text(json.dumps(sample_leads(args.leads)))
        command = [sys.executable, "-m", "lexsync.cli.main"]
        timed("lexsync route --format json (process)",
              lambda: subprocess.run([*command, "route", "-c", str(path), str(leads_file), "--at",
                                      MOMENT.isoformat(), "--format", "json", "--out",
                                      str(Path(tmp) / "out.json")], env=environ, check=True), rows)
        timed("lexsync coverage (process)",
              lambda: subprocess.run([*command, "coverage", "-c", str(path), "--at", MOMENT.isoformat(),
                                      "--field", "Age=40", "--out", str(Path(tmp) / "cov.txt")],
                                     env=environ, check=True), rows)
        timed("lexsync coverage --format html (process)",
              lambda: subprocess.run([*command, "coverage", "-c", str(path), "--at", MOMENT.isoformat(),
                                      "--format", "html", "--out", str(Path(tmp) / "cov.html")],
                                     env=environ, check=True, capture_output=True), rows)
    print(f"Network: {args.clients} clients x {shape.accounts} accounts, {shape.criteria} criteria each")
    for label, seconds, note in rows:
        print(f"  {label:<42} {seconds:8.3f} s  {note}")


def network_accounts(loaded) -> list:  # noqa: ANN001
    return [a for c in loaded.model.clients.values() for a in c.delivery_accounts.values()]


if __name__ == "__main__":
    main()
