from __future__ import annotations

import pytest

from lexsync.state.document import ResourceState, StateDocument


@pytest.fixture
def sample_doc() -> StateDocument:
    """A fixed document (no random lineage or salt) so golden files are stable."""
    doc = StateDocument(
        lineage="3f2b1c9e-8d7a-4e6f-9a0b-1c2d3e4f5a6b",
        serial=3,
        secret_salt="00112233445566778899aabbccddeeff",
    )
    doc.resources = {
        "client_group.premium": ResourceState(
            address="client_group.premium", kind="client_group", remote_id=4,
            attributes={"description": "Premium buyers", "display_order": 1},
        ),
        "client.acme": ResourceState(
            address="client.acme", kind="client", remote_id=101,
            attributes={"status": "Active", "username": "acme-portal",
                        "password": doc.hash_secret("hunter2")},
            depends_on=["client_group.premium"],
        ),
        "client.acme.delivery_method.acme-post": ResourceState(
            address="client.acme.delivery_method.acme-post", kind="delivery_method",
            remote_id=7, parent_id=101,
            sub_ids={"field_mapping.first_name": 12, "field_mapping.st.map.California": 40,
                     "schedule.mon": 7},
            attributes={"url": "https://acme.example/leads", "enabled": True},
            depends_on=["client.acme"],
        ),
        "client.acme.delivery_account.acme-ca": ResourceState(
            address="client.acme.delivery_account.acme-ca", kind="delivery_account",
            remote_id=55, parent_id=101, sub_ids={"criterion.0": 55},
            attributes={"price": 25.0, "caps": {"day": 100, "hour": 10}},
            depends_on=["client.acme", "client.acme.delivery_method.acme-post"],
        ),
    }
    return doc
