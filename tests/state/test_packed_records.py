"""A state's records are kept packed until something asks for one: a question about every
record (`walk`) builds each for the asker and keeps none; writing the state back writes what
was read."""

from __future__ import annotations

import shutil
from pathlib import Path

from lexsync.state.document import ResourceState, StateDocument
from lexsync.state.local import LocalBackend
from lexsync.state.records import Packed

GOLDEN = Path(__file__).parent / "golden"


def loaded(tmp_path: Path) -> tuple[StateDocument, str]:
    path = tmp_path / "state.json"
    shutil.copyfile(GOLDEN / "state_v2.json", path)
    return LocalBackend(path).load(), path.read_text(encoding="utf-8")


def test_records_stay_packed_until_one_is_asked_for(tmp_path: Path) -> None:
    doc, text = loaded(tmp_path)
    whole = StateDocument.from_json(text, "state.json")
    assert doc.resources.remote_ids() == whole.resources.remote_ids()
    assert doc.resources.decoded == 0
    walked = dict(doc.resources.walk())
    assert walked == dict(whole.resources.items())
    assert doc.resources.decoded == len(walked)
    assert all(type(doc.resources._items[a]) is Packed for a in walked)  # none kept
    first = next(iter(walked))
    assert doc.resources[first] is doc.resources[first]  # asked by address: kept
    assert doc.resources.decoded == len(walked) + 1


def test_a_packed_record_is_written_back_as_it_was_read(tmp_path: Path) -> None:
    doc, text = loaded(tmp_path)
    assert doc.to_json() == text
    assert doc.content_digest() == StateDocument.from_json(text, "state.json").content_digest()


def test_records_built_from_a_packed_state_share_their_texts(tmp_path: Path) -> None:
    doc = StateDocument.new()
    doc.resources = {f"client.{key}": ResourceState(
        f"client.{key}", "client", number, None, {"schedule.mon.0": number},
        {"status": "Active", "fields": {"Company": "ACME"}}, []) for number, key in enumerate("ab")}
    path = tmp_path / "state.json"
    path.write_text(doc.to_json(), encoding="utf-8")
    a, b = (LocalBackend(path).load().resources[f"client.{key}"] for key in "ab")
    for one, other in ((a.attributes, b.attributes), (a.attributes["fields"], b.attributes["fields"]),
                       (a.sub_ids, b.sub_ids)):
        assert [id(k) for k in one] == [id(k) for k in other]  # one object per text
        assert [id(v) for v in one.values() if isinstance(v, str)] == \
            [id(v) for v in other.values() if isinstance(v, str)]
