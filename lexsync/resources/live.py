"""What one refresh read from LeadExec, indexed for look-ups by remote ID."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class ReadSet:
    """What a refresh reads: the client groups, these clients' accounts (which carry their
    methods), and these clients' field data."""

    groups: bool = False
    clients: frozenset[int] = frozenset()
    fields: frozenset[int] = frozenset()


class IndexedDict(dict[K, V]):
    """A dict that keeps an index beside it (a subclass's), so every change goes through the
    methods it overrides: `setdefault` and `update` set each item through `__setitem__`,
    where dict's own would pass it by."""

    def setdefault(self, key: K, value: V) -> V:
        if key not in self:
            self[key] = value
        return self[key]

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value


class Methods(IndexedDict[int, dict[str, Any]]):
    """DeliveryDetails by ClientDeliveryUID, with each client's kept beside them: finding a
    client's methods by scanning every method was quadratic (an import of 10,000 buyers spent
    ~30 s there). The index follows every change made through the dict's methods."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        self._by_client: dict[int, dict[int, None]] = {}  # ClientUID -> its methods' UIDs, in order
        self.update(*args, **kwargs)

    @staticmethod
    def _client(details: dict[str, Any]) -> int:
        return int(details.get("ClientUID", 0))

    def of_client(self, client_uid: int) -> list[dict[str, Any]]:
        return [self[uid] for uid in self._by_client.get(client_uid, ())]

    def __setitem__(self, uid: int, details: dict[str, Any]) -> None:
        client = self._client(details)
        moved = uid in self and self._client(self[uid]) != client
        if moved:
            self._forget(uid)
        super().__setitem__(uid, details)  # (one set again keeps its place in the dict)
        if moved:  # it keeps that place among its new client's too (never seen in LeadExec)
            self._by_client[client] = {u: None for u, d in self.items() if self._client(d) == client}
        else:
            self._by_client.setdefault(client, {})[uid] = None

    def __delitem__(self, uid: int) -> None:
        self._forget(uid)
        super().__delitem__(uid)

    def _forget(self, uid: int) -> None:
        client = self._client(self[uid])
        uids = self._by_client[client]
        del uids[uid]
        if not uids:
            del self._by_client[client]

    def pop(self, uid: int, *default: Any) -> Any:
        if uid in self:
            self._forget(uid)
        return super().pop(uid, *default)

    def popitem(self) -> tuple[int, dict[str, Any]]:
        uid, details = super().popitem()
        self._by_client[self._client(details)].pop(uid)
        return uid, details

    def clear(self) -> None:
        self._by_client.clear()
        super().clear()


@dataclass
class LiveView:
    groups: dict[int, dict[str, Any]] = field(default_factory=dict)
    clients: dict[int, dict[str, Any]] = field(default_factory=dict)
    client_fields: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    accounts: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # by ClientUID
    methods: dict[int, dict[str, Any]] = field(default_factory=Methods)  # DeliveryDetails by ClientDeliveryUID
    # Whether `clients` is GetClientList's answer: a client missing from it is not in LeadExec
    # (a view of read-backs alone holds no list).
    clients_listed: bool = False

    def account(self, client_uid: int, account_uid: int) -> dict[str, Any] | None:
        for row in self.accounts.get(client_uid, []):
            if int(row.get("ClientAccountUID", 0)) == account_uid:
                return row
        return None

    def __setattr__(self, name: str, value: Any) -> None:
        # `view.methods = {...}` keeps the index too.
        if name == "methods" and not isinstance(value, Methods):
            value = Methods(value)
        super().__setattr__(name, value)

    def methods_of(self, client_uid: int) -> list[dict[str, Any]]:
        assert isinstance(self.methods, Methods)
        return self.methods.of_client(client_uid)
