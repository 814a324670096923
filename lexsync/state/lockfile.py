"""A lock file whose owner is whoever holds its flock, so a killed holder's lock is detectable.

The file (created with O_CREAT|O_EXCL) says who holds the lock; the flock on it says whether
that holder is still alive. The kernel drops a flock when its process dies, so a lock file
whose flock can be taken is stale and is taken over in place. So is a force-unlock of it; a
lock whose flock is held belongs to a run that is still running, and force-unlock refuses to
break it unless forced (FORCE_RISK says why).
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import json
import os
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from lexsync.errors import StateError, StateLockedError
from lexsync.state.files import ensure_directory, open_no_follow, read_text_no_follow

POLL_INTERVAL = 0.1
WHAT = "lock file"


@dataclass(frozen=True)
class LockInfo:
    id: str
    who: str  # user@host
    pid: int
    command: str
    since: str  # ISO 8601, UTC

    @classmethod
    def for_this_process(cls, command: str) -> LockInfo:
        return cls(
            id=str(uuid.uuid4()),
            who=f"{_user()}@{socket.gethostname()}",
            pid=os.getpid(),
            command=command,
            since=datetime.now(UTC).isoformat(timespec="seconds"),
        )


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry, e.g. an arbitrary container UID
        return str(os.getuid())


def read_info(path: Path) -> LockInfo | None:
    """The lock's info, or None when there is no lock file or it is still being written."""
    try:
        text = read_text_no_follow(path, WHAT)
        return None if text is None else LockInfo(**json.loads(text))
    except (ValueError, TypeError):
        return None


@contextlib.contextmanager
def hold(path: Path, command: str, timeout: float = 0, *, state_name: str = "") -> Iterator[LockInfo]:
    """Hold the lock at `path` for the duration of the block, waiting up to `timeout` seconds."""
    info = LockInfo.for_this_process(command)
    ensure_directory(path.parent)  # a first apply locks before any state exists
    deadline = time.monotonic() + max(timeout, 0)
    while True:
        fd = _try_acquire(path)
        if fd is not None:
            break
        if time.monotonic() >= deadline:
            raise _locked_error(path, state_name, timeout)
        time.sleep(POLL_INTERVAL)
    try:
        _write_info(fd, info)
        yield info
    finally:
        _release(path, fd)


FORCE_RISK = ("Removing the lock of a run that is still working lets another run change "
              "LeadExec at the same time: both create the same objects (duplicates), and each "
              "records only its own in state (orphans, objects no state knows).")


def holder_running_error(info: LockInfo, evidence: str) -> StateLockedError:
    """force-unlock's refusal for a lock whose holder is alive."""
    return StateLockedError(
        f"lock {info.id} is held by a run that is still running ({evidence}): {info.who} "
        f"(pid {info.pid}), command {info.command!r}, since {info.since}. Wait for it to finish, "
        f"or stop it. {FORCE_RISK} If you are certain it can no longer change anything, pass "
        "--force."
    )


def force_unlock(path: Path, lock_id: str, force: bool = False) -> str:
    """Remove the lock only when `lock_id` names it, so a newer lock is never removed by
    mistake, and only with `force` while its holder still runs. Returns what was done."""
    info = read_info(path)
    if info is None:
        if os.path.lexists(path):
            raise StateError(f"lock file {path} holds no readable lock info; remove it by hand")
        raise StateError(f"{path} is not locked")
    if info.id != lock_id:
        raise StateError(f"lock ID {lock_id} does not match the current lock {info.id}")
    fd = _open_existing(path)
    if fd is None:
        raise StateError(f"{path} is not locked")
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            running = False
        except BlockingIOError:
            running = True
        if running and not force:
            raise holder_running_error(info, "it holds the lock file's flock")
        if _still_names(path, fd):
            path.unlink(missing_ok=True)
    finally:
        os.close(fd)
    if running:
        return (f"Lock {lock_id} removed although its holder (pid {info.pid}) is still running; "
                "start no other run until it has ended.")
    return (f"Lock {lock_id} removed; the run that held it is no longer running (the next run "
            "would have taken its lock over anyway).")


def _try_acquire(path: Path) -> int | None:
    """An fd holding the lock's flock, or None when a live process holds it."""
    try:
        fd = open_no_follow(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, WHAT)
    except FileExistsError:
        existing = _open_existing(path)
        if existing is None:
            return None  # vanished between the two opens; the caller retries
        fd = existing
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        # Held by a live process (or another process took over the file we just created).
        os.close(fd)
        return None
    if not _still_names(path, fd):
        # The file was released and replaced while we waited: ours is an orphaned inode.
        os.close(fd)
        return None
    return fd


def _open_existing(path: Path) -> int | None:
    try:
        return open_no_follow(path, os.O_RDWR, WHAT)
    except FileNotFoundError:
        return None


def _still_names(path: Path, fd: int) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def _write_info(fd: int, info: LockInfo) -> None:
    data = json.dumps(asdict(info), sort_keys=True, indent=2).encode("utf-8")
    os.ftruncate(fd, 0)
    os.pwrite(fd, data, 0)
    os.fsync(fd)


def _release(path: Path, fd: int) -> None:
    try:
        # Unlink while still holding the flock, and only our own file: after a force-unlock
        # the path may name someone else's lock.
        if _still_names(path, fd):
            path.unlink(missing_ok=True)
    finally:
        os.close(fd)


def _locked_error(path: Path, state_name: str, timeout: float) -> StateLockedError:
    # Its flock is held: the holder is alive (a dead holder's lock is taken over).
    return locked_error(state_name or str(path), read_info(path), timeout, holder_checked=True,
                        unknown_holder_hint=f"; lock file {path}")


def locked_error(target: str, info: LockInfo | None, timeout: float, *, holder_checked: bool,
                 unknown_holder_hint: str = "") -> StateLockedError:
    """The refusal every backend gives: who holds the lock, since when, and what to do.

    `holder_checked`: the holder is known to be alive. Only when it cannot be checked (say a
    run on another machine, which may be gone) is force-unlock suggested: a dead holder's lock
    is taken over by the next run, and a live holder's must not be broken.
    """
    waited = f" (waited {timeout:g}s)" if timeout > 0 else ""
    if info is None:
        return StateLockedError(f"state {target} is locked by another run{waited}{unknown_holder_hint}")
    if holder_checked:
        advice = ("That run is still running: wait for it to finish (apply --lock-timeout SECONDS "
                  "waits for the lock), or stop it; its lock goes when it ends, even if killed.")
    else:
        advice = (f"lexsync cannot tell from here whether that run is still running. If you are "
                  f"certain it is not (its machine is gone), remove the lock with: "
                  f"lexsync force-unlock --force {info.id}")
    return StateLockedError(
        f"state {target} is locked{waited}\n"
        f"  Lock ID: {info.id}\n"
        f"  Who:     {info.who} (pid {info.pid})\n"
        f"  Command: {info.command}\n"
        f"  Since:   {info.since}\n"
        f"{advice}"
    )


def runs_here(info: LockInfo) -> bool:
    """Whether the holder's process runs on this machine and is alive (False: unknown or dead)."""
    if info.who.rpartition("@")[2] != socket.gethostname():
        return False
    try:
        os.kill(info.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True
