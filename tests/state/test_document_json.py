"""write_json writes exactly what to_json returns."""

from __future__ import annotations

import io

from lexsync.state.document import ResourceState, StateDocument


def test_write_json_matches_to_json_byte_for_byte() -> None:
    doc = StateDocument.new()
    for i in range(3000):  # more pieces than one write batch
        doc.resources[f"client.c{i}"] = ResourceState(
            address=f"client.c{i}", kind="client", remote_id=1000 + i,
            attributes={"username": f"ü-{i}", "fields": {"Company": "Acme \"quoted\" \\ tab\t"}},
            sub_ids={"x": i}, depends_on=["client_group.g"])
    handle = io.StringIO()
    doc.write_json(handle)
    assert handle.getvalue() == doc.to_json()
