"""Opening the local state's files safely: owner-only modes whatever the umask, and never
through a symbolic link someone planted to make lexsync overwrite another file."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import stat
import time
from pathlib import Path

from lexsync.errors import StateError

DIR_MODE = 0o700  # state holds remote IDs and secret hashes: owner only
FILE_MODE = 0o600
# A temporary file younger than this may still be between its creation and its writer's flock.
STRAY_MIN_AGE = 60.0  # seconds


def ensure_directory(directory: Path) -> None:
    """Create the state's directory owner-only (a directory that exists is left as it is)."""
    directory.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)


def open_no_follow(path: Path, flags: int, what: str) -> int:
    """`os.open` that refuses a symbolic link at `path` with a clear error; a file it creates
    is owner-only, and so is one it truncates (it may have been made looser by hand)."""
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC, FILE_MODE)
    except OSError as exc:
        if os.path.islink(path):
            raise refused_link(path, what) from None
        if isinstance(exc, FileNotFoundError | FileExistsError):
            raise
        raise StateError(f"cannot open the {what} {path}: {exc.strerror}") from None
    if flags & os.O_TRUNC:
        os.fchmod(fd, FILE_MODE)
    return fd


def refused_link(path: Path, what: str) -> StateError:
    return StateError(f"the {what} {path} is a symbolic link; lexsync does not follow links "
                      "for its state files (one could point at another file to overwrite). "
                      "Remove the link and run again")


def read_text_no_follow(path: Path, what: str) -> str | None:
    """The file's text, or None when it does not exist."""
    try:
        fd = open_no_follow(path, os.O_RDONLY, what)
    except FileNotFoundError:
        return None
    with os.fdopen(fd, encoding="utf-8", errors="replace") as handle:
        return handle.read()


def remove_stray_temporary_files(directory: Path, names: tuple[str, ...]) -> list[Path]:
    """Remove temporary files a killed writer left for the files `names` in `directory`.

    Only names `tempfile.mkstemp` makes for those files (`.NAME.XXXXXXXX.tmp`), only regular
    files of this user, only when no writer holds their flock (writers lock their temporary
    file while writing it) and they are older than STRAY_MIN_AGE. Returns what was removed.
    """
    alternatives = "|".join(map(re.escape, names))
    pattern = re.compile(rf"\.(?:{alternatives})\.[a-z0-9_]{{8}}\.tmp\Z")
    removed: list[Path] = []
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return removed
    now = time.time()
    for entry in entries:
        if not pattern.match(entry.name):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() \
                or now - info.st_mtime < STRAY_MIN_AGE:
            continue
        path = Path(entry.path)
        if _remove_if_unused(path, info.st_ino):
            removed.append(path)
    return removed


def _remove_if_unused(path: Path, inode: int) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # a writer is still at it
        if os.fstat(fd).st_ino != inode:
            return False
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        return True
    finally:
        os.close(fd)
