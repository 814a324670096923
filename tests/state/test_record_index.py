"""The record index written beside a local state file: a targeted read takes each record
from its place in the file, and only from the file it indexes."""

from __future__ import annotations

import gc
import hashlib
import io
import json
import os
import zlib
from pathlib import Path

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from lexsync.errors import StateError
from lexsync.state import document as state_document
from lexsync.state import record_index, secret_hash
from lexsync.state.document import ResourceState, StateDocument, text_digest
from lexsync.state.local import LocalBackend
from lexsync.state.records import Packed, StoredSlice, StoredText

names = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=8)
values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | names,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(names, inner, max_size=3),
    max_leaves=6)


def record(address: str, remote_id: int, attributes: dict) -> ResourceState:
    return ResourceState(address=address, kind="client", remote_id=remote_id,
                         attributes=attributes, sub_ids={"x.y": remote_id})


def document(keys: list[str], attributes: list[dict]) -> StateDocument:
    doc = StateDocument.new()
    doc.resources = {f"client.{k}": record(f"client.{k}", n + 100, attributes[n])
                     for n, k in enumerate(keys)}
    return doc


def written(tmp_path: Path, doc: StateDocument) -> LocalBackend:
    backend = LocalBackend(tmp_path / "state.json")
    backend.write(doc)
    return backend


def kinds_of_stored(doc: StateDocument) -> set[type]:
    return {type(value) for value in doc.resources._items.values()}


def same_records(one: StateDocument, other: StateDocument) -> bool:
    return list(one.resources) == list(other.resources) and all(
        one.resources[a] == other.resources[a] for a in one.resources)


@settings(max_examples=60, deadline=None)
@given(keys=st.lists(names.filter(lambda k: "." not in k), max_size=5, unique=True),
       attributes=st.lists(st.dictionaries(names, values, max_size=3), min_size=5, max_size=5),
       pending=st.dictionaries(names, st.just({"kind": "client"}), max_size=2),
       wire=st.dictionaries(names, st.dictionaries(names, values, max_size=2), max_size=2))
def test_the_state_written_and_hashed_a_record_at_a_time_is_the_whole_dump(
        keys: list[str], attributes: list[dict], pending: dict, wire: dict) -> None:
    doc = document(keys, attributes)
    doc.pending, doc.wire = pending, wire
    doc.endpoint = {"url": "https://x.example"} if keys else None
    out = io.StringIO()
    doc.write_json(out)
    assert out.getvalue() == doc.to_json()
    whole = doc.to_dict()
    del whole["serial"]
    canonical = json.dumps(whole, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                           default=secret_hash.to_json)
    assert doc.content_digest() == hashlib.sha256(canonical.encode()).hexdigest()


@settings(max_examples=30, deadline=None)
@given(keys=st.lists(names.filter(lambda k: "." not in k), min_size=1, max_size=5, unique=True),
       attributes=st.lists(st.dictionaries(names, values, max_size=3), min_size=5, max_size=5))
def test_a_read_through_the_index_is_the_whole_read(tmp_path_factory: pytest.TempPathFactory,
                                                    keys: list[str], attributes: list[dict]) -> None:
    # Addresses with quotes, backslashes and any character: places are bytes, not characters.
    doc = document(keys, attributes)
    # (A text holding the old hashes' prefix is read whole, and no index is written for it.)
    assume(secret_hash.LEGACY_PREFIX not in doc.to_json())
    backend = written(tmp_path_factory.mktemp("state"), doc)
    whole = LocalBackend(backend.path).load()
    # A targeted run's read, and a whole plan's (every record, read at its place when asked for).
    for lazy in (LocalBackend(backend.path).load(lazily=True),
                 LocalBackend(backend.path).load(by_index=True)):
        assert kinds_of_stored(lazy) == {StoredSlice}
        assert lazy.resources.remote_ids() == whole.resources.remote_ids()
        assert lazy.resources.decoded == 0
        assert same_records(lazy, whole)
        assert (lazy.lineage, lazy.serial, lazy.secret_salt) == \
            (whole.lineage, whole.serial, whole.secret_salt)
        assert lazy.source_digest == whole.source_digest == backend.load().source_digest


def test_an_edited_state_is_not_read_through_its_index(tmp_path: Path) -> None:
    backend = written(tmp_path, document(["a", "b"], [{"v": 1}, {"v": 2}]))
    text = backend.path.read_text(encoding="utf-8")
    # The same size, written at once: size and time stamp may not tell; the content does.
    backend.path.write_text(text.replace('"remote_id": 101', '"remote_id": 109'),
                            encoding="utf-8")
    lazy = LocalBackend(backend.path).load(lazily=True)
    assert StoredSlice not in kinds_of_stored(lazy)
    assert lazy.resources["client.b"].remote_id == 109
    backend.path.write_text(text.replace('"v": 2', '"v": 22'), encoding="utf-8")
    lazy = LocalBackend(backend.path).load(lazily=True)
    assert StoredSlice not in kinds_of_stored(lazy)
    assert lazy.resources["client.b"].attributes == {"v": 22}
    # A whole plan's read without an index that places the file: read and packed as without
    # asking for the index, never held as the file's text.
    whole = LocalBackend(backend.path).load(by_index=True)
    assert kinds_of_stored(whole) == {Packed}
    assert whole.resources["client.b"].attributes == {"v": 22}


UNUSED, REFUSED = "read as before", "refused when a record is read"


def sealed(index: dict) -> str:
    """The index, its own checksum made again: as if damaged by someone who knew how."""
    index["crc32"] = record_index._checksum(index["state"], index["resources"], index["records"])
    return json.dumps(index)


def swapped(records: list) -> list:
    """The first two records' addresses exchanged (alike in length: the places still add up)."""
    (a, *rest_a), (b, *rest_b), *others = records
    return [[b, *rest_a], [a, *rest_b], *others]


@pytest.mark.parametrize(("spoil", "outcome"), [
    (lambda index: "not json", UNUSED),
    (lambda index: json.dumps({**index, "format": 99}), UNUSED),
    (lambda index: json.dumps({**index, "records": index["records"][1:]}), UNUSED),
    (lambda index: json.dumps({**index, "records": [[*r[:3], r[3] + 1]
                                                    for r in index["records"]]}), UNUSED),
    (lambda index: sealed({**index, "records": index["records"][1:]}), UNUSED),
    (lambda index: sealed({**index, "records": index["records"][:1]}), UNUSED),
    (lambda index: sealed({**index, "records": [[*r[:1], r[1] + 1, *r[2:]]
                                                for r in index["records"]]}), UNUSED),
    (lambda index: sealed({**index, "records": index["records"] + index["records"][:1]}),
     UNUSED),
    (lambda index: sealed({**index, "resources": [index["resources"][0] + 1,
                                                  index["resources"][1]]}), UNUSED),
    (lambda index: sealed({**index, "resources": [-1, index["resources"][1]]}), UNUSED),
    (lambda index: sealed({**index, "state": {**index["state"], "size": "1"}}), UNUSED),
    (lambda index: sealed({**index, "records": [[r[0], str(r[1]), r[2], r[3]]
                                                for r in index["records"]]}), UNUSED),
    (lambda index: sealed({**index, "records": [r[:3] for r in index["records"]]}), UNUSED),
    (lambda index: sealed({**index, "records": swapped(index["records"])}), REFUSED),
    (lambda index: sealed({**index, "records": [[*r[:3], r[3] + 1]
                                                for r in index["records"]]}), REFUSED),
], ids=["not JSON", "other format", "a record left out", "remote IDs changed",
        "a record left out, sealed", "the last left out, sealed", "places moved, sealed",
        "a record twice, sealed", "the resources object moved, sealed",
        "a place before the file, sealed", "a size that is no number, sealed",
        "a place that is no number, sealed", "a record without its remote ID, sealed",
        "two records' places exchanged, sealed", "remote IDs changed, sealed"])
def test_an_index_that_does_not_place_the_file_is_not_used_or_fails_clearly(
        tmp_path: Path, spoil, outcome: str) -> None:
    backend = written(tmp_path, document(["a", "b"], [{"v": 1}, {"v": 2}]))
    index = json.loads(backend.index_path.read_text(encoding="utf-8"))
    backend.index_path.write_text(spoil(index), encoding="utf-8")
    lazy = LocalBackend(backend.path).load(lazily=True)
    if outcome == REFUSED:
        assert kinds_of_stored(lazy) == {StoredSlice}
        with pytest.raises(StateError, match=r"its record index \(.*state.json.index\) does "
                           r"not match it; remove the index and run again \(lexsync writes it "
                           r"again with the state\)$"):
            lazy.resources["client.a"]
    else:
        assert StoredSlice not in kinds_of_stored(lazy)
        assert same_records(lazy, LocalBackend(backend.path).load())


@pytest.mark.parametrize("damage", [(",100]", ",109]"), ('["client.a",', '["client.c",')],
                         ids=["a remote ID", "an address"])
def test_an_index_damaged_where_lexsync_wrote_it_is_not_used(tmp_path: Path,
                                                              damage: tuple[str, str]) -> None:
    # The bytes as written, changed in place: what the checksum is taken over as it stands.
    backend = written(tmp_path, document(["a", "b"], [{"v": 1}, {"v": 2}]))
    text = backend.index_path.read_text(encoding="utf-8")
    assert text.count(damage[0]) == 1
    backend.index_path.write_text(text.replace(*damage), encoding="utf-8")
    lazy = LocalBackend(backend.path).load(lazily=True)
    assert StoredSlice not in kinds_of_stored(lazy)
    assert same_records(lazy, LocalBackend(backend.path).load())


def test_an_index_laid_out_otherwise_is_still_used_when_it_says_the_same(tmp_path: Path) -> None:
    # Its checksum is then taken over what it says, encoded again as lexsync writes it.
    backend = written(tmp_path, document(["a", "b"], [{"v": 1}, {"v": 2}]))
    index = json.loads(backend.index_path.read_text(encoding="utf-8"))
    backend.index_path.write_text(json.dumps(index, indent=2), encoding="utf-8")
    lazy = LocalBackend(backend.path).load(lazily=True)
    assert kinds_of_stored(lazy) == {StoredSlice}
    assert same_records(lazy, LocalBackend(backend.path).load())


@pytest.mark.parametrize("where", ["records", "checksum"])
def test_an_address_holding_half_a_surrogate_pair_leaves_the_index_unused(
        tmp_path: Path, where: str) -> None:
    # No index lexsync writes holds one (it could not encode it); one made by hand is not
    # used, rather than the load failing.
    backend = written(tmp_path, document(["a", "b"], [{"v": 1}, {"v": 2}]))
    index = json.loads(backend.index_path.read_text(encoding="utf-8"))
    index["records"][0][0] = "client.\ud800"
    text = json.dumps(index, separators=(",", ":"))  # ASCII: the half pair escaped
    if where == "records":  # the checksum as taken over the bytes the index holds
        opens, closes = text.index(',"records":') + 11, text.rindex(',"crc32":')
        said = zlib.crc32(text[opens:closes].encode(), zlib.crc32(json.dumps(
            [index["state"], index["resources"]], separators=(",", ":")).encode()[:-1] + b","))
        text = text[:closes] + f',"crc32":{zlib.crc32(b"]", said)}}}'
    backend.index_path.write_text(text, encoding="utf-8")
    lazy = LocalBackend(backend.path).load(lazily=True)
    assert StoredSlice not in kinds_of_stored(lazy)
    assert same_records(lazy, LocalBackend(backend.path).load())


@pytest.mark.parametrize("how", [{"lazily": True}, {"by_index": True}])
def test_a_state_rewritten_in_place_while_it_is_read_is_refused(tmp_path: Path,
                                                                how: dict[str, bool]) -> None:
    # A copy over the file (restoring the backup), `rsync --inplace`: not replaced. A whole
    # plan (by_index) has read some records already: it stops rather than plan from two files.
    backend = written(tmp_path, document(["a", "b"], [{"v": 1}, {"v": 2}]))
    lazy = LocalBackend(backend.path).load(**how)
    assert lazy.resources["client.a"].attributes == {"v": 1}
    text = backend.path.read_text(encoding="utf-8")
    with backend.path.open("r+", encoding="utf-8") as file:
        file.write(text.replace('"v": 2', '"v": 7'))
    os.utime(backend.path, ns=(0, 0))  # a new time stamp, whatever the clock's resolution
    with pytest.raises(StateError, match=r"changed while this run read it; run again$"):
        lazy.resources["client.b"]


def test_the_open_state_file_is_closed_with_the_document(tmp_path: Path) -> None:
    backend = written(tmp_path, document(["a", "b"], [{"v": 1}, {"v": 2}]))
    before = len(os.listdir("/proc/self/fd"))
    lazy = LocalBackend(backend.path).load(lazily=True)
    assert lazy.resources["client.a"].remote_id == 100
    assert len(os.listdir("/proc/self/fd")) == before + 1  # client.b may still be read
    assert lazy.resources["client.b"].remote_id == 101
    gc.collect()
    assert len(os.listdir("/proc/self/fd")) == before  # every record read: closed
    again = LocalBackend(backend.path).load(lazily=True)
    assert len(os.listdir("/proc/self/fd")) == before + 1
    del again
    gc.collect()
    assert len(os.listdir("/proc/self/fd")) == before


def test_a_state_replaced_after_it_was_opened_is_read_as_it_was(tmp_path: Path) -> None:
    backend = written(tmp_path, document(["a", "b"], [{"v": 1}, {"v": 2}]))
    lazy = LocalBackend(backend.path).load(lazily=True)
    doc = backend.load()
    doc.resources["client.a"] = record("client.a", 100, {"v": "changed", "longer": [1, 2, 3]})
    backend.write(doc)
    assert lazy.resources["client.a"].attributes == {"v": 1}
    assert LocalBackend(backend.path).load(lazily=True).resources["client.a"].attributes == \
        {"v": "changed", "longer": [1, 2, 3]}


def test_the_index_holds_no_value_of_the_state(tmp_path: Path) -> None:
    doc = document(["a"], [{"url": "https://value.example/x"}])
    doc.resources["client.a"].attributes["password"] = doc.hash_secret("hunter2")
    backend = written(tmp_path, doc)
    text = backend.index_path.read_text(encoding="utf-8")
    state = backend.path.read_text(encoding="utf-8")
    hashed = json.loads(state)["resources"]["client.a"]["attributes"]["password"]
    for value in ("value.example", hashed, "hunter2", doc.secret_salt, doc.lineage):
        assert value not in text
    assert "client.a" in text


def test_no_index_is_written_for_a_state_read_whole_or_with_nothing_to_place(
        tmp_path: Path) -> None:
    backend = written(tmp_path, StateDocument.new())
    assert not backend.index_path.exists()  # no records
    doc = document(["a"], [{"v": 1}])
    backend = written(tmp_path / "legacy", doc)
    assert backend.index_path.exists()
    doc = backend.load()
    # A hash of the old form (state/secret_hash.py): such a state is read whole.
    doc.resources["client.a"] = record("client.a", 100, {"password": "sha256:" + "0" * 64})
    backend.write(doc)
    assert not backend.index_path.exists()  # the older one, of another file, is gone
    lazy = LocalBackend(backend.path).load(lazily=True)
    assert StoredSlice not in kinds_of_stored(lazy)


def test_an_index_that_cannot_be_written_fails_no_write(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / "state.json")
    backend.index_path.mkdir()
    backend.write(document(["a"], [{"v": 1}]))
    assert LocalBackend(backend.path).load(lazily=True).resources["client.a"].remote_id == 100
    assert type(LocalBackend(backend.path).load(lazily=True).resources._items["client.a"]) \
        is StoredText


def test_values_of_other_types_are_written_as_the_json_encoder_writes_them() -> None:
    doc = document(["a"], [{"ids": {3: "x", 1: [1.5, float("inf"), -0.0, 10**30]},
                            "pair": (1, "two"), "text": "é\n\"\\\u0001", "flag": True}])
    doc.resources["client.a"].attributes["password"] = doc.hash_secret("hunter2")
    out = io.StringIO()
    doc.write_json(out)
    assert out.getvalue() == doc.to_json()


def whole_read(*args: object, **kwargs: object) -> None:
    raise AssertionError("the file was read whole")


def test_an_unchanged_write_through_the_index_writes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = written(tmp_path, document(["a", "b"], [{"v": 1}, {"v": 2}]))
    files = {p: (p.stat().st_ino, p.read_bytes()) for p in tmp_path.iterdir()}
    writer = LocalBackend(backend.path)
    doc = writer.load()
    serial, digest = doc.serial, doc.source_digest
    monkeypatch.setattr(LocalBackend, "_read", whole_read)
    doc.resources["client.a"] = record("client.a", 100, {"v": 1})  # set, but alike
    writer.write(doc)
    assert (doc.serial, doc.source_digest) == (serial, digest)
    assert {p: (p.stat().st_ino, p.read_bytes()) for p in tmp_path.iterdir()} == files
    doc.resources["client.a"] = record("client.a", 100, {"v": 3})
    writer.write(doc)
    assert doc.serial == serial + 1
    assert backend.path.read_text(encoding="utf-8") == doc.to_json()
    assert backend.backup_path.read_bytes() == backend.path.read_bytes()
    monkeypatch.undo()
    assert LocalBackend(backend.path).load(lazily=True).resources["client.a"].attributes == {"v": 3}


def test_a_write_through_the_index_refuses_what_a_whole_read_refuses(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = written(tmp_path, document(["a"], [{"v": 1}]))
    first, second = LocalBackend(backend.path), LocalBackend(backend.path)
    mine, theirs = first.load(), second.load()
    monkeypatch.setattr(LocalBackend, "_read", whole_read)
    theirs.pending["client.z"] = {"kind": "client"}
    second.write(theirs)
    mine.pending["client.y"] = {"kind": "client"}
    with pytest.raises(StateError, match="state changed since it was read: serial 2 on disk, "
                                         "1 expected"):
        first.write(mine)
    other = StateDocument.new()
    other.serial = 2
    with pytest.raises(StateError, match="refusing to overwrite a different state"):
        LocalBackend(backend.path).write(other)


@settings(max_examples=40, deadline=None)
@given(change=st.sampled_from(["none", "set alike", "attribute", "removed", "added", "pending",
                               "wire", "endpoint", "salt"]),
       value=values)
def test_a_write_through_the_index_tells_a_change_as_the_content_digest_does(
        tmp_path_factory: pytest.TempPathFactory, change: str, value: object) -> None:
    # (Whole reads allowed only where the index cannot tell: a key that is no text.)
    backend = written(tmp_path_factory.mktemp("state"),
                      document(["a", "b"], [{"v": 1, "w": [1.0, "x"]}, {"v": 2}]))
    writer = LocalBackend(backend.path)
    doc = writer.load()
    before = doc.content_digest()
    serial = doc.serial
    if change == "set alike":
        doc.resources["client.a"] = record("client.a", 100, {"v": 1, "w": [1.0, "x"]})
    elif change == "attribute":
        doc.resources["client.a"] = record("client.a", 100, {"v": value, "w": [1.0, "x"]})
    elif change == "removed":
        del doc.resources["client.b"]
    elif change == "added":
        doc.resources["client.c"] = record("client.c", 102, {"v": value})
    elif change == "pending":
        doc.pending["client.p"] = {"kind": "client", "attributes": {"v": value}}
    elif change == "wire":
        doc.wire["seen"] = {"value": value}
    elif change == "endpoint":
        doc.endpoint = {"url": str(value)}
    elif change == "salt":
        doc.secret_salt = "0" * 32
    changed = doc.content_digest() != before
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(LocalBackend, "_read", whole_read)
        writer.write(doc)
    assert doc.serial == serial + changed
    assert LocalBackend(backend.path).load().content_digest() == doc.content_digest()


def test_an_unchanged_write_needs_no_room_for_a_copy(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = written(tmp_path, document(["a"], [{"v": 1}]))
    writer = LocalBackend(backend.path)
    doc = writer.load()

    def no_room(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("lexsync.state.local.tempfile.mkstemp", no_room)
    writer.write(doc)
    assert doc.serial == 1
    doc.pending["client.p"] = {"kind": "client"}
    with pytest.raises(OSError, match="No space left"):
        writer.write(doc)


def test_a_value_whose_text_a_read_would_not_give_back_is_compared_read_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Keys that are no text: JSON writes them as text, sorted as numbers, and reads them back
    # as text, which sorts otherwise: the text tells nothing, the contents do.
    backend = written(tmp_path, document(["a"], [{"m": {9: "x", 10: "y"}}]))
    assert json.loads(backend.index_path.read_text())["state"]["content_sha256"] == ""
    writer = LocalBackend(backend.path)
    doc = writer.load()
    writer.write(doc)
    assert doc.serial == 1


def encodings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The addresses whose records the writer encodes (the others are written as stored)."""
    seen: list[str] = []
    entry = StateDocument._stored_entry

    def counted(self: StateDocument, address: str) -> dict:
        seen.append(address)
        return entry(self, address)

    monkeypatch.setattr(StateDocument, "_stored_entry", counted)
    return seen


@settings(max_examples=40, deadline=None)
@given(keys=st.lists(names.filter(lambda k: "." not in k), min_size=2, max_size=5, unique=True),
       attributes=st.lists(st.dictionaries(names, values, max_size=3), min_size=5, max_size=5),
       change=st.sampled_from(["set", "built and changed in place", "removed", "added", "none"]),
       lazily=st.booleans())
def test_a_record_as_stored_is_written_as_its_text_the_same_bytes_as_encoded(
        tmp_path_factory: pytest.TempPathFactory, keys: list[str], attributes: list[dict],
        change: str, lazily: bool) -> None:
    doc = document(keys, attributes)
    assume(secret_hash.LEGACY_PREFIX not in doc.to_json())  # (read whole, and never indexed)
    backend = written(tmp_path_factory.mktemp("state"), doc)
    writer = LocalBackend(backend.path)
    doc = writer.load(lazily=lazily)
    first = f"client.{keys[0]}"
    if change == "set":
        doc.resources[first] = record(first, 100, {"v": "new"})
    elif change == "built and changed in place":
        doc.resources[first].attributes = {"v": "changed in place"}
    elif change == "removed":
        del doc.resources[first]
    elif change == "added":
        doc.resources["client.xxxxxxxxx"] = record("client.xxxxxxxxx", 999, {"v": 1})
    doc.pending["client.p"] = {"kind": "client"}  # a change, so the file is written
    with pytest.MonkeyPatch.context() as patch:
        encoded = encodings(patch)
        writer.write(doc)
    text = backend.path.read_text(encoding="utf-8")
    assert text == doc.to_json()  # what encoding every record gives
    assert set(encoded) == ({first} if change in ("set", "built and changed in place") else
                            {"client.xxxxxxxxx"} if change == "added" else set())
    index = json.loads(record_index.index_path(backend.path).read_text(encoding="utf-8"))
    assert index["state"]["sha256"] == hashlib.sha256(text.encode()).hexdigest()
    again = LocalBackend(backend.path).load(lazily=True)
    assert same_records(again, LocalBackend(backend.path).load())


def test_records_of_another_file_are_encoded(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    backend = written(tmp_path, document(["a", "b"], [{"v": 1}, {"v": 2}]))
    doc = LocalBackend(backend.path).load()
    doc.source_digest = "0" * 64  # read from another file than the one now there
    doc.pending["client.p"] = {"kind": "client"}
    encoded = encodings(monkeypatch)
    LocalBackend(backend.path).write(doc)
    assert sorted(encoded) == ["client.a", "client.b"]
    assert backend.path.read_text(encoding="utf-8") == doc.to_json()


def test_a_state_file_rewritten_in_place_during_a_write_is_written_encoded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = written(tmp_path, document(["a", "b"], [{"v": 1}, {"v": 2}]))
    doc = LocalBackend(backend.path).load()
    doc.pending["client.p"] = {"kind": "client"}
    original = record_index.IndexedFile.unchanged
    calls: list[bool] = []

    def rewritten(self: record_index.IndexedFile) -> bool:
        calls.append(original(self))
        return False  # as if the bytes the texts came from changed meanwhile

    monkeypatch.setattr(record_index.IndexedFile, "unchanged", rewritten)
    encoded = encodings(monkeypatch)
    LocalBackend(backend.path).write(doc)
    assert calls == [True] and sorted(encoded) == ["client.a", "client.b"]
    assert backend.path.read_text(encoding="utf-8") == doc.to_json()
    monkeypatch.undo()
    with open(backend.path, "r+b") as handle:  # the real check: the bytes changed in place
        handle.seek(-3, os.SEEK_END)
        handle.write(b"  ")
    indexed = record_index.read(backend.path)
    assert indexed is None  # (its CRC no longer matches: nothing is read through it)


def test_a_record_written_before_it_is_read_is_built_for_the_write_only(tmp_path: Path) -> None:
    # An apply reads state by its index: a record it writes unread is not kept built (at
    # 10,000 buyers, all of them built at once are ~500 MB).
    backend = written(tmp_path, document(["a", "b"], [{"v": 1}, {"v": 2}]))
    doc = LocalBackend(backend.path).load(by_index=True)
    assert doc.resources.stored_entry("client.b")["attributes"] == {"v": 2}
    assert kinds_of_stored(doc) == {StoredSlice}


def unwritable(*args: object, **kwargs: object) -> None:
    raise AssertionError("the document was encoded")


@pytest.mark.parametrize("how", [{"by_index": True}, {"lazily": True}])
def test_a_write_that_changes_nothing_encodes_no_record_still_as_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: dict[str, bool]) -> None:
    # An apply's first write (its journal starts from a stored document), a no-change apply:
    # at 10,000 buyers, encoding and hashing the whole state to find nothing changed took ~1 s.
    backend = written(tmp_path, document(["a", "b"], [{"v": 1}, {"v": [1, "x"]}]))
    before = backend.path.stat()
    doc = LocalBackend(backend.path).load(**how)
    assert doc.resources["client.b"].attributes == {"v": [1, "x"]}  # built and kept, as read
    monkeypatch.setattr(StateDocument, "write_json", unwritable)
    LocalBackend(backend.path).write(doc)
    assert doc.serial == 1
    after = backend.path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


@pytest.mark.parametrize("change", ["a kept record", "a record added", "a record removed",
                                    "the top level"])
def test_a_write_that_changes_anything_is_written(tmp_path: Path, change: str) -> None:
    backend = written(tmp_path, document(["a", "b"], [{"v": 1}, {"v": 2}]))
    doc = LocalBackend(backend.path).load(by_index=True)
    if change == "a kept record":
        doc.resources["client.b"].attributes["v"] = 3  # changed in place, as an apply may
    elif change == "a record added":
        doc.resources["client.c"] = record("client.c", 102, {"v": 3})
    elif change == "a record removed":
        del doc.resources["client.a"]
    else:
        doc.endpoint = {"url": "https://api.leadexec.net"}
    expected = doc.to_json(serial=2)
    LocalBackend(backend.path).write(doc)
    assert doc.serial == 2
    assert backend.path.read_text(encoding="utf-8") == expected


@settings(max_examples=60, deadline=None)
@example(keys=["a", "b", "c"], attributes=[{}] * 8, changes=[("remove", 1)], run_bytes=1 << 22)
@example(keys=["a", "p", "z"], attributes=[{}] * 8, changes=[("add", 1)], run_bytes=1 << 22)
@example(keys=["a", "b", "c"], attributes=[{}] * 8, changes=[("change", 1)], run_bytes=1 << 22)
@given(keys=st.lists(names.filter(lambda k: "." not in k), min_size=1, max_size=8, unique=True),
       attributes=st.lists(st.dictionaries(names, values, max_size=3), min_size=8, max_size=8),
       changes=st.lists(st.tuples(st.sampled_from(["keep", "change", "remove", "add"]),
                                  st.integers(0, 7)), min_size=1, max_size=4),
       run_bytes=st.sampled_from([1, 300, 1 << 22]))
def test_a_state_read_by_its_index_and_changed_anywhere_is_written_as_a_whole_encoding(
        tmp_path_factory: pytest.TempPathFactory, keys: list[str], attributes: list[dict],
        changes: list[tuple[str, int]], run_bytes: int) -> None:
    # Records still as stored are written as their text in the file, several at once where
    # they follow each other there (`_stored_run`: at most `run_bytes`); what changed around
    # them is encoded. The bytes are a whole encoding's, and the new index places them.
    doc = document(keys, attributes[:len(keys)])
    assume(secret_hash.LEGACY_PREFIX not in doc.to_json())
    backend = written(tmp_path_factory.mktemp("state"), doc)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(state_document, "_RUN_BYTES", run_bytes)
        read = LocalBackend(backend.path).load(by_index=True)
        for what, n in changes:
            address = f"client.{keys[n % len(keys)]}"
            if what == "keep" and address in read.resources:
                assert read.resources[address] is not None  # built and kept, unchanged
            elif what == "change" and address in read.resources:
                read.resources[address].attributes["changed"] = n
            elif what == "remove" and address in read.resources:
                del read.resources[address]
            elif what == "add":
                read.resources[f"client.new{n}"] = record(f"client.new{n}", 900 + n, {"v": n})
        before = doc.to_json(serial=1)
        changed = read.to_json(serial=1) != before  # (a write of the same content is no write)
        expected = read.to_json(serial=2) if changed else before
        LocalBackend(backend.path).write(read)
        text = backend.path.read_text(encoding="utf-8")
        assert text == expected
    assert read.source_digest == text_digest(text)
    whole = LocalBackend(backend.path).load()
    placed = LocalBackend(backend.path).load(lazily=True)
    assert kinds_of_stored(placed) == ({StoredSlice} if len(whole.resources) else set())
    assert same_records(placed, whole)


def test_a_write_reads_no_index_where_the_file_is_the_one_it_was_loaded_from(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # An apply writes twice (where its journal starts, and at its end): each read the index
    # again (~0.15 s at 10,000 buyers), though the file was the one the apply had loaded.
    backend = written(tmp_path, document(["a", "b"], [{"v": 1}, {"v": 2}]))
    reads: list[Path] = []
    real_read = record_index.read

    def read(path: Path) -> record_index.IndexedFile | None:
        reads.append(path)
        return real_read(path)

    monkeypatch.setattr(record_index, "read", read)
    loaded = LocalBackend(backend.path)
    doc = loaded.load(by_index=True)
    assert len(reads) == 1
    loaded.write(doc)  # nothing changed
    doc.resources["client.b"].attributes["v"] = 3
    loaded.write(doc)
    assert len(reads) == 1 and doc.serial == 2
    doc.resources["client.b"].attributes["v"] = 4
    loaded.write(doc)  # another file now: its index is read
    assert len(reads) == 2 and doc.serial == 3
    assert LocalBackend(backend.path).load().resources["client.b"].attributes == {"v": 4}


@pytest.mark.parametrize("how", ["replaced", "rewritten in place"])
def test_a_write_reads_the_index_again_where_the_file_is_another(tmp_path: Path,
                                                                 how: str) -> None:
    backend = written(tmp_path, document(["a", "b"], [{"v": 1}, {"v": 2}]))
    loaded = LocalBackend(backend.path)
    doc = loaded.load(by_index=True)
    if how == "replaced":  # another run wrote meanwhile (without the lock)
        other = LocalBackend(backend.path)
        changed = other.load()
        changed.resources["client.a"].attributes["v"] = 9
        other.write(changed)
        with pytest.raises(StateError, match="state changed since it was read: serial 2 on "
                                             "disk, 1 expected"):
            loaded.write(doc)
    else:  # a copy over it: the same file, other bytes (the serial, as another run's write)
        text = backend.path.read_text(encoding="utf-8")
        with backend.path.open("r+", encoding="utf-8") as file:
            file.write(text.replace('"serial": 1', '"serial": 7'))
        with pytest.raises(StateError, match="state changed since it was read: serial 7 on "
                                             "disk, 1 expected"):
            loaded.write(doc)


def test_a_write_through_the_same_backend_keeps_what_changed_deep_in_the_top_level(
        tmp_path: Path) -> None:
    # The document read by its index must not share its values with what the backend keeps
    # of the file: a write compares the two (found in review).
    doc = document(["a"], [{"v": 1}])
    doc.pending["client.b"] = {"kind": "client", "parent_id": None, "attributes": {"p": 25}}
    doc.wire["x"] = {"value": {"n": 1}, "source": "apply", "at": "t"}
    backend = written(tmp_path, doc)
    loaded = LocalBackend(backend.path)
    doc = loaded.load(by_index=True)
    doc.pending["client.b"]["attributes"]["p"] = 26
    doc.wire["x"]["value"]["n"] = 2
    loaded.write(doc)
    assert doc.serial == 2
    on_disk = json.loads(backend.path.read_text(encoding="utf-8"))
    assert on_disk["pending"]["client.b"]["attributes"]["p"] == 26
    assert on_disk["wire"]["x"]["value"]["n"] == 2


class FailingFile:
    """A state file whose every read fails, as one changed since it was checked."""

    def __init__(self) -> None:
        self.reads = 0

    def record(self, start: int, end: int) -> str:
        self.reads += 1
        raise self.misplaced()

    def misplaced(self) -> StateError:
        return StateError("changed")


def test_a_write_whose_stored_text_cannot_be_read_encodes_the_rest_at_once(
        tmp_path: Path) -> None:
    # Not a read per record, each of up to `_RUN_BYTES` (found in review: quadratic).
    backend = written(tmp_path, document([f"c{n:02d}" for n in range(40)],
                                         [{"v": n} for n in range(40)]))
    doc = LocalBackend(backend.path).load()  # records as stored, packed
    indexed = record_index.read(backend.path)
    assert indexed is not None
    failing = FailingFile()
    stored = {a: StoredSlice(failing, s.start, s.end, s.remote_id)
              for a, s in indexed.records.items()}
    out = io.StringIO()
    doc.write_json(out, stored=stored)
    assert out.getvalue() == doc.to_json()
    assert failing.reads == 1
