from __future__ import annotations

import hashlib
import json
import re
import uuid
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lexsync.errors import StateError
from lexsync.state import document
from lexsync.state.document import STATE_VERSION, ResourceState, StateDocument

GOLDEN = Path(__file__).parent / "golden" / "state_v2.json"
GOLDEN_V1 = Path(__file__).parent / "golden" / "state_v1.json"


def test_to_json_matches_golden(sample_doc: StateDocument) -> None:
    assert sample_doc.to_json() == GOLDEN.read_text(encoding="utf-8")


def test_golden_round_trips(sample_doc: StateDocument) -> None:
    text = GOLDEN.read_text(encoding="utf-8")
    doc = StateDocument.from_json(text, "golden.json")
    assert doc == sample_doc
    assert doc.resources["client.acme.delivery_method.acme-post"].sub_ids["schedule.mon"] == 7
    assert doc.to_json() == text


def test_a_version_1_state_is_read_as_today_s_and_written_as_version_2(
        sample_doc: StateDocument) -> None:
    doc = StateDocument.from_json(GOLDEN_V1.read_text(encoding="utf-8"), "old.json")
    assert doc == sample_doc and doc.version == STATE_VERSION == 2
    assert doc.to_json() == GOLDEN.read_text(encoding="utf-8")


def test_version_1_sub_ids_of_dotted_names_are_migrated_by_the_recorded_mappings() -> None:
    # Version 1 wrote parts unescaped: `field_mapping.a.map.b` was either the setting `a.map.b`
    # or the value `b` of setting `a`; the method's recorded mappings tell which (issue 21, row 5).
    method = {"address": "client.c.delivery_method.m", "kind": "delivery_method", "remote_id": 7,
              "sub_ids": {"field_mapping.contact.first_name": 1,
                          "field_mapping.contact.first_name.map.C.A": 2,
                          "field_mapping.a.map.b": 3, "field_mapping.x%y": 4,
                          "field_mapping.gone.map.v": 5, "schedule.mon.0": 6, "criterion.0": 7},
              "attributes": {"field_mappings": {
                  "contact.first_name": {"source": "lead_field", "map": {"C.A": "CA"}},
                  "a.map.b": {"source": "static"}, "x%y": {"source": "static"}}}}
    data = {"version": 1, "lineage": "l", "serial": 1, "secret_salt": "s",
            "resources": {"client.c.delivery_method.m": method}}
    doc = StateDocument.from_json(json.dumps(data), "old.json")
    assert doc.resources["client.c.delivery_method.m"].sub_ids == {
        "field_mapping.contact%2Efirst_name": 1, "field_mapping.contact%2Efirst_name.map.C%2EA": 2,
        "field_mapping.a%2Emap%2Eb": 3, "field_mapping.x%25y": 4, "field_mapping.gone.map.v": 5,
        "schedule.mon.0": 6, "criterion.0": 7}


def test_to_json_is_sorted_indented_and_ends_with_newline(sample_doc: StateDocument) -> None:
    text = sample_doc.to_json()
    assert text.endswith("}\n")
    assert text.splitlines()[1] == '  "lineage": "3f2b1c9e-8d7a-4e6f-9a0b-1c2d3e4f5a6b",'
    top_keys = list(json.loads(text))
    assert top_keys == sorted(top_keys)


def test_new_document_has_fresh_identity() -> None:
    a, b = StateDocument.new(), StateDocument.new()
    assert uuid.UUID(a.lineage).version == 4
    assert a.lineage != b.lineage
    assert re.fullmatch(r"[0-9a-f]{32}", a.secret_salt)
    assert a.secret_salt != b.secret_salt
    assert (a.serial, a.version, a.resources) == (0, STATE_VERSION, {})


def test_content_digest_ignores_serial_but_not_content(sample_doc: StateDocument) -> None:
    digest = sample_doc.content_digest()
    sample_doc.serial += 5
    assert sample_doc.content_digest() == digest
    sample_doc.resources["client.acme"].attributes["status"] = "Inactive"
    assert sample_doc.content_digest() != digest


def test_hash_secret_is_salted(sample_doc: StateDocument) -> None:
    hashed = sample_doc.hash_secret("hunter2")
    assert hashed.stored() == "scrypt:16384:8:1:" + __import__("hashlib").scrypt(
        b"hunter2", salt=b"00112233445566778899aabbccddeeff", n=16384, r=8, p=1, dklen=32).hex()
    assert "hunter2" not in hashed.stored()
    other = StateDocument.new()
    assert other.hash_secret("hunter2") != hashed
    assert other.hash_secret("hunter2").stored() != hashed.stored()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", r"state file s\.json is not valid JSON \(line 1, column 2"),
        ("[]", "expected a JSON object at the top level"),
        ('{"version": 1, "serial": 0, "secret_salt": "x", "resources": {}}', "missing lineage"),
        ('{"version": 1, "lineage": "l", "serial": "3", "secret_salt": "x", "resources": {}}',
         "serial must be an integer, not a string"),
        ('{"version": 1, "lineage": "l", "serial": true, "secret_salt": "x", "resources": {}}',
         "serial must be an integer, not a boolean"),
        ('{"version": 1, "lineage": "l", "serial": 0, "secret_salt": "x", "resources": []}',
         "resources must be an object, not a list"),
        ('{"version": 1, "lineage": "l", "serial": 0, "secret_salt": "x", '
         '"resources": {"client.a": {"address": "client.a", "kind": "client"}}}',
         "missing resources.client.a.remote_id"),
        ('{"version": 1, "lineage": "l", "serial": 0, "secret_salt": "x", '
         '"resources": {"client.a": {"address": "client.b", "kind": "client", "remote_id": 1}}}',
         "records address 'client.b'"),
        ('{"version": 1, "lineage": "l", "serial": 0, "secret_salt": "x", '
         '"resources": {"client.a": {"address": "client.a", "kind": "client", "remote_id": 1, '
         '"sub_ids": {"x": "1"}}}}',
         "sub_ids must map names to integers"),
    ],
)
def test_corrupt_documents_raise_state_error(text: str, message: str) -> None:
    with pytest.raises(StateError, match=message) as info:
        StateDocument.from_json(text, "s.json")
    assert info.value.__cause__ is None  # a clear message, not a chained parser traceback


def test_newer_version_asks_for_upgrade(sample_doc: StateDocument) -> None:
    data = json.loads(sample_doc.to_json())
    data["version"] = STATE_VERSION + 1
    with pytest.raises(StateError) as info:
        StateDocument.from_json(json.dumps(data), "prod.json")
    assert info.value.message == (
        "state file prod.json was written by a newer lexsync (version 3); upgrade lexsync"
    )


# JSON-representable attribute values: what the engine stores after normalising.
_scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8) | \
    st.floats(allow_nan=False, allow_infinity=False)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
_ids = st.integers(min_value=0, max_value=2**31)
_names = st.text(alphabet="abcdefghij-_0123", min_size=1, max_size=6)


@st.composite
def _documents(draw: st.DrawFn) -> StateDocument:
    doc = StateDocument(
        lineage=str(draw(st.uuids(version=4))),
        serial=draw(st.integers(0, 10_000)),
        secret_salt=draw(st.text(alphabet="0123456789abcdef", min_size=32, max_size=32)),
    )
    for name in draw(st.lists(_names, max_size=4, unique=True)):
        kind = draw(st.sampled_from(["client", "client_group", "delivery_method",
                                     "delivery_account"]))
        address = f"client.x.{kind}.{name}" if kind.startswith("delivery") else f"{kind}.{name}"
        doc.resources[address] = ResourceState(
            address=address,
            kind=kind,
            remote_id=draw(_ids),
            parent_id=draw(st.none() | _ids),
            sub_ids=draw(st.dictionaries(st.text(max_size=10), _ids, max_size=3)),
            attributes=draw(st.dictionaries(st.text(max_size=8), _json, max_size=4)),
            depends_on=draw(st.lists(_names, max_size=2)),
        )
    return doc


@settings(max_examples=80, deadline=None)
@given(_documents())
def test_from_json_inverts_to_json(doc: StateDocument) -> None:
    text = doc.to_json()
    again = StateDocument.from_json(text, "random.json")
    assert again == doc
    assert again.to_json() == text
    assert again.content_digest() == doc.content_digest()


def test_measured_leadexec_behaviour_round_trips_and_changes_the_digest(
        sample_doc: StateDocument) -> None:
    before = sample_doc.content_digest()
    assert '"wire"' not in sample_doc.to_json()  # absent while empty: old shapes unchanged
    sample_doc.wire = {"criteria_lists": {"value": "merge", "source": "doctor",
                                          "at": "2024-05-01T10:00:00Z"}}
    again = StateDocument.from_json(sample_doc.to_json(), "state.json")
    assert again.wire == sample_doc.wire
    assert sample_doc.content_digest() != before  # a saved plan made before is stale


def test_a_corrupt_wire_block_is_refused(sample_doc: StateDocument) -> None:
    data = json.loads(sample_doc.to_json())
    data["wire"] = {"criteria_lists": "merge"}
    with pytest.raises(StateError, match="wire must map names to objects"):
        StateDocument.from_json(json.dumps(data), "state.json")


def test_a_record_is_built_when_first_asked_for_and_stored_alike_either_way() -> None:
    stored = {"version": 2, "lineage": "l", "serial": 1, "secret_salt": "s", "resources": {
        "client.a": {"address": "client.a", "kind": "client", "remote_id": 1},
        "client.b": {"address": "client.b", "kind": "client", "remote_id": 2,
                     "attributes": {"username": "b"}, "depends_on": ["client_group.g"]}}}
    text = json.dumps(stored)
    untouched = StateDocument.from_json(text, "s.json")
    assert untouched.resources.remote_ids() == {"client.a": 1, "client.b": 2}
    assert untouched.resources.decoded == 0
    touched = StateDocument.from_json(text, "s.json")
    assert touched.resources["client.b"].attributes == {"username": "b"}
    assert touched.resources.decoded == 1
    assert untouched.to_json() == touched.to_json()
    assert untouched.content_digest() == touched.content_digest()
    assert untouched.to_dict()["resources"]["client.a"] == ResourceState(
        "client.a", "client", 1).to_dict()


def test_a_corrupt_record_is_reported_when_it_is_built() -> None:
    stored = {"version": 2, "lineage": "l", "serial": 1, "secret_salt": "s", "resources": {
        "client.a": {"address": "client.a", "kind": "client", "remote_id": 1,
                     "sub_ids": {"x": "one"}}}}
    doc = StateDocument.from_json(json.dumps(stored), "s.json", hint="restore it")
    with pytest.raises(StateError, match=r"client.a.sub_ids must map names to integers; "
                                         "restore it"):
        doc.resources["client.a"]


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=40), chunk=st.integers(min_value=1, max_value=7))
def test_text_digest_in_pieces_is_the_digest_of_the_whole_text(text: str, chunk: int) -> None:
    # Multi-byte characters fall across the pieces' edges: each piece encodes on its own.
    with mock.patch.object(document, "_DIGEST_CHUNK", chunk):
        pieces = document.text_digest(text + "é€😀")
    assert pieces == hashlib.sha256((text + "é€😀").encode("utf-8")).hexdigest()
