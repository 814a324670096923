"""What every resource kind declares, and the registry that reads addresses from it."""

from __future__ import annotations

import inspect

import pytest

from lexsync.resources.base import ResourceKind
from lexsync.resources.live import ReadSet
from lexsync.resources.registry import BY_NAME, KINDS, children_of, kind_of_address

DECLARED = ("expand", "observe", "to_yaml", "build_body", "natural_key", "find_live",
            "live_candidates", "write")


@pytest.mark.parametrize("method", DECLARED)
def test_each_kind_method_has_the_signature_the_base_declares(method: str) -> None:
    declared = inspect.signature(getattr(ResourceKind, method))
    for kind in KINDS:
        assert inspect.signature(getattr(type(kind), method)) == declared, (kind.kind, method)


def test_kinds_are_in_dependency_order_and_name_known_kinds() -> None:
    assert [kind.level for kind in KINDS] == sorted(kind.level for kind in KINDS)
    for kind in KINDS:
        assert kind.parent is None or BY_NAME[kind.parent].level < kind.level
        for target in kind.references.values():
            assert BY_NAME[target].level < kind.level
        assert kind.sensitive == frozenset(kind.secrets)
    assert [k.kind for k in children_of(BY_NAME["client"])] == ["delivery_method", "delivery_account"]


@pytest.mark.parametrize(("address", "kind"), [
    ("client_group.gold", "client_group"), ("client.acme", "client"),
    ("client.acme.delivery_method.post", "delivery_method"),
    ("client.acme.delivery_account.main", "delivery_account"),
])
def test_an_address_names_its_kind(address: str, kind: str) -> None:
    assert kind_of_address(address).kind == kind
    found = kind_of_address(address)
    key = address.rsplit(".", 1)[1]
    parent = address.rsplit(".", 2)[0] if found.parent else None
    assert found.address(key, parent) == address


@pytest.mark.parametrize("address", [
    "", "client", "client.acme.delivery_method", "delivery_method.post", "client_group.gold.client.x",
    "client.acme.client.b", "client..delivery_account.x", "nothing.x",
])
def test_what_is_not_an_address_is_refused(address: str) -> None:
    with pytest.raises(KeyError):
        kind_of_address(address)


def test_the_reads_that_show_one_object() -> None:
    assert BY_NAME["client_group"].reads(7, None) == ReadSet(groups=True)
    assert BY_NAME["client"].reads(7, None) == ReadSet(clients=frozenset({7}), fields=frozenset({7}))
    assert BY_NAME["delivery_account"].reads(7, 3) == ReadSet(clients=frozenset({3}))
    assert not BY_NAME["delivery_method"].shown_alone
