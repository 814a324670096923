"""The PostgreSQL state backend: one row per workspace, an advisory lock, and version history.

Shared by everyone who runs lexsync against one LeadExec account. The lock is a session-level
advisory lock on its own connection, so PostgreSQL itself releases it when the holder's
connection ends (the process was killed, the laptop lost its network); a `lexsync_locks` row
beside it only says who holds it. Every write checks the serial it read, inside a transaction
that locks the row, and keeps the previous versions for `state history` and `state rollback`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lexsync.errors import StateError, StateLockedError
from lexsync.state.document import StateDocument, text_digest
from lexsync.state.lockfile import (
    POLL_INTERVAL,
    LockInfo,
    holder_running_error,
    locked_error,
    runs_here,
)

DEFAULT_WORKSPACE = "default"
DEFAULT_HISTORY = 20
SCHEMA = "lexsync"
CONNECT_TIMEOUT = 10  # seconds; a wrong host should fail fast, not hang the pipeline

# Idempotent; run under a transaction-level advisory lock so two first runs do not race on
# CREATE TABLE IF NOT EXISTS (which is not concurrency safe in PostgreSQL).
_DDL = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
CREATE TABLE IF NOT EXISTS {SCHEMA}.states (
    workspace  text PRIMARY KEY,
    lineage    text NOT NULL,
    serial     bigint NOT NULL,
    document   text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS {SCHEMA}.state_history (
    workspace  text NOT NULL,
    lineage    text NOT NULL,
    serial     bigint NOT NULL,
    document   text NOT NULL,
    written_at timestamptz NOT NULL DEFAULT now(),
    written_by text NOT NULL DEFAULT '',
    command    text NOT NULL DEFAULT '',
    PRIMARY KEY (workspace, lineage, serial)
);
CREATE TABLE IF NOT EXISTS {SCHEMA}.locks (
    workspace  text PRIMARY KEY,
    id         text NOT NULL,
    who        text NOT NULL,
    pid        integer NOT NULL,
    command    text NOT NULL,
    since      text NOT NULL,
    backend_pid integer NOT NULL
);
"""
_DDL_LOCK_KEY = 0x6C657873  # "lexs": serialises schema creation across clients


@dataclass(frozen=True)
class HistoryEntry:
    serial: int
    lineage: str
    written_at: datetime
    written_by: str
    command: str
    resources: int
    current: bool


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - a dependency, but say what to do if it is missing
        raise StateError("the postgres state backend needs psycopg: pip install 'psycopg[binary]'") \
            from None
    return psycopg


def redact_url(url: str) -> str:
    """The URL without its password, for messages."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    userinfo, _, host = rest.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}@{host}" if user else f"{scheme}://{host}"


class PostgresBackend:
    def __init__(self, url: str, workspace: str = DEFAULT_WORKSPACE,
                 history: int = DEFAULT_HISTORY) -> None:
        if not workspace:
            raise StateError("the postgres state workspace must not be empty")
        self.url = url
        self.workspace = workspace
        self.keep_history = max(int(history), 1)
        self.name = f"{redact_url(url)} (workspace {workspace})"
        self._conn: Any = None
        self._conn_guard = threading.Lock()  # one data connection, used from any thread
        self._loaded_serial: int | None = None
        self._held: LockInfo | None = None
        digest = hashlib.sha256(f"lexsync:{workspace}".encode()).digest()
        self._lock_key = int.from_bytes(digest[:8], "big", signed=True)

    # --- connections ---------------------------------------------------------------------
    def _connect(self) -> Any:
        psycopg = _psycopg()
        try:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT,
                                   application_name="lexsync",
                                   # Notice a vanished server instead of hanging.
                                   keepalives=1, keepalives_idle=30, keepalives_interval=10,
                                   keepalives_count=3)
        except psycopg.Error as exc:
            raise StateError(f"cannot connect to the state database {redact_url(self.url)}: "
                             f"{_first_line(exc)}") from None
        return conn

    @contextlib.contextmanager
    def _data(self) -> Iterator[Any]:
        """The data connection, created (with the tables) on first use."""
        psycopg = _psycopg()
        with self._conn_guard:
            if self._conn is None or self._conn.closed:
                conn = self._connect()
                try:
                    with conn.transaction():
                        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_DDL_LOCK_KEY,))
                        conn.execute(_DDL)
                except psycopg.Error as exc:
                    conn.close()
                    raise StateError(f"cannot prepare the state tables in {redact_url(self.url)}: "
                                     f"{_first_line(exc)}") from None
                self._conn = conn
            try:
                yield self._conn
            except psycopg.OperationalError as exc:
                # The connection may be gone; the next call reconnects.
                with contextlib.suppress(Exception):
                    self._conn.close()
                raise StateError(f"state database {redact_url(self.url)}: {_first_line(exc)}") \
                    from None
            except psycopg.Error as exc:
                raise StateError(f"state database {redact_url(self.url)}: {_first_line(exc)}") \
                    from None

    def close(self) -> None:
        with self._conn_guard:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # --- documents -----------------------------------------------------------------------
    def load(self, lazily: bool = False, by_index: bool = False) -> StateDocument:
        # by_index: a workspace's document has no record index; it is read as without it.
        with self._data() as conn:
            row = conn.execute(f"SELECT document FROM {SCHEMA}.states WHERE workspace = %s",
                               (self.workspace,)).fetchone()
        doc = StateDocument.new() if row is None else self._parse(row[0], lazily)
        self._loaded_serial = doc.serial
        return doc

    def exists(self) -> bool:
        with self._data() as conn:
            return conn.execute(f"SELECT 1 FROM {SCHEMA}.states WHERE workspace = %s",
                                (self.workspace,)).fetchone() is not None

    def write(self, doc: StateDocument) -> StateDocument:
        """Save `doc` as a new version; its serial rises only when its content changed.

        Refused when the stored serial is not the one `doc` was loaded with: another run wrote
        in between, and saving would lose its changes. Updates `doc.serial` in place.
        """
        expected = self._loaded_serial if self._loaded_serial is not None else doc.serial
        with self._data() as conn, conn.transaction():
            row = conn.execute(
                f"SELECT serial, lineage, document FROM {SCHEMA}.states "
                "WHERE workspace = %s FOR UPDATE", (self.workspace,)).fetchone()
            if row is not None:
                serial, lineage, text = row
                if serial != expected:
                    raise StateError(
                        f"state changed since it was read: serial {serial} on disk, "
                        f"{expected} expected ({self.name})")
                if lineage != doc.lineage:
                    raise StateError(
                        f"state {self.name} has lineage {lineage}, not {doc.lineage}: "
                        "refusing to overwrite a different state")
                if self._parse(text).content_digest() == doc.content_digest():
                    doc.serial = serial
                    doc.source_digest = text_digest(text)
                    self._loaded_serial = serial
                    return doc
            new_serial = (row[0] if row is not None else doc.serial) + 1
            text = doc.to_json(new_serial)
            who, command = self._author()
            if row is None:
                inserted = conn.execute(
                    f"INSERT INTO {SCHEMA}.states (workspace, lineage, serial, document, updated_by)"
                    " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (workspace) DO NOTHING",
                    (self.workspace, doc.lineage, new_serial, text, who)).rowcount
                if not inserted:  # another run created the workspace since we read it
                    raise StateError(f"state changed since it was read: {self.name} was created "
                                     "by another run")
            else:
                conn.execute(
                    f"UPDATE {SCHEMA}.states SET serial = %s, document = %s, updated_at = now(), "
                    "updated_by = %s WHERE workspace = %s",
                    (new_serial, text, who, self.workspace))
            conn.execute(
                f"INSERT INTO {SCHEMA}.state_history (workspace, lineage, serial, document, "
                "written_by, command) VALUES (%s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (workspace, lineage, serial) DO UPDATE SET document = EXCLUDED.document",
                (self.workspace, doc.lineage, new_serial, text, who, command))
            # Keep the newest versions only; the history is for undo, not an audit log.
            conn.execute(
                f"DELETE FROM {SCHEMA}.state_history WHERE workspace = %s AND (lineage, serial) "
                f"NOT IN (SELECT lineage, serial FROM {SCHEMA}.state_history WHERE workspace = %s "
                "ORDER BY written_at DESC, serial DESC LIMIT %s)",
                (self.workspace, self.workspace, self.keep_history + 1))
        doc.serial = new_serial  # only once the transaction committed
        doc.source_digest = text_digest(text)
        self._loaded_serial = new_serial
        return doc

    def _author(self) -> tuple[str, str]:
        info = self._held or LockInfo.for_this_process("")
        return info.who, info.command

    def _parse(self, text: str, lazily: bool = False) -> StateDocument:
        return StateDocument.from_json(text, self.name, lazily=lazily)

    # --- history -------------------------------------------------------------------------
    def history(self, limit: int | None = None) -> list[HistoryEntry]:
        """Stored versions, newest first; the first is the current one."""
        with self._data() as conn:
            current = conn.execute(f"SELECT lineage, serial FROM {SCHEMA}.states "
                                   "WHERE workspace = %s", (self.workspace,)).fetchone()
            rows = conn.execute(
                f"SELECT serial, lineage, written_at, written_by, command, document "
                f"FROM {SCHEMA}.state_history WHERE workspace = %s "
                "ORDER BY written_at DESC, serial DESC LIMIT %s",
                (self.workspace, limit or self.keep_history + 1)).fetchall()
        entries = []
        for serial, lineage, written_at, written_by, command, text in rows:
            entries.append(HistoryEntry(
                serial=serial, lineage=lineage, written_at=written_at, written_by=written_by,
                command=command, resources=len(self._parse(text).resources),
                current=current is not None and (lineage, serial) == tuple(current)))
        return entries

    def version(self, serial: int) -> StateDocument:
        """The stored version `serial` of the current lineage."""
        with self._data() as conn:
            current = conn.execute(f"SELECT lineage FROM {SCHEMA}.states WHERE workspace = %s",
                                   (self.workspace,)).fetchone()
            if current is None:
                raise StateError(f"state {self.name} is empty: nothing to roll back to")
            row = conn.execute(
                f"SELECT document FROM {SCHEMA}.state_history "
                "WHERE workspace = %s AND lineage = %s AND serial = %s",
                (self.workspace, current[0], serial)).fetchone()
        if row is None:
            raise StateError(f"state {self.name} keeps no version with serial {serial}; "
                             "see lexsync state history")
        return self._parse(row[0])

    def rollback(self, serial: int | None = None) -> tuple[int, StateDocument]:
        """Store version `serial` (default: the one before the current) as a new version.

        Returns the serial restored and the new document. Call it while holding the lock.
        """
        current = self.load()
        if current.serial == 0:
            raise StateError(f"state {self.name} is empty: nothing to roll back to")
        if serial is None:
            older = [e.serial for e in self.history()
                     if e.lineage == current.lineage and e.serial < current.serial]
            if not older:
                raise StateError(f"state {self.name} keeps no version before serial "
                                 f"{current.serial}; nothing to roll back to")
            serial = max(older)
        if serial == current.serial:
            raise StateError(f"serial {serial} is already the current version")
        old = self.version(serial)
        restored = dataclasses.replace(old, serial=current.serial)
        return serial, self.write(restored)

    # --- locking -------------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self, command: str, timeout: float = 0) -> Iterator[LockInfo]:
        """Hold the workspace's advisory lock on a connection of its own for the block."""
        psycopg = _psycopg()
        info = LockInfo.for_this_process(command)
        conn = self._connect()
        try:
            with self._data():
                pass  # the tables exist before the lock row is written
            deadline = time.monotonic() + max(timeout, 0)
            while not conn.execute("SELECT pg_try_advisory_lock(%s)",
                                   (self._lock_key,)).fetchone()[0]:
                if time.monotonic() >= deadline:
                    raise self._locked_error(timeout)
                time.sleep(POLL_INTERVAL)
            conn.execute(
                f"INSERT INTO {SCHEMA}.locks (workspace, id, who, pid, command, since, backend_pid) "
                "VALUES (%s, %s, %s, %s, %s, %s, pg_backend_pid()) ON CONFLICT (workspace) DO UPDATE "
                "SET id = EXCLUDED.id, who = EXCLUDED.who, pid = EXCLUDED.pid, "
                "command = EXCLUDED.command, since = EXCLUDED.since, "
                "backend_pid = EXCLUDED.backend_pid",
                (self.workspace, info.id, info.who, info.pid, info.command, info.since))
        except psycopg.Error as exc:
            conn.close()
            raise StateError(f"cannot lock state {self.name}: {_first_line(exc)}") from None
        except BaseException:
            conn.close()
            raise
        self._held = info
        try:
            yield info
        finally:
            self._held = None
            # A force-unlock may have ended this connection already; closing it releases the
            # advisory lock either way. The row goes only while it is still ours.
            with contextlib.suppress(psycopg.Error):
                conn.execute(f"DELETE FROM {SCHEMA}.locks WHERE workspace = %s AND id = %s",
                             (self.workspace, info.id))
            conn.close()

    def lock_info(self) -> LockInfo | None:
        """Who holds the lock now, or None when nobody does."""
        with self._data() as conn:
            row = conn.execute(
                f"SELECT l.id, l.who, l.pid, l.command, l.since, "
                f"EXISTS (SELECT 1 FROM pg_locks p WHERE p.locktype = 'advisory' AND p.granted "
                "AND p.pid = l.backend_pid AND p.classid::bigint = %s AND p.objid::bigint = %s "
                "AND p.objsubid = 1) "
                f"FROM {SCHEMA}.locks l WHERE l.workspace = %s",
                (*self._key_parts(), self.workspace)).fetchone()
        if row is None or not row[5]:
            return None  # a row left by a holder whose session ended is not a lock
        return LockInfo(id=row[0], who=row[1], pid=row[2], command=row[3], since=row[4])

    def force_unlock(self, lock_id: str, force: bool = False) -> str:
        """End the session holding the lock named `lock_id`; PostgreSQL then releases it.

        While that session exists its run is taken to be alive: refused unless `force` (for a
        run whose machine vanished without closing its connection)."""
        with self._data() as conn:
            row = conn.execute(f"SELECT id, backend_pid, who, pid, command, since FROM {SCHEMA}.locks "
                               "WHERE workspace = %s", (self.workspace,)).fetchone()
            holder = self._holder_pid(conn)
            if holder is None:
                if row is not None:
                    conn.execute(f"DELETE FROM {SCHEMA}.locks WHERE workspace = %s AND id = %s",
                                 (self.workspace, row[0]))
                raise StateError(f"state {self.name} is not locked")
            if row is None or row[1] != holder:
                raise StateError(f"state {self.name} is locked by a session that has not recorded "
                                 f"its lock info yet (server pid {holder}); try again")
            if row[0] != lock_id:
                raise StateError(f"lock ID {lock_id} does not match the current lock {row[0]}")
            info = LockInfo(id=row[0], who=row[2], pid=row[3], command=row[4], since=row[5])
            if not force:
                raise holder_running_error(info, self._session_evidence(conn, holder))
            ended = conn.execute("SELECT pg_terminate_backend(%s)", (holder,)).fetchone()[0]
            if not ended:
                raise StateError(f"could not end the session holding the lock (server pid "
                                 f"{holder}); the database role needs pg_signal_backend")
            conn.execute(f"DELETE FROM {SCHEMA}.locks WHERE workspace = %s AND id = %s",
                         (self.workspace, lock_id))
            # Termination is asynchronous; wait until the advisory lock is really free.
            deadline = time.monotonic() + 10
            while self._holder_pid(conn) == holder and time.monotonic() < deadline:
                time.sleep(POLL_INTERVAL)
        return (f"Lock {lock_id} released: its database session (server pid {holder}) was ended, "
                f"though the run that held it ({info.who}, pid {info.pid}) may be still running; "
                "start no other run until it has ended.")

    @staticmethod
    def _session_evidence(conn: Any, holder: int) -> str:
        """What pg_stat_activity says of the session holding the lock."""
        row = conn.execute("SELECT client_addr::text, state, state_change FROM pg_stat_activity "
                           "WHERE pid = %s", (holder,)).fetchone()
        evidence = f"its database session (server pid {holder}"
        if row is not None:
            client, state, since = row
            evidence += f", from {client or 'a local socket'}"
            if state:
                evidence += f", {state}" + (f" since {since:%Y-%m-%dT%H:%M:%S%z}" if since else "")
        return evidence + ") is connected"

    def _key_parts(self) -> tuple[int, int]:
        # pg_locks shows a bigint advisory key as two unsigned 32-bit halves.
        unsigned = self._lock_key & 0xFFFFFFFFFFFFFFFF
        return unsigned >> 32, unsigned & 0xFFFFFFFF

    def _holder_pid(self, conn: Any) -> int | None:
        row = conn.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid::bigint = %s AND objid::bigint = %s AND objsubid = 1",
            self._key_parts()).fetchone()
        return None if row is None else row[0]

    def _locked_error(self, timeout: float) -> StateLockedError:
        # PostgreSQL ends a killed holder's session, which frees the lock; a holder whose machine
        # vanished keeps its session until the server notices, so only a holder on this machine
        # can be checked.
        info = self.lock_info()
        # The holder writes who it is just after taking the lock: give it a moment to.
        deadline = time.monotonic() + 1
        while info is None and time.monotonic() < deadline:
            with self._data() as conn:
                if self._holder_pid(conn) is None:
                    break
            time.sleep(POLL_INTERVAL)
            info = self.lock_info()
        return locked_error(self.name, info, timeout,
                            holder_checked=info is not None and runs_here(info))


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
