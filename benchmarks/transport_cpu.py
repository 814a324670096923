"""CPU per request of lexsync's HTTP path (Sender and transport, no XML decoding).

    python benchmarks/transport_cpu.py URL [--requests 1500]

URL is a running sandbox holding clients with accounts (any sandbox after an apply of a
benchmark workload). Every request is a `GetClientAccounts` read of a client with accounts,
sent as the plan sends it, 16 at a time; the figure is this process's CPU time (user +
system) divided by the number of requests. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from lexsync.api.client import LeadExecApi
from lexsync.api.settings import ApiSettings
from lexsync.engine import aio

KEY = "sandbox-key"
PARALLELISM = 16


async def measure(url: str, requests: int) -> dict[str, float]:
    settings = ApiSettings(base_url=url, api_key=KEY, parallelism=PARALLELISM)
    async with LeadExecApi(settings) as api:
        uids = [client["ClientUID"] for client in await api.get_client_list()]
        if not uids:
            raise SystemExit("the sandbox holds no clients: apply a configuration first")
        sender = api._sender  # noqa: SLF001 - the HTTP path alone, without decoding
        assert sender is not None
        endpoint = f"{settings.root}/service.asmx/GetClientAccounts"

        async def read(uid: int) -> bytes:
            response = await sender.send(
                "GetClientAccounts",
                lambda: sender.build_request("POST", endpoint,
                                             data={"Key": KEY, "ClientUID": str(uid)}),
                write=False)
            return response.content

        async def run(queue: list[int]) -> dict[int, bytes]:
            answers: dict[int, bytes] = {}

            async def worker() -> None:
                while queue:
                    uid = queue.pop()
                    answers[uid] = await read(uid)
            await asyncio.gather(*(worker() for _ in range(PARALLELISM)))
            return answers

        # Every client once (connections open, answers cached by the sandbox); then only the
        # clients with accounts, whose answers are the plan's large ones.
        first = await run(list(uids))
        with_accounts = [uid for uid, body in first.items() if b"<ClientAccountType>" in body]
        if not with_accounts:
            raise SystemExit("no client has accounts: apply a configuration first")
        queue = [with_accounts[i % len(with_accounts)] for i in range(requests)]
        cpu0, wall0 = time.process_time(), time.perf_counter()
        answers = await run(queue)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        size = sum(len(first[uid]) for uid in answers) // len(answers)
    return {"requests": requests, "cpu_ms_per_request": round(1000 * cpu / requests, 3),
            "wall_s": round(wall, 2), "answer_bytes": size}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--requests", type=int, default=1500)
    args = parser.parse_args()
    print(json.dumps(aio.run(measure(args.url, args.requests))))


if __name__ == "__main__":
    main()
