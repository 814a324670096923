"""The local state backend: one JSON file, written atomically, with a backup and a lock file."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from lexsync.errors import StateError
from lexsync.state import journal, lockfile
from lexsync.state.document import StateDocument
from lexsync.state.lockfile import LockInfo

FILE_MODE = 0o600  # state holds remote IDs and secret hashes: owner only


class LocalBackend:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.backup_path = self.path.with_name(self.path.name + ".backup")
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        # Serial of the document last loaded or written through this backend; a write from a
        # document that started elsewhere falls back to that document's own serial.
        self._loaded_serial: int | None = None

    def load(self) -> StateDocument:
        text = self._read_text()
        doc = StateDocument.new() if text is None else StateDocument.from_json(text, str(self.path))
        if text is not None:
            # A run killed during apply left its last results in the journal.
            journal.replay(journal.journal_path(self.path), doc)
        self._loaded_serial = doc.serial
        return doc

    def write(self, doc: StateDocument) -> StateDocument:
        """Save `doc`; its serial rises only when its content differs from the file's.

        Refuses when the file's serial is not the one `doc` was loaded with, because another
        run wrote in between and saving would lose its changes. Updates `doc.serial` in place
        and returns `doc`.
        """
        text = self._read_text()
        on_disk = None if text is None else StateDocument.from_json(text, str(self.path))
        expected = self._loaded_serial if self._loaded_serial is not None else doc.serial
        if on_disk is not None:
            if on_disk.serial != expected:
                raise StateError(
                    f"state changed since it was read: serial {on_disk.serial} on disk, "
                    f"{expected} expected ({self.path})"
                )
            if on_disk.lineage != doc.lineage:
                raise StateError(
                    f"state file {self.path} has lineage {on_disk.lineage}, not {doc.lineage}: "
                    "refusing to overwrite a different state"
                )
            if on_disk.content_digest() == doc.content_digest():
                doc.serial = on_disk.serial
                self._loaded_serial = doc.serial
                return doc
        new_serial = (on_disk.serial if on_disk is not None else doc.serial) + 1
        del on_disk  # a second copy of every resource: not held while the new file is written
        candidate = StateDocument(
            lineage=doc.lineage,
            serial=new_serial,
            version=doc.version,
            secret_salt=doc.secret_salt,
            resources=doc.resources,
            pending=doc.pending,
            endpoint=doc.endpoint,
        )
        if text is not None:
            _atomic_write(self.backup_path, text)
        _atomic_write(self.path, candidate.write_json)
        doc.serial = new_serial  # only once the file holds it
        self._loaded_serial = new_serial
        return doc

    @contextlib.contextmanager
    def lock(self, command: str, timeout: float = 0) -> Iterator[LockInfo]:
        with lockfile.hold(self.lock_path, command, timeout, state_name=str(self.path)) as info:
            yield info

    def lock_info(self) -> LockInfo | None:
        return lockfile.read_info(self.lock_path)

    def force_unlock(self, lock_id: str) -> None:
        lockfile.force_unlock(self.lock_path, lock_id)

    def _read_text(self) -> str | None:
        try:
            return self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except UnicodeDecodeError:
            raise StateError(f"state file {self.path} is corrupt: not UTF-8 text") from None
        except OSError as exc:
            raise StateError(f"cannot read state file {self.path}: {exc.strerror}") from None


def _atomic_write(path: Path, content: str | Callable[[TextIO], None]) -> None:
    """Replace `path` so a crash leaves either the old or the new content, never a mix.
    `content` is the text, or writes it to the handle it is given."""
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), FILE_MODE)
            if isinstance(content, str):
                handle.write(content)
            else:
                content(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    _fsync_directory(directory)  # make the rename itself durable


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
