"""Grow a network created by `lexsync apply` (its sandbox database and its state): each new
client is a copy of a created one, with fresh IDs and its own names.

    python -m benchmarks.grow DB STATE --template 100 --clients 10000

Setting up a large network through the API costs about nine writes per client, which is what
a benchmark of its plans does not measure. Here the first `--template` clients of the
workload are created for real (by the caller, with `lexsync apply`); client i beyond them is
a copy of client i % template (the same group, criteria and everything else `workload.render`
derives from i modulo 20), its rows inserted through the sandbox's own store (`Store`,
`Tx.insert`) with every ID and reference renumbered, and the strings that name a client
(`workload.client_marks`) changed to its own. Its state records are the template client's
(read and written through `LocalBackend`), renamed and renumbered the same way: what the
apply that created it would have recorded. (`lexsync apply --adopt` cannot build that state
without writing: reads do not show an account's write-only attributes, so adopting writes
each account once.) The caller checks that a plan then shows no change: a copy that differs
from the configuration, or from its state, fails there, not silently. Run it with the
sandbox stopped.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.workload import client_marks  # noqa: E402
from lexsync.sandbox.store import TABLES, Reader, Store, Tx  # noqa: E402
from lexsync.state.document import ResourceState  # noqa: E402
from lexsync.state.local import LocalBackend  # noqa: E402

# A client's rows, parents before children: (table, the table its `parent` column names).
SUBTREE = [("methods", "clients"), ("settings", "methods"), ("mappings", "settings"),
           ("days", "methods"), ("accounts", "clients"), ("criteria", "accounts")]
# Attributes that hold another row's ID, and that row's table.
REFERENCES = {"ClientUID": "clients", "DeliveryUID": "methods", "ClientDeliveryUID": "methods",
              "DeliverySettingUID": "settings", "ClientAccountUID": "accounts"}
# The table of a resource's remote ID, and of its sub-objects' IDs by their key's form.
KIND_TABLES = {"client": "clients", "delivery_method": "methods", "delivery_account": "accounts"}
SUB_ID_TABLES = [("criterion.", "criteria"), ("schedule.", "days"), ("field_mapping.", "settings")]
# Clients whose indexes differ by a multiple of this are alike but for their names (4 groups,
# 10 states in the criteria).
PERIOD = 20


def template_rows(reader: Reader, client_id: int) -> dict[str, list[tuple[int, int | None, dict[str, Any]]]]:
    """The rows of one client and everything under it: {table: [(id, parent, data)]}."""
    client = reader.get("clients", client_id)
    assert client is not None
    rows: dict[str, list[tuple[int, int | None, dict[str, Any]]]] = {
        "clients": [(client_id, None, client)]}
    for table, parent_table in SUBTREE:
        parents = [row[0] for row in rows[parent_table]]
        found = reader.children_of(table, parents)
        rows[table] = [(obj[TABLES[table].id_field], parent, obj)
                       for parent in parents for obj in found.get(parent, [])]
    return rows


def _renamed(value: Any, marks: list[tuple[str, str]]) -> Any:
    if isinstance(value, str):
        for old, new in marks:
            value = value.replace(old, new)
        return value
    if isinstance(value, dict):
        return {k: _renamed(v, marks) for k, v in value.items()}
    if isinstance(value, list):
        return [_renamed(v, marks) for v in value]
    return value


def clone(tx: Tx, rows: dict[str, list[tuple[int, int | None, dict[str, Any]]]],
          marks: list[tuple[str, str]]) -> dict[str, dict[int, int]]:
    """Insert a copy of `rows` with new IDs, references renumbered and names changed; the
    new ID of each old one, by table."""
    new_ids: dict[str, dict[int, int]] = {}
    for table, parent_table in [("clients", ""), *SUBTREE]:
        ids = new_ids[table] = {}
        for old_id, parent, data in rows[table]:
            body = _renamed(data, marks)
            for attr, target in REFERENCES.items():
                if attr in body and attr != TABLES[table].id_field:
                    body[attr] = new_ids[target][body[attr]]
            new_parent = new_ids[parent_table][parent] if parent is not None else None
            ids[old_id] = tx.insert(table, new_parent, body)
    return new_ids


def _sub_id_table(key: str) -> str:
    if key.startswith("field_mapping.") and ".map." in key:
        return "mappings"
    for prefix, table in SUB_ID_TABLES:
        if key.startswith(prefix):
            return table
    raise RuntimeError(f"state sub-ID {key!r}: its table is not known here")


def cloned_state(records: list[ResourceState], new_ids: dict[str, dict[int, int]],
                 marks: list[tuple[str, str]]) -> list[ResourceState]:
    """A copied client's state records: the template's, renamed and renumbered."""
    out = []
    for res in records:
        out.append(ResourceState(
            address=_renamed(res.address, marks), kind=res.kind,
            remote_id=new_ids[KIND_TABLES[res.kind]][res.remote_id],
            parent_id=None if res.parent_id is None else new_ids["clients"][res.parent_id],
            sub_ids={k: new_ids[_sub_id_table(k)][v] for k, v in res.sub_ids.items()},
            attributes=_renamed(res.attributes, marks),
            depends_on=[_renamed(d, marks) for d in res.depends_on]))
    return out


def grow(db: Path, state_path: Path, template: int, clients: int) -> int:
    """Add clients `template`..`clients`-1 to the database at `db` and to the state at
    `state_path`, copies of the first `template` (created through the API). Returns how many
    were added."""
    if template % PERIOD:
        raise ValueError(f"the template must be a multiple of {PERIOD} clients")
    backend = LocalBackend(state_path)
    doc = backend.load()
    if doc.pending:
        raise RuntimeError(f"{state_path}: an apply was interrupted; finish it first")
    store = Store(str(db))
    try:
        with store.reading() as reader:
            by_username = {c["Username"]: c["ClientUID"] for c in reader.all("clients")}
            templates = []
            for j in range(template):
                username = f"{client_marks(j)[0]}-portal"
                if username not in by_username:
                    raise RuntimeError(f"{db}: client {username} (template) is not there")
                templates.append(template_rows(reader, by_username[username]))
        records: dict[str, list[ResourceState]] = {}
        for res in doc.resources.values():
            parts = res.address.split(".")
            if parts[0] == "client":
                records.setdefault(parts[1], []).append(res)
        added = 0
        with store.transaction() as tx:
            for i in range(template, clients):
                if f"{client_marks(i)[0]}-portal" in by_username:
                    continue  # grown earlier
                j = i % template
                marks = list(zip(client_marks(j), client_marks(i), strict=True))
                new_ids = clone(tx, templates[j], marks)
                for res in cloned_state(records[client_marks(j)[0]], new_ids, marks):
                    doc.resources[res.address] = res
                added += 1
            # Inside the transaction: state is written before the rows commit, so a failure
            # leaves neither (a state naming rows that never committed would fail the plan).
            if added:
                backend.write(doc)
        return added
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("db", type=Path)
    parser.add_argument("state", type=Path)
    parser.add_argument("--template", type=int, default=100)
    parser.add_argument("--clients", type=int, required=True)
    args = parser.parse_args()
    print(grow(args.db, args.state, args.template, args.clients))


if __name__ == "__main__":
    main()
