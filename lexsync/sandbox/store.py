"""SQLite storage: one connection, one lock, every write in one transaction.

Each writable object is a row (id, parent, JSON data). Keeping the attributes as JSON
lets the admin `mutate` endpoint change any attribute for drift tests without a schema
migration per field, while SQLite still gives atomic multi-row writes.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Table:
    name: str
    id_field: str
    first_id: int  # distinct ranges per table, so an ID used for the wrong kind never resolves


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table("groups", "ClientGroupUID", 101),
        Table("clients", "ClientUID", 1001),
        Table("methods", "ClientDeliveryUID", 2001),
        Table("settings", "DeliverySettingUID", 3001),
        Table("mappings", "DeliveryMappingUID", 4001),
        Table("days", "DeliveryDayUID", 5001),
        Table("accounts", "ClientAccountUID", 6001),
        Table("criteria", "ClientCriteriaUID", 7001),
    )
}


# Rendered read answers kept at most this size in all; beyond it the cache starts over.
ANSWER_CACHE_BYTES = 64 * 1024 * 1024
_IN_CHUNK = 500  # parameters per `IN (...)`, well under SQLite's limit


class Reader:
    """Row access inside the held lock. It cannot write: only `Tx` can, and only inside
    `Store.transaction`, which is where cached answers are dropped."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def _row(self, table: str, row: tuple[int, int | None, str]) -> dict[str, Any]:
        data = json.loads(row[2])
        return {TABLES[table].id_field: row[0], **data}

    def _rows(self, table: str, rows: list[tuple[int, Any, str]]) -> list[dict[str, Any]]:
        # One json.loads for all rows: per-row calls cost more than the parsing itself.
        id_field = TABLES[table].id_field
        datas = json.loads("[" + ",".join(r[2] for r in rows) + "]")
        return [{id_field: r[0], **data} for r, data in zip(rows, datas, strict=True)]

    def get(self, table: str, obj_id: int) -> dict[str, Any] | None:
        row = self._conn.execute(
            f"SELECT id, parent, data FROM {table} WHERE id = ?", (obj_id,)
        ).fetchone()
        return self._row(table, row) if row else None

    def parent_of(self, table: str, obj_id: int) -> int | None:
        row = self._conn.execute(f"SELECT parent FROM {table} WHERE id = ?", (obj_id,)).fetchone()
        return row[0] if row else None

    def all(self, table: str) -> list[dict[str, Any]]:
        rows = self._conn.execute(f"SELECT id, parent, data FROM {table} ORDER BY id").fetchall()
        return self._rows(table, rows)

    def children(self, table: str, parent: int) -> list[dict[str, Any]]:
        rows = self._conn.execute(
            f"SELECT id, parent, data FROM {table} WHERE parent = ? ORDER BY id", (parent,)
        ).fetchall()
        return self._rows(table, rows)

    def clients_named(self, username: str) -> list[int]:
        """IDs of the clients whose Username is `username`, ignoring case (as Python's
        `str.lower` does): the uniqueness check of every client write, made by SQLite without
        decoding every client (a full decode per write made creating N clients O(N²))."""
        rows = self._conn.execute(
            "SELECT id FROM clients WHERE lowered(json_extract(data, '$.Username')) = ?",
            (username.lower(),)).fetchall()
        return [row[0] for row in rows]

    def children_of(self, table: str, parents: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
        """`children` of many parents in one query per chunk: {parent: rows in ID order}."""
        wanted = list(dict.fromkeys(parents))
        rows: list[tuple[int, int, str]] = []
        for start in range(0, len(wanted), _IN_CHUNK):
            chunk = wanted[start : start + _IN_CHUNK]
            marks = ",".join("?" * len(chunk))
            rows += self._conn.execute(
                f"SELECT id, parent, data FROM {table} WHERE parent IN ({marks})", chunk
            ).fetchall()
        rows.sort()
        found: dict[int, list[dict[str, Any]]] = {}
        for row, obj in zip(rows, self._rows(table, rows), strict=True):
            found.setdefault(row[1], []).append(obj)
        return found


class Tx(Reader):
    """A `Reader` that can also write, inside an open transaction."""

    def insert(self, table: str, parent: int | None, data: dict[str, Any]) -> int:
        body = {k: v for k, v in data.items() if k != TABLES[table].id_field}
        cur = self._conn.execute(
            f"INSERT INTO {table} (parent, data) VALUES (?, ?)", (parent, json.dumps(body))
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def update(self, table: str, obj_id: int, data: dict[str, Any]) -> None:
        body = {k: v for k, v in data.items() if k != TABLES[table].id_field}
        self._conn.execute(f"UPDATE {table} SET data = ? WHERE id = ?", (json.dumps(body), obj_id))

    def delete(self, table: str, obj_id: int) -> None:
        self._conn.execute(f"DELETE FROM {table} WHERE id = ?", (obj_id,))

    def delete_children(self, table: str, parent: int) -> None:
        self._conn.execute(f"DELETE FROM {table} WHERE parent = ?", (parent,))


class Store:
    def __init__(self, db_path: str = ":memory:") -> None:
        self._lock = threading.RLock()
        # Read answers as sent, valid until the data changes (see `answer`).
        self._answers: dict[Hashable, bytes] = {}
        self._answer_bytes = 0
        self._data_version: int | None = None
        # One shared connection guarded by the lock: simplest way to be safe from any thread.
        self._conn = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
        self._conn.create_function("lowered", 1, _lowered, deterministic=True)
        if db_path != ":memory:":
            self._conn.execute("PRAGMA journal_mode=WAL")
            # Commits survive the process being killed, not a power cut: a test double's data
            # need no more, and an fsync per commit (~2 ms, under the store's lock) slowed
            # every write the benchmarks make by as much as the client's own work.
            self._conn.execute("PRAGMA synchronous=NORMAL")
        with self.transaction():
            self._create()

    def _create(self) -> None:
        for table in TABLES.values():
            self._conn.execute(
                f"CREATE TABLE IF NOT EXISTS {table.name} ("
                "id INTEGER PRIMARY KEY AUTOINCREMENT, parent INTEGER, data TEXT NOT NULL)"
            )
            self._conn.execute(
                f"CREATE INDEX IF NOT EXISTS {table.name}_parent ON {table.name}(parent)"
            )
            known = self._conn.execute(
                "SELECT 1 FROM sqlite_sequence WHERE name = ?", (table.name,)
            ).fetchone()
            if not known:
                self._conn.execute(
                    "INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)",
                    (table.name, table.first_id - 1),
                )

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """Hold the lock for a whole write: validation + all rows commit or none do."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield Tx(self._conn)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")
            finally:
                # Every write of this process passes here, so no cached answer outlives it.
                self._forget_answers()

    @contextmanager
    def reading(self) -> Iterator[Reader]:
        with self._lock:
            yield Reader(self._conn)

    def answer(self, key: Hashable, render: Callable[[Reader], bytes]) -> bytes:
        """The read answer for `key`, rendered by `render` only if the data changed since
        it was last rendered. `key` must hold everything the answer depends on."""
        with self._lock:
            # data_version moves when another connection (another process on the same
            # file) commits; this connection's own writes are caught by `transaction`.
            version = self._conn.execute("PRAGMA data_version").fetchone()[0]
            if version != self._data_version:
                self._forget_answers()
                self._data_version = version
            body = self._answers.get(key)
            if body is None:
                body = render(Reader(self._conn))
                if self._answer_bytes + len(body) > ANSWER_CACHE_BYTES:
                    self._forget_answers()
                self._answers[key] = body
                self._answer_bytes += len(body)
            return body

    def _forget_answers(self) -> None:
        self._answers.clear()
        self._answer_bytes = 0

    def reset(self) -> None:
        """Back to seed data: empty every table and restart every ID counter."""
        with self.transaction():
            for table in TABLES.values():
                self._conn.execute(f"DELETE FROM {table.name}")
                self._conn.execute("DELETE FROM sqlite_sequence WHERE name = ?", (table.name,))
            self._create()

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _lowered(value: str | None) -> str | None:
    return value.lower() if isinstance(value, str) else None
