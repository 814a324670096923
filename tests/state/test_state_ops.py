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


def test_remove_takes_several_addresses_or_none(sample_doc: StateDocument) -> None:
    with pytest.raises(StateError, match="no resource client.nope in state"):
        ops.remove(sample_doc, ACCOUNT, "client.nope")
    assert len(sample_doc.resources) == 4  # the known one stays too
    # An address under another given one goes once.
    assert ops.remove(sample_doc, "client.acme", METHOD, "client_group.premium") == [
        "client.acme", ACCOUNT, METHOD, "client_group.premium"]
    assert list(sample_doc.resources) == []


def _stored_lazily(tmp_path, doc: StateDocument) -> StateDocument:
    from lexsync.state.local import LocalBackend

    backend = LocalBackend(tmp_path / "state.json")
    backend.write(doc)
    return backend.load(lazily=True)


def test_records_naming_an_address_are_found_without_building_any(
        tmp_path, sample_doc: StateDocument) -> None:
    doc = _stored_lazily(tmp_path, sample_doc)
    # The account depends on the method; the method's own text names it as its address (the
    # asker builds it and looks: a record may be given that does not depend on it).
    assert set(doc.resources.naming([METHOD])) == {ACCOUNT, METHOD}
    assert set(doc.resources.naming(["client.acme"])) == {"client.acme", ACCOUNT, METHOD}
    assert doc.resources.naming(["client.acm"]) == []  # a whole address, not a part of one
    assert doc.resources.decoded == 0
    # Built records are looked at in their list.
    doc.resources[ACCOUNT].depends_on = ["client_group.premium"]
    assert doc.resources.naming([METHOD]) == [METHOD]
    assert set(doc.resources.naming(["client_group.premium"])) == {
        "client.acme", ACCOUNT, "client_group.premium"}


def test_a_record_naming_an_address_escaped_is_found(sample_doc: StateDocument) -> None:
    # As a hand edit or another writer may store it: escaped to ASCII.
    sample_doc.resources["client.acme"].depends_on = ["client_group.pr\u00e9mium"]
    text = sample_doc.to_json().replace("pr\u00e9mium", "pr\\u00e9mium")
    doc = StateDocument.from_json(text, "state.json", lazily=True)
    assert doc.resources.naming(["client_group.pr\u00e9mium"]) == ["client.acme"]


def test_move_builds_only_the_records_that_name_what_moves(
        tmp_path, sample_doc: StateDocument) -> None:
    doc = _stored_lazily(tmp_path, sample_doc)
    ops.move(doc, METHOD, "client.acme.delivery_method.post")
    # The method itself, and the account that depends on it: not the client or the group.
    assert doc.resources.decoded == 2
    assert doc.resources[ACCOUNT].depends_on == ["client.acme", "client.acme.delivery_method.post"]
    assert doc.resources["client.acme"].depends_on == sample_doc.resources["client.acme"].depends_on


def test_resolve_finds_an_id_held_elsewhere_building_only_that_record(
        tmp_path, sample_doc: StateDocument) -> None:
    sample_doc.pending["client.acme.delivery_method.other"] = {
        "kind": "delivery_method", "parent_id": 101, "attributes": {}, "depends_on": []}
    doc = _stored_lazily(tmp_path, sample_doc)
    held = sample_doc.resources[METHOD].remote_id
    with pytest.raises(StateError, match=f"ID {held} is already recorded for {METHOD}"):
        ops.resolve_pending(doc, "client.acme.delivery_method.other", held)
    assert doc.resources.decoded <= 2  # those holding that ID (another kind may share it)


def test_a_mistyped_address_is_matched_first_within_its_client(
        sample_doc: StateDocument) -> None:
    with pytest.raises(StateError, match=f"did you mean {ACCOUNT}"):
        ops.show(sample_doc, "client.acme.delivery_account.acme-cb")
    with pytest.raises(StateError, match="did you mean client.acme.delivery_method.acme-post"):
        ops.show(sample_doc, "client.acme.delivery_metod.acme-post")
