from __future__ import annotations

import pytest

from lexsync.errors import StateError
from lexsync.state import ops
from lexsync.state.document import StateDocument

ACCOUNT = "client.acme.delivery_account.acme-ca"
METHOD = "client.acme.delivery_method.acme-post"


def test_list_addresses_sorted_and_filtered(sample_doc: StateDocument) -> None:
    assert ops.list_addresses(sample_doc) == [
        "client.acme", ACCOUNT, METHOD, "client_group.premium"]
    assert ops.list_addresses(sample_doc, "client.acme") == ["client.acme", ACCOUNT, METHOD]
    assert ops.list_addresses(sample_doc, "client") == ["client.acme", ACCOUNT, METHOD]
    assert ops.list_addresses(sample_doc, "client_group") == ["client_group.premium"]
    assert ops.list_addresses(sample_doc, "client.ac") == []


def test_show_returns_the_recorded_resource(sample_doc: StateDocument) -> None:
    shown = ops.show(sample_doc, ACCOUNT)
    assert shown["remote_id"] == 55
    assert shown["parent_id"] == 101
    assert shown["sub_ids"] == {"criterion.0": 55}
    assert shown["depends_on"] == ["client.acme", METHOD]


def test_show_unknown_address_suggests_the_closest(sample_doc: StateDocument) -> None:
    with pytest.raises(StateError) as info:
        ops.show(sample_doc, "client.acm")
    assert info.value.message == "no resource client.acm in state; did you mean client.acme?"
    with pytest.raises(StateError, match=r"^no resource zzz in state$"):
        ops.show(sample_doc, "zzz")


def test_remove_takes_children_along(sample_doc: StateDocument) -> None:
    removed = ops.remove(sample_doc, "client.acme")
    assert removed == ["client.acme", ACCOUNT, METHOD]
    assert list(sample_doc.resources) == ["client_group.premium"]


def test_remove_leaf_leaves_siblings(sample_doc: StateDocument) -> None:
    assert ops.remove(sample_doc, ACCOUNT) == [ACCOUNT]
    assert ops.list_addresses(sample_doc) == ["client.acme", METHOD, "client_group.premium"]


def test_remove_unknown_is_an_error(sample_doc: StateDocument) -> None:
    with pytest.raises(StateError, match="no resource client.nope in state"):
        ops.remove(sample_doc, "client.nope")
    assert len(sample_doc.resources) == 4


def test_move_renames_children_and_dependency_edges(sample_doc: StateDocument) -> None:
    moved = ops.move(sample_doc, "client.acme", "client.acme-corp")
    assert moved == [
        "client.acme -> client.acme-corp",
        f"{ACCOUNT} -> client.acme-corp.delivery_account.acme-ca",
        f"{METHOD} -> client.acme-corp.delivery_method.acme-post",
    ]
    assert ops.list_addresses(sample_doc) == [
        "client.acme-corp",
        "client.acme-corp.delivery_account.acme-ca",
        "client.acme-corp.delivery_method.acme-post",
        "client_group.premium",
    ]
    account = sample_doc.resources["client.acme-corp.delivery_account.acme-ca"]
    assert account.address == "client.acme-corp.delivery_account.acme-ca"
    assert account.remote_id == 55
    assert account.depends_on == ["client.acme-corp", "client.acme-corp.delivery_method.acme-post"]


def test_move_refuses_existing_destination(sample_doc: StateDocument) -> None:
    other = ops.show(sample_doc, "client.acme")
    sample_doc.resources["client.beta"] = type(sample_doc.resources["client.acme"])(
        **{**other, "address": "client.beta", "remote_id": 202})
    with pytest.raises(StateError) as info:
        ops.move(sample_doc, "client.acme", "client.beta")
    assert info.value.message == (
        "cannot move client.acme to client.beta: client.beta already exists in state")
    with pytest.raises(StateError, match="already exists"):
        ops.move(sample_doc, "client.acme", "client.acme")
    assert sample_doc.resources["client.acme"].remote_id == 101
    assert sample_doc.resources["client.beta"].remote_id == 202


def test_move_refuses_kind_change(sample_doc: StateDocument) -> None:
    with pytest.raises(StateError, match=r"cannot move client.acme \(client\) to client_group.acme \(client_group\)"):
        ops.move(sample_doc, "client.acme", "client_group.acme")
    with pytest.raises(StateError, match="is not a resource address"):
        ops.move(sample_doc, "client.acme", "client.acme.bogus")


def test_move_refuses_moving_an_account_to_another_client(sample_doc: StateDocument) -> None:
    with pytest.raises(StateError, match="to another client"):
        ops.move(sample_doc, ACCOUNT, "client.beta.delivery_account.acme-ca")
    assert ACCOUNT in sample_doc.resources
