"""The sandbox's own floor: a plan's reads made by a client that does nothing else.

    python -m benchmarks.floor URL [--parallelism 16]

Sends the reads a no-change plan makes (the catalog, the client list, the groups, then each
client's accounts and field data) over `parallelism` keep-alive connections, reads each
answer's bytes and drops them. No HTTP library: the point is a client whose own CPU is next
to nothing, so the wall time is what the sandbox (its latency, its own processing, this
machine) allows any client. Prints one JSON object: calls and wall seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time
from urllib.parse import urlencode, urlsplit

KEY = "sandbox-key"
_CLIENT_UID = re.compile(rb"<ClientUID>(\d+)</ClientUID>")


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str) -> None:
        self.reader, self.writer, self.host = reader, writer, host

    async def read(self, method: str, **params: object) -> bytes:
        body = urlencode({"Key": KEY, **params}).encode()
        self.writer.write(
            f"POST /service.asmx/{method} HTTP/1.1\r\nHost: {self.host}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"{method} answered {head.splitlines()[0]!r}")
        length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        return await self.reader.readexactly(length)


async def floor(url: str, parallelism: int) -> dict[str, float]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    connections = [Connection(*await asyncio.open_connection(host, port), host=parts.netloc)
                   for _ in range(parallelism)]
    started = time.perf_counter()
    first: list[tuple[str, dict[str, object]]] = [
        ("GetClientList", {}), ("GetLeadTypes", {"LeadTypeUID": 0}),
        ("GetLeadFields", {"LeadTypeUID": 1}), ("GetStateList", {}), ("GetClientGroups", {})]
    answers = await _all(connections, first)
    uids = [int(uid) for uid in _CLIENT_UID.findall(answers["GetClientList"])]
    await _all(connections, [(method, {"ClientUID": uid}) for uid in uids
                             for method in ("GetClientAccounts", "GetClientData")])
    wall = time.perf_counter() - started
    for conn in connections:
        conn.writer.close()
    return {"calls": len(first) + 2 * len(uids), "wall": wall}


async def _all(connections: list[Connection], calls: list[tuple[str, dict[str, object]]]
               ) -> dict[str, bytes]:
    """Make `calls` in order over all connections; the last answer of each method."""
    queue = list(reversed(calls))
    answers: dict[str, bytes] = {}

    async def work(conn: Connection) -> None:
        while queue:
            method, params = queue.pop()
            answers[method] = await conn.read(method, **params)

    await asyncio.gather(*(work(conn) for conn in connections))
    return answers


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--parallelism", type=int, default=16)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(floor(args.url, args.parallelism))))


if __name__ == "__main__":
    main()
