"""What one refresh read from LeadExec, indexed for look-ups by remote ID."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ReadSet:
    """What a refresh reads: the client groups, these clients' accounts (which carry their
    methods), and these clients' field data."""

    groups: bool = False
    clients: frozenset[int] = frozenset()
    fields: frozenset[int] = frozenset()


@dataclass
class LiveView:
    groups: dict[int, dict[str, Any]] = field(default_factory=dict)
    clients: dict[int, dict[str, Any]] = field(default_factory=dict)
    client_fields: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    accounts: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # by ClientUID
    methods: dict[int, dict[str, Any]] = field(default_factory=dict)  # DeliveryDetails by ClientDeliveryUID
    # Whether `clients` is GetClientList's answer: a client missing from it is not in LeadExec
    # (a view of read-backs alone holds no list).
    clients_listed: bool = False

    def account(self, client_uid: int, account_uid: int) -> dict[str, Any] | None:
        for row in self.accounts.get(client_uid, []):
            if int(row.get("ClientAccountUID", 0)) == account_uid:
                return row
        return None

    def methods_of(self, client_uid: int) -> list[dict[str, Any]]:
        return [m for m in self.methods.values() if int(m.get("ClientUID", 0)) == client_uid]
