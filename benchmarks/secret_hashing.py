"""What hashing secrets with scrypt costs a run (lexsync/state/secret_hash.py).

    python benchmarks/secret_hashing.py [--secrets 1000]

Prints, for N distinct secrets (say 1,000 buyers with their own portal password): one scrypt
hash; a plan's comparisons of each configured secret with the one LeadExec answers; the
digests a saved plan records; what an apply that writes them all to state computes; and, for
reference, the same plan hashing every secret eagerly with scrypt and with the old SHA-256.
CPU seconds of this process (scrypt runs on the calling thread).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import time
from collections.abc import Callable

from lexsync.state import secret_hash
from lexsync.state.document import StateDocument


def cpu(action: Callable[[], object]) -> float:
    started = time.process_time()
    action()
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--secrets", type=int, default=1000)
    count = parser.parse_args().secrets
    plain = [f"portal-password-{i:05d}" for i in range(count)]
    rows: list[tuple[str, float, str]] = []

    one = [cpu(lambda i=i: secret_hash.scrypt_hash(f"single-{i}", "salt")) for i in range(5)]
    rows.append(("one scrypt hash (n=2^14, r=8, p=1)", statistics.median(one), "median of 5"))

    doc = StateDocument.new()
    desired: list[secret_hash.SecretHash] = []
    live: list[secret_hash.SecretHash] = []

    def plan() -> None:
        desired.extend(doc.hash_secret(p) for p in plain)
        live.extend(doc.hash_secret(p) for p in plain)
        assert all(d == v for d, v in zip(desired, live, strict=True))

    rows.append((f"plan: hash and compare {count} configured with {count} live", cpu(plan),
                 "no scrypt: equal secrets compare as given"))
    rows.append(("saved plan: digests of those values",
                 cpu(lambda: json.dumps([desired, live], default=str)), "one scrypt in all"))
    rows.append((f"apply: {count} hashes written to state",
                 cpu(lambda: json.dumps(desired, default=secret_hash.to_json)),
                 "one scrypt per distinct secret"))
    rows.append((f"the apply again: {count} hashes written", cpu(
        lambda: json.dumps(desired, default=secret_hash.to_json)), "cached for the run"))

    secret_hash.clear_cache()
    rows.append((f"eager scrypt (not used): {2 * count} hashed, equal ones cached", cpu(
        lambda: [secret_hash.scrypt_hash(p, "salt") for p in plain * 2]),
        "what hashing each value at once would cost a plan"))
    rows.append((f"old SHA-256 (before): {2 * count} hashed", cpu(
        lambda: [hashlib.sha256(("salt" + p).encode()).hexdigest() for p in plain * 2]), ""))

    width = max(len(r[0]) for r in rows)
    print(f"{'what':<{width}} | CPU s  | note")
    for name, seconds, note in rows:
        print(f"{name:<{width}} | {seconds:6.3f} | {note}")


if __name__ == "__main__":
    main()
