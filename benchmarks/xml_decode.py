"""CPU lexsync spends reading one GetClientAccounts answer: parsing and decoding, no HTTP.

    python benchmarks/xml_decode.py [--clients 3] [--rounds 7] [--answers 400]

Applies the benchmark workload (`workload.Shape(clients)`) to an in-process sandbox, asks it
for each client's GetClientAccounts answer as a plan does, then reads those answers `--answers`
times per round through `xmlcodec` (parse and decode into dicts, as `LeadExecApi` does).
Prints the answers' size and the fastest round's milliseconds per answer; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.workload import ENVIRONMENT, Shape, write  # noqa: E402
from lexsync.api import xmlcodec  # noqa: E402
from lexsync.api.wiretypes import CLIENT_ACCOUNT, CLIENT_ITEM  # noqa: E402
from lexsync.engine.session import RunOptions, Session  # noqa: E402
from lexsync.sandbox.app import SandboxConfig, create_app  # noqa: E402

KEY = "sandbox-key"
CREDENTIALS = {"LEADEXEC_API_KEY": KEY, "LEADEXEC_CLIENT_ID": "sandbox",
               "LEADEXEC_CLIENT_SECRET": "sandbox-secret"}


async def _answers(transport: httpx.ASGITransport) -> list[bytes]:
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as http:
        listing = await http.post("/service.asmx/GetClientList", data={"Key": KEY})
        clients = xmlcodec.decode_array(
            "GetClientList", xmlcodec.parse("GetClientList", listing.content), CLIENT_ITEM)
        uids = [client["ClientUID"] for client in clients]
        return [(await http.post("/service.asmx/GetClientAccounts",
                                 data={"Key": KEY, "ClientUID": str(uid)})).content
                for uid in uids]


def answers(clients: int) -> list[bytes]:
    """Each client's GetClientAccounts answer after an apply of the workload."""
    transport = httpx.ASGITransport(app=create_app(SandboxConfig()))
    with tempfile.TemporaryDirectory() as tmp:
        options = RunOptions(config_path=write(Path(tmp), Shape(clients)),
                             api_url="http://127.0.0.1", transport=transport,
                             environ={**CREDENTIALS, **ENVIRONMENT})
        _plan, result = asyncio.run(Session(options).apply(lambda _plan: True))
        if result is None or result.failed:
            raise SystemExit("the workload did not apply")
    return asyncio.run(_answers(transport))


def read(answer: bytes) -> list[dict[str, object]]:
    notes = xmlcodec.Notes()
    return xmlcodec.decode_array("GetClientAccounts", xmlcodec.parse("GetClientAccounts", answer),
                                 CLIENT_ACCOUNT, notes)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--answers", type=int, default=400)
    args = parser.parse_args()
    bodies = answers(args.clients)
    batch = [bodies[i % len(bodies)] for i in range(args.answers)]
    rounds = []
    for _ in range(args.rounds):
        started = time.process_time()
        for body in batch:
            read(body)
        rounds.append(time.process_time() - started)
    rows = sum(len(read(body)) for body in bodies) / len(bodies)
    print(json.dumps({
        "answers": args.answers, "accounts_per_answer": rows,
        "answer_bytes": sum(map(len, bodies)) // len(bodies),
        "ms_per_answer": round(1000 * min(rounds) / args.answers, 3),
        "median_ms_per_answer": round(1000 * sorted(rounds)[len(rounds) // 2] / args.answers, 3),
    }))


if __name__ == "__main__":
    main()
