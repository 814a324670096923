"""Every resource kind, in dependency order (creates top-down, retirements bottom-up)."""

from __future__ import annotations

from lexsync.resources.base import ResourceKind
from lexsync.resources.client import ClientKind
from lexsync.resources.client_group import ClientGroupKind
from lexsync.resources.delivery_account import DeliveryAccountKind
from lexsync.resources.delivery_method import DeliveryMethodKind

KINDS: list[ResourceKind] = [ClientGroupKind(), ClientKind(), DeliveryMethodKind(), DeliveryAccountKind()]
BY_NAME: dict[str, ResourceKind] = {k.kind: k for k in KINDS}


def kind_of_address(address: str) -> ResourceKind:
    parts = address.split(".")
    if parts[0] == "client_group":
        return BY_NAME["client_group"]
    if len(parts) == 2:
        return BY_NAME["client"]
    return BY_NAME[parts[2]]
