"""Every resource kind, in dependency order (creates top-down, retirements bottom-up).

A new kind is one module beside these and one entry here (docs/architecture.md).
"""

from __future__ import annotations

from lexsync.resources.base import ResourceKind
from lexsync.resources.client import ClientKind
from lexsync.resources.client_group import ClientGroupKind
from lexsync.resources.delivery_account import DeliveryAccountKind
from lexsync.resources.delivery_method import DeliveryMethodKind

KINDS: list[ResourceKind] = [ClientGroupKind(), ClientKind(), DeliveryMethodKind(), DeliveryAccountKind()]
BY_NAME: dict[str, ResourceKind] = {k.kind: k for k in KINDS}


def kind_of_address(address: str) -> ResourceKind:
    """client.acme.delivery_account.main → the delivery_account kind; KeyError when the
    address does not name a kind under the one its parent says."""
    parts = address.split(".")
    if len(parts) % 2 or not all(parts[1::2]):
        raise KeyError(address)
    parent: str | None = None
    for word in parts[::2]:
        kind = BY_NAME[word]
        if kind.parent != parent:
            raise KeyError(address)
        parent = word
    return kind


def kind_name(address: str) -> str:
    """client.acme.delivery_account.main → "delivery_account": the kind an address names,
    read without checking it (state's addresses are checked when state is read)."""
    return address.rsplit(".", 2)[-2]


def children_of(kind: ResourceKind) -> list[ResourceKind]:
    """The kinds that live under `kind`, in dependency order."""
    return [k for k in KINDS if k.parent == kind.kind]
