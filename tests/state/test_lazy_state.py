"""A state read lazily (a targeted plan) parses a record only when it is asked for, and reads
the same document as a whole parse; a text laid out otherwise is parsed whole."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lexsync.errors import StateError
from lexsync.state.document import ResourceState, StateDocument
from lexsync.state.local import LocalBackend
from lexsync.state.text_index import index

GOLDEN = Path(__file__).parent / "golden"

names = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=8)
values = st.recursive(
    st.none() | st.booleans() | st.integers() | names,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(["remote_id", "address", "x"]), inner, max_size=3),
    max_leaves=6)


def record(address: str, kind: str, remote_id: int, attributes: dict) -> ResourceState:
    return ResourceState(address=address, kind=kind, remote_id=remote_id,
                         parent_id=None if kind == "client" else 1, attributes=attributes,
                         sub_ids={"criterion.0": remote_id}, depends_on=[])


@settings(max_examples=60, deadline=None)
@given(keys=st.lists(names.filter(lambda k: "." not in k), min_size=1, max_size=5, unique=True),
       ids=st.lists(st.integers(min_value=-5, max_value=10**12), min_size=10, max_size=10),
       attributes=st.lists(st.dictionaries(names, values, max_size=3), min_size=10, max_size=10))
def test_each_record_is_found_where_it_is_written(keys: list[str], ids: list[int],
                                                  attributes: list[dict]) -> None:
    # Keys with quotes, backslashes and any character; attributes naming remote_id deeper down.
    doc = StateDocument.new()
    doc.resources = {f"client.{k}": record(f"client.{k}", "client", ids[n], attributes[n])
                     for n, k in enumerate(keys)}
    text = doc.to_json()
    found = index(text)
    assert found is not None
    whole = json.loads(text)
    assert list(found.records) == list(whole["resources"])
    for address, stored in found.records.items():
        assert json.loads(stored.json()) == whole["resources"][address]
        assert stored.remote_id == whole["resources"][address]["remote_id"]
    assert found.rest == {**whole, "resources": {}}


def test_a_lazy_read_is_the_whole_read(sample_doc: StateDocument) -> None:
    text = (GOLDEN / "state_v2.json").read_text(encoding="utf-8")
    lazy = StateDocument.from_json(text, "state.json", lazily=True)
    assert lazy.resources.decoded == 0
    assert lazy.resources.remote_ids() == sample_doc.resources.remote_ids()
    assert lazy.resources.decoded == 0
    assert lazy == sample_doc and lazy.to_json() == text
    assert lazy.source_digest == StateDocument.from_json(text, "state.json").source_digest


def test_a_lazy_read_writes_back_what_it_read(tmp_path: Path, sample_doc: StateDocument) -> None:
    path = tmp_path / "state.json"
    path.write_text(sample_doc.to_json(), encoding="utf-8")
    backend = LocalBackend(path)
    doc = backend.load(lazily=True)
    doc.resources["client.acme"].remote_id = 102
    backend.write(doc)
    again = LocalBackend(path).load()
    assert again.resources["client.acme"].remote_id == 102
    assert again.resources["client.acme.delivery_method.acme-post"] == \
        sample_doc.resources["client.acme.delivery_method.acme-post"]


@pytest.mark.parametrize("layout", [
    lambda data: json.dumps(data, sort_keys=True, indent=4),  # another indent
    lambda data: json.dumps(data, sort_keys=True),  # one line
    lambda data: json.dumps(data, indent=2).replace(  # a field moved up to the record's depth
        '\n      "remote_id"', '\n    "remote_id"', 1),
    lambda data: json.dumps(data, indent=2).replace(  # a second remote ID in a record
        '\n      "kind"', '\n      "remote_id": 9,\n      "kind"', 1),
])
def test_a_text_laid_out_otherwise_is_parsed_whole(layout, sample_doc: StateDocument) -> None:
    text = layout(json.loads(sample_doc.to_json()))
    assert index(text) is None
    try:
        whole = StateDocument.from_json(text, "state.json")
    except StateError as exc:  # what the whole parse says, lazily or not
        with pytest.raises(StateError, match=exc.message[:40]):
            StateDocument.from_json(text, "state.json", lazily=True)
        return
    assert StateDocument.from_json(text, "state.json", lazily=True) == whole


def _joined(text: str, field: str) -> str:
    """`text` with the first line holding `field` joined onto the line before it."""
    return text.replace(f',\n      "{field}"', f', "{field}"', 1)


@pytest.mark.parametrize("edit", [
    # The record's remote ID moved onto another field's line, a nested one at its depth.
    lambda text: _joined(text, "remote_id").replace(
        '"attributes": {\n', '"attributes": {\n      "remote_id": 5,\n', 1),
    # A second remote ID beside another field (JSON keeps the last).
    lambda text: text.replace('"sub_ids": {', '"remote_id": 9, "sub_ids": {', 1),
    # A record inside the one before it, on its last line.
    lambda text: text.replace('\n    },\n    "', ', "client.hidden": {"address": "client.hidden", '
                              '"kind": "client", "remote_id": 3}\n    },\n    "', 1),
    # `resources` named again after the records, beside another key (JSON keeps the last).
    lambda text: text.replace('"serial": ', '"resources": {}, "serial": ', 1),
    # `resources` named again, on a line of its own, nested one level deeper than the records.
    lambda text: text.replace('\n  "serial": ', '\n  "other": {\n  "resources": {}\n  },'
                              '\n  "serial": ', 1),
])
def test_a_hand_edit_that_keeps_the_layouts_look_is_parsed_whole(
        edit, sample_doc: StateDocument) -> None:
    text = edit(sample_doc.to_json())
    assert text != sample_doc.to_json()
    assert index(text) is None
    try:
        whole = StateDocument.from_json(text, "state.json")
    except StateError as exc:
        with pytest.raises(StateError, match=exc.message[:40]):
            StateDocument.from_json(text, "state.json", lazily=True)
        return
    lazy = StateDocument.from_json(text, "state.json", lazily=True)
    assert list(lazy.resources) == list(whole.resources)
    assert lazy.resources.remote_ids() == whole.resources.remote_ids()


def test_a_remote_id_found_where_it_is_not_is_refused_when_the_record_is_parsed(
        sample_doc: StateDocument) -> None:
    # A nested remote ID indented as the record's own fields, the record's own indented
    # deeper: the layout still looks like lexsync's, which the record's parse shows it is not.
    text = sample_doc.to_json().replace('\n      "remote_id": 101,', '\n        "remote_id": 101,')
    start = text.index('    "client.acme": {')
    text = text[:start] + text[start:].replace('"attributes": {\n',
                                               '"attributes": {\n      "remote_id": 5,\n', 1)
    assert index(text) is not None  # the look of the layout is kept
    assert StateDocument.from_json(text, "state.json").resources["client.acme"].remote_id == 101
    lazy = StateDocument.from_json(text, "state.json", lazily=True)
    assert lazy.resources.remote_ids()["client.acme"] == 5  # trusted until parsed
    with pytest.raises(StateError, match="not laid out as lexsync writes it"):
        lazy.resources["client.acme"]


def test_a_corrupt_record_is_found_when_it_is_asked_for(sample_doc: StateDocument) -> None:
    text = sample_doc.to_json().replace('"kind": "delivery_method"', '"kind": "delivery_account"')
    with pytest.raises(StateError, match="does not match its address"):
        StateDocument.from_json(text, "state.json")  # whole: at once
    lazy = StateDocument.from_json(text, "state.json", hint="restore it", lazily=True)
    assert lazy.resources["client.acme"].remote_id == 101  # the others are fine
    with pytest.raises(StateError, match="does not match its address; restore it"):
        lazy.resources["client.acme.delivery_method.acme-post"]


def test_an_older_state_is_parsed_whole() -> None:
    text = (GOLDEN / "state_v1.json").read_text(encoding="utf-8")
    lazy = StateDocument.from_json(text, "state.json", lazily=True)
    assert lazy == StateDocument.from_json(text, "state.json")
    assert lazy.version == 2
