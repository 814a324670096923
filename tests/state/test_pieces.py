"""A state file parsed a piece at a time gives what a whole parse gives, or None (then it is
parsed whole): never a different document."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lexsync.state import pieces
from lexsync.state.document import ResourceState, StateDocument, packed, text_digest
from lexsync.state.local import LocalBackend
from lexsync.state.pieces import parse_in_pieces

GOLDEN = Path(__file__).parent / "golden"

names = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=8)
# Texts meant to look like layout: a record's closing line, the object's end, the header.
tricky = st.sampled_from(["\n    },\n", "\n    }", "\n  }", '\n  "resources": {\n', ",", "}",
                          "{", '"', "\\", "sha256:", "\r\n", " "])
values = st.recursive(
    st.none() | st.booleans() | st.integers() | names | tricky,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(names | tricky, inner, max_size=3),
    max_leaves=6)


def state_text(keys: list[str], attributes: list[dict]) -> str:
    doc = StateDocument.new()
    doc.resources = {f"client.{k}": ResourceState(f"client.{k}", "client", n, None,
                                                  {"criterion.0": n}, attributes[n], [])
                     for n, k in enumerate(keys)}
    doc.wire = {"list_mode": {"value": "replace"}}
    return doc.to_json()


def parsed(text: str) -> pieces.Parsed | None:
    return parse_in_pieces(io.StringIO(text, newline=None))


def as_read(text: str) -> str:
    """`text` as a state file holding it is read (line breaks of every kind as "\\n")."""
    return io.StringIO(text, newline=None).read()


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    # Chunks of a few characters: every cut and every chunk boundary falls everywhere.
    monkeypatch.setattr(pieces, "_CHUNK", 5)


@settings(max_examples=80, deadline=None)
@given(keys=st.lists(names.filter(lambda k: "." not in k), min_size=1, max_size=6, unique=True),
       attributes=st.lists(st.dictionaries(names | tricky, values, max_size=3), min_size=6,
                           max_size=6))
def test_a_state_as_lexsync_writes_it_is_parsed_in_pieces_as_a_whole(
        keys: list[str], attributes: list[dict]) -> None:
    text = state_text(keys, attributes)
    found = parsed(text)
    assert found is not None
    text = as_read(text)
    whole = json.loads(text)
    assert found.data == whole
    assert list(found.data["resources"]) == list(whole["resources"])  # in stored order
    assert found.digest == text_digest(text)
    assert found.holds_legacy_prefix == ("sha256:" in text)


@settings(max_examples=300, deadline=None)
@given(keys=st.lists(names.filter(lambda k: "." not in k), min_size=1, max_size=4, unique=True),
       attributes=st.lists(st.dictionaries(names, values, max_size=2), min_size=4, max_size=4),
       edits=st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=3),
                                tricky), min_size=1, max_size=3))
def test_an_edited_text_is_parsed_as_a_whole_parse_parses_it_or_not_at_all(
        keys: list[str], attributes: list[dict], edits: list[tuple[int, int, str]]) -> None:
    # Hand edits: text cut out, and layout-like text put in, anywhere.
    text = state_text(keys, attributes)
    for at, cut, put in edits:
        at %= len(text) + 1
        text = text[:at] + put + text[at + cut:]
    found = parsed(text)
    if found is None:
        return  # parsed whole by the caller
    text = as_read(text)
    assert found.data == json.loads(text)
    assert list(found.data["resources"]) == list(json.loads(text)["resources"])
    assert found.digest == text_digest(text)


def test_a_record_given_twice_is_parsed_whole(tmp_path: Path) -> None:
    text = state_text(["a", "b"], [{"x": 1}, {"x": 2}] + [{}] * 4)
    first = text.index('    "client.a"')
    second = text.index('    "client.b"')
    duplicate = text[first:second].replace('"x": 1', '"x": 3')
    text = text[:second] + duplicate + text[second:]
    assert parsed(text) is None  # the pieces hold one each
    path = tmp_path / "state.json"
    path.write_text(text, encoding="utf-8")
    read = LocalBackend(path).load()
    assert list(read.resources) == ["client.a", "client.b"]  # JSON's: the last, first placed
    assert read.resources["client.a"].attributes == {"x": 3}


@pytest.mark.parametrize("text", [
    "", "{}", '{"resources": {}}', "[1, 2]", '{\n  "resources": {\n    "a": 1\n  }\n}',
    '{\n  "resources": {\n    "a": {\n    }\n  }\n}\n',  # a record's closing line alone
])
def test_other_texts_answer_a_whole_parse_or_none(text: str) -> None:
    found = parsed(text)
    assert found is None or found.data == json.loads(text)


def test_a_state_laid_out_otherwise_is_read_whole(tmp_path: Path,
                                                  sample_doc: StateDocument) -> None:
    path = tmp_path / "state.json"
    path.write_text(json.dumps(json.loads(sample_doc.to_json())), encoding="utf-8")
    assert parsed(path.read_text(encoding="utf-8")) is None
    read = LocalBackend(path).load()
    assert read.resources.remote_ids() == sample_doc.resources.remote_ids()
    assert read.source_digest == text_digest(path.read_text(encoding="utf-8"))


def test_the_backend_reads_the_golden_state_in_pieces(monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_bytes((GOLDEN / "state_v2.json").read_bytes())
    answered: list[bool] = []

    def counting(handle: io.TextIOBase, keep: pieces.Keep) -> pieces.Parsed | None:
        found = parse_in_pieces(handle, keep)  # type: ignore[arg-type]
        answered.append(found is not None)
        return found

    monkeypatch.setattr("lexsync.state.local.parse_in_pieces", counting)
    read = LocalBackend(path).load()
    whole = StateDocument.from_json(path.read_text(encoding="utf-8"), "state.json")
    assert answered == [True]
    assert read.to_json() == whole.to_json()
    assert read.source_digest == whole.source_digest


def two_records() -> str:
    doc = StateDocument.new()
    doc.resources = {"client_group.g": ResourceState("client_group.g", "client_group", 5),
                     "client.a": ResourceState("client.a", "client", 10, attributes={"group": "g"})}
    return doc.to_json()


@pytest.mark.parametrize("edit", [
    # `resources` named again at the top level, however spelled: JSON keeps the last.
    lambda t: t[:t.rindex("\n}")] + ',\n  "resources": {}\n}\n',
    lambda t: t[:t.rindex("\n}")] + ',\n  "resources" : {}\n}\n',
    lambda t: t[:t.rindex("\n}")] + ',"resourc\\u0065s":{}\n}\n',
    # The records' object nested one level down, the top level's `resources` empty.
    lambda t: t.replace('{\n  "lineage"', '{\n  "resources": {},\n  "x": {\n  "lineage"', 1)
    .replace('\n  "secret_salt"', '},\n  "secret_salt"', 1),
    # A comma after the last record.
    lambda t: t.replace("\n    }\n  }", "\n    },\n  }", 1),
])
def test_what_a_whole_parse_reads_otherwise_is_left_to_it(edit) -> None:
    text = edit(two_records())
    found = parsed(text)
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        assert found is None
        return
    assert found is None or found.data == whole
    lazy_ok = StateDocument.from_json(text, "s", lazily=True).resources.remote_ids() \
        if type(whole.get("resources")) is dict else None
    if lazy_ok is not None:
        assert lazy_ok == StateDocument.from_json(text, "s").resources.remote_ids()


def test_a_bad_record_a_later_one_replaces_is_left_to_the_whole_parse(tmp_path: Path) -> None:
    # A record refused when read (its kind), given again further on, as JSON keeps it.
    text = two_records().replace('\n  "resources": {\n', '\n  "resources": {\n    "client.a": {\n'
                                 '      "kind": "nope"\n    },\n', 1)
    assert json.loads(text)["resources"]["client.a"]["remote_id"] == 10
    assert parse_in_pieces(io.StringIO(text), lambda key, value: packed(key, value, "s")) is None
    path = tmp_path / "state.json"
    path.write_text(text, encoding="utf-8")
    assert LocalBackend(path).load().resources["client.a"].remote_id == 10
