"""The local state backend: one JSON file, written atomically, with a backup and a lock file.

The backup (`state.json.backup`) is a copy of the state as lexsync last wrote it, for when
the file is damaged (a bad hand edit, a disk fault). It is written just before the state file,
so it is never older: a copy of an earlier version would forget the objects created since,
and the next apply would create them again.
"""

from __future__ import annotations

import contextlib
import fcntl
import filecmp
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO, TextIO, TypeVar

from lexsync.errors import StateError
from lexsync.state import journal, lockfile, record_index
from lexsync.state.document import StateDocument, packed
from lexsync.state.files import FILE_MODE, ensure_directory, remove_stray_temporary_files
from lexsync.state.lockfile import LockInfo
from lexsync.state.pieces import parse_in_pieces
from lexsync.state.records import StoredSlice
from lexsync.state.secret_hash import LEGACY_PREFIX

Built = TypeVar("Built")
log = logging.getLogger(__name__)


class LocalBackend:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.backup_path = self.path.with_name(self.path.name + ".backup")
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.index_path = record_index.index_path(self.path)
        # Serial of the document last loaded or written through this backend; a write from a
        # document that started elsewhere falls back to that document's own serial.
        self._loaded_serial: int | None = None
        # The file as its record index placed it when last read so (`_still_placed`).
        self._placed: record_index.IndexedFile | None = None

    def load(self, lazily: bool = False, by_index: bool = False) -> StateDocument:
        stored = self._read(lazily, by_index)
        doc = StateDocument.new() if stored is None else stored
        if stored is not None:
            # A run killed during apply left its last results in the journal.
            journal.replay(journal.journal_path(self.path), doc)
        self._loaded_serial = doc.serial
        return doc

    def write(self, doc: StateDocument) -> StateDocument:
        """Save `doc`; its serial rises only when its content differs from the file's.

        Refuses when the file's serial is not the one `doc` was loaded with, because another
        run wrote in between and saving would lose its changes. Updates `doc.serial` in place
        and returns `doc`.

        Where the file's record index matches it, its serial and lineage are read from its top
        level, and whether anything changed from the digest of the new text's bytes but its
        serial, against the one the index keeps of the file (they are the same for the same
        content: both are this writer's); the new text is then let go unwritten. Else the file
        is read whole and the two contents' digests compared.
        """
        indexed = self._indexed_on_disk()
        on_disk = indexed[0] if indexed is not None else self._read()
        checked = indexed[2] if indexed is not None else None
        stored = _stored(checked, doc) if checked is not None else None
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
            if indexed is None and on_disk.content_digest() == doc.content_digest():
                return self._unchanged(doc, on_disk)
            if checked is not None and doc.written_as(checked, on_disk.serial):
                return self._unchanged(doc, on_disk)
        new_serial = (on_disk.serial if on_disk is not None else doc.serial) + 1
        unchanged_content = indexed[1] if indexed is not None else None
        places = record_index.Places()
        sink: _Digesting | None = None

        def write_state(handle: TextIO) -> None:
            nonlocal sink
            sink = _Digesting(handle.buffer, places)  # (nothing else writes to `handle`)
            doc.write_json(sink, new_serial, places, stored)
            if stored is not None and checked is not None and not checked.unchanged():
                raise _Changed  # (a record's text may be another file's: none is reused)
            if places.content.hexdigest() == unchanged_content:
                raise _Unchanged  # (the temporary file is removed, the backup left as it is)

        try:
            try:
                _atomic_write(self.backup_path, write_state)
            except _Changed:
                stored, places = None, record_index.Places()
                _atomic_write(self.backup_path, write_state)
        except _Unchanged:
            assert on_disk is not None
            return self._unchanged(doc, on_disk)
        except OSError:
            # No room (or no right) to write a copy: an unchanged state needs none.
            if on_disk is None or unchanged_content is None \
                    or _content_digest(doc, new_serial) != unchanged_content:
                raise
            return self._unchanged(doc, on_disk)
        del on_disk, indexed  # (the records, and the file they were read from, let go)
        checked = stored = None
        _atomic_write(self.path, self.backup_path)
        self._placed = None  # (another file now)
        assert sink is not None
        doc.serial = new_serial  # only once the file holds it
        doc.source_digest = places.whole_digest()
        self._loaded_serial = new_serial
        # (A state holding hashes of the old form is read whole.)
        self._write_record_index(None if sink.legacy else places, doc.source_digest)
        return doc

    def _unchanged(self, doc: StateDocument, on_disk: StateDocument) -> StateDocument:
        doc.serial = on_disk.serial
        doc.source_digest = on_disk.source_digest
        self._loaded_serial = doc.serial
        return doc

    def _indexed_on_disk(self) -> tuple[StateDocument, str, record_index.IndexedFile] | None:
        """The stored document, its records unread, the digest of its bytes but its serial,
        and the file as its index places it, where its record index matches it; else None
        (it is then read whole, which also says what is wrong with it)."""
        try:
            indexed = self._still_placed() or record_index.read(self.path)
            doc = None if indexed is None else StateDocument.from_record_index(indexed, str(self.path))
        except (OSError, StateError):
            return None
        if doc is None or indexed is None or not indexed.content_digest:
            return None  # (no digest: the file holds a value its text would not give back)
        return doc, indexed.content_digest, indexed

    def _still_placed(self) -> record_index.IndexedFile | None:
        """The file as its index placed it when this backend last read it so, where the path
        still names that file and it holds the bytes checked then (its size, time stamp and
        CRC-32 again): a write then reads no index (~0.15 s at 10,000 buyers)."""
        placed = self._placed
        if placed is None:
            return None
        try:
            named, opened = os.stat(self.path), os.fstat(placed.opened.fd)
        except OSError:
            return None
        same = (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino)
        return placed if same and placed.unchanged() else None

    def _write_record_index(self, places: record_index.Places | None, digest: str) -> None:
        """Where each record sits in the file just written, for targeted runs (None, or no
        records: no index, and an earlier one is removed). A cache, so a failure to write it
        is no failure of the write: an index left from an earlier file does not match this
        one, and is not used."""
        text = None if places is None else places.index_text(digest)
        try:
            if text is None:
                self.index_path.unlink(missing_ok=True)
            else:
                _atomic_write(self.index_path, text)
        except OSError as exc:
            log.debug("record index of %s not written: %s", self.path, exc)

    @contextlib.contextmanager
    def lock(self, command: str, timeout: float = 0) -> Iterator[LockInfo]:
        with lockfile.hold(self.lock_path, command, timeout, state_name=str(self.path)) as info:
            self._recover()
            yield info

    def _recover(self) -> None:
        """What a killed run left, now that no other run can be writing: a journal is folded
        into the state file (or removed, when it was folded already), and temporary files of
        interrupted writes are removed. Plans, which take no lock, replay a journal on load."""
        leftover = journal.journal_path(self.path)
        if os.path.lexists(leftover):
            doc = self._read()
            if doc is not None:
                self._loaded_serial = doc.serial
                if journal.replay(leftover, doc):
                    self.write(doc)
            os.unlink(leftover)
        self._renew_backup()
        remove_stray_temporary_files(self.path.parent, (self.path.name, self.backup_path.name,
                                                        self.index_path.name))

    def _renew_backup(self) -> None:
        """Make the backup a copy of the state file again where it is not (one left by an older
        lexsync, which kept the previous version; a run killed between the two writes), when
        the state file reads as a state: a damaged one (cut short, a bad hand edit) never
        replaces the backup, which may be the only good copy left. Compared a block at a
        time: each is 224 MB at 10,000 buyers, and both read whole were most of an apply's
        peak memory."""
        # filecmp's cache trusts size and time stamps: a backup is told by its content.
        filecmp.clear_cache()
        try:
            if filecmp.cmp(self.path, self.backup_path, shallow=False):
                return
        except FileNotFoundError:
            if not self.path.exists():
                return  # no state: nothing to back up
        if self._reads_as_a_state():
            _atomic_write(self.backup_path, self.path)

    def _reads_as_a_state(self) -> bool:
        """Whether the state file is one lexsync wrote (its record index matches it) or, else,
        parses as a state."""
        try:
            return record_index.read(self.path) is not None or self._read() is not None
        except (OSError, StateError):
            return False

    def lock_info(self) -> LockInfo | None:
        return lockfile.read_info(self.lock_path)

    def force_unlock(self, lock_id: str, force: bool = False) -> str:
        return lockfile.force_unlock(self.lock_path, lock_id, force)

    def _read(self, lazily: bool = False, by_index: bool = False) -> StateDocument | None:
        """The stored document (None: no file). With `lazily` or `by_index`, where the file's
        record index matches it, its records read when asked for at their places
        (state/record_index.py). Else read a piece at a time where the file is laid out as
        lexsync writes it (state/pieces.py), else whole; `lazily`, whole, its records parsed
        when asked for (state/text_index.py)."""
        source, hint = str(self.path), self._restore_hint()
        if lazily or by_index:
            try:
                indexed = record_index.read(self.path)
            except FileNotFoundError:
                return None
            except OSError as exc:
                raise StateError(f"cannot read state file {self.path}: {exc.strerror}") from None
            if indexed is not None:
                doc = self._hinted(lambda: StateDocument.from_record_index(indexed, source, hint))
                if doc is not None:
                    self._placed = indexed
                    return doc
        if not lazily:
            with self._open() as handle:
                if handle is None:
                    return None
                parsed = self._hinted(lambda: parse_in_pieces(
                    handle, lambda key, entry: packed(key, entry, source)))
            if parsed is not None:
                return self._hinted(lambda: StateDocument.from_parsed(
                    parsed.data, source, hint, parsed.digest, parsed.holds_legacy_prefix))
        text = self._read_text()
        if text is None:
            return None
        return self._hinted(lambda: StateDocument.from_json(text, source, hint=hint,
                                                            lazily=lazily))

    def _hinted(self, build: Callable[[], Built]) -> Built:
        """`build()`, a state found corrupt said so with where to restore it from."""
        try:
            return build()
        except StateError as exc:
            raise StateError(f"{exc.message}; {self._restore_hint()}") from None

    @contextlib.contextmanager
    def _open(self) -> Iterator[TextIO | None]:
        """The state file opened as `_read_text` reads it (None: there is none)."""
        try:
            handle = self.path.open(encoding="utf-8")
        except FileNotFoundError:
            yield None
            return
        except OSError as exc:
            raise StateError(f"cannot read state file {self.path}: {exc.strerror}") from None
        with handle:
            try:
                yield handle
            except UnicodeDecodeError:
                raise StateError(f"state file {self.path} is corrupt: not UTF-8 text; "
                                 f"{self._restore_hint()}") from None

    def _restore_hint(self) -> str:
        return (f"restore it from {self.backup_path} (a copy of the state as lexsync last wrote "
                "it) or fix it by hand")

    def _read_text(self) -> str | None:
        try:
            return self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except UnicodeDecodeError:
            raise StateError(f"state file {self.path} is corrupt: not UTF-8 text; "
                             f"{self._restore_hint()}") from None
        except OSError as exc:
            raise StateError(f"cannot read state file {self.path}: {exc.strerror}") from None


def _stored(indexed: record_index.IndexedFile,
            doc: StateDocument) -> Mapping[str, StoredSlice] | None:
    """Where each record is in the file, as this writer wrote it there, when `doc` was read
    from that very file (the same SHA-256; the index's CRC-32 checked it is): records `doc`
    still holds as they were stored then are written again as their text there, not encoded
    again (~4 s of a 10,000-buyer state). None when `doc` was read from another file, or from
    none."""
    if doc.source_digest is None or doc.source_digest != indexed.digest:
        return None
    return indexed.records


class _Changed(Exception):
    """The file whose records' texts were written again changed meanwhile (rewritten in
    place, not replaced: lexsync holds the lock): the state is written again, encoded."""


class _Unchanged(Exception):
    """The text being written holds what the file does: it is not written."""


class _Digesting:
    """A text sink that writes what it is given as UTF-8 to `out`, tells `places` its bytes
    (which hashes them) and notes whether it held a secret's hash of the old form (each write
    is whole values: a string is never split between two). Each text is encoded once: a
    10,000-buyer state is 224 MB."""

    def __init__(self, out: BinaryIO | _Nowhere, places: record_index.Places) -> None:
        self.out = out
        self.places = places
        self.legacy = False

    def write(self, text: str) -> int:
        encoded = text.encode("utf-8")
        self.places.written(encoded)
        self.legacy = self.legacy or LEGACY_PREFIX in text
        self.out.write(encoded)
        return len(text)


def _atomic_write(path: Path, content: str | Path | Callable[[TextIO], None]) -> None:
    """Replace `path` so a crash leaves either the old or the new content, never a mix.
    `content` is the text, a file to copy, or writes the text to the handle it is given."""
    directory = path.parent
    ensure_directory(directory)
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            # Held while the file is written: the stray-file cleanup leaves it alone.
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            os.fchmod(handle.fileno(), FILE_MODE)
            if isinstance(content, str):
                handle.write(content)
            elif isinstance(content, Path):
                with content.open("rb") as source:
                    handle.flush()
                    shutil.copyfileobj(source, handle.buffer)
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


def _content_digest(doc: StateDocument, serial: int) -> str:
    """The digest of the bytes but the serial's of the text `doc` would be written as."""
    places = record_index.Places()
    doc.write_json(_Digesting(_Nowhere(), places), serial, places)
    return places.content.hexdigest()


class _Nowhere:
    def write(self, data: bytes) -> int:
        return len(data)
