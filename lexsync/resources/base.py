"""What every resource kind declares: identity, dependencies, and its wire mapping."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from lexsync.resources.catalog import Catalog
from lexsync.resources.live import LiveView


class ResolutionError(LookupError):
    """A name in the YAML that LeadExec does not know; `path` locates it in the config."""

    def __init__(self, message: str, path: tuple[str | int, ...]) -> None:
        super().__init__(message)
        self.path = path


@dataclass
class Desired:
    """One resource as the YAML wants it."""

    address: str
    kind: str
    name: str
    attrs: dict[str, Any]  # normalised; secrets as salted hashes
    secrets: dict[str, str] = field(default_factory=dict)  # attribute path → plain value, for writes only
    client: str | None = None  # owning client's key, for methods and accounts
    config_path: tuple[str | int, ...] = ()
    depends_on: list[str] = field(default_factory=list)
    model: Any = None


@dataclass
class Live:
    """One resource as LeadExec holds it."""

    remote_id: int
    wire: dict[str, Any]
    attrs: dict[str, Any]
    parent_id: int | None = None
    sub_ids: dict[str, int] = field(default_factory=dict)
    observable: bool = True  # False when LeadExec offers no read for it (a method no account uses)


class IdMap(dict[str, int]):
    """address → remote ID, with a reverse index so finding the address of an observed ID
    costs O(1) instead of a scan over every resource (a scan per object is quadratic)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        self._by_id: dict[int, list[str]] = {}
        self.update(*args, **kwargs)

    def __setitem__(self, address: str, remote_id: int) -> None:
        old = self.get(address)
        if old is not None:
            if old == remote_id:
                return  # unchanged, as for every resource found where state said
            self._by_id[old].remove(address)
        if old != remote_id or address not in self:
            self._by_id.setdefault(remote_id, []).append(address)
        super().__setitem__(address, remote_id)

    def __delitem__(self, address: str) -> None:
        self._by_id[self[address]].remove(address)
        super().__delitem__(address)

    def pop(self, address: str, *default: Any) -> Any:
        if address in self:
            self._by_id[self[address]].remove(address)
        return super().pop(address, *default)

    def setdefault(self, address: str, remote_id: int) -> int:  # type: ignore[override]
        if address not in self:
            self[address] = remote_id
        return self[address]

    def update(self, *args: Any, **kwargs: Any) -> None:
        for address, remote_id in dict(*args, **kwargs).items():
            self[address] = remote_id

    def clear(self) -> None:
        self._by_id.clear()
        super().clear()

    def popitem(self) -> tuple[str, int]:
        address, remote_id = super().popitem()
        self._by_id[remote_id].remove(address)
        return address, remote_id

    def addresses_of(self, remote_id: int) -> list[str]:
        return self._by_id.get(remote_id, [])


@dataclass
class Context:
    """What a kind needs to translate between names and IDs during a run."""

    catalog: Catalog
    dialect: str
    hash_secret: Callable[[str], str]
    ids: dict[str, int] = field(default_factory=IdMap)  # address → remote ID, grows as creates land
    method_lead_types: dict[str, str] = field(default_factory=dict)  # method address → lead type name

    def __setattr__(self, name: str, value: Any) -> None:
        # `ctx.ids = {...}` keeps the reverse index.
        if name == "ids" and not isinstance(value, IdMap):
            value = IdMap(value)
        super().__setattr__(name, value)

    def address_of(self, prefix: str, remote_id: int) -> str | None:
        assert isinstance(self.ids, IdMap)
        for address in self.ids.addresses_of(remote_id):
            if address.startswith(prefix):
                return address
        return None


class ResourceKind(ABC):
    """A registry entry. Adding a resource type means adding one subclass in its own module."""

    kind: ClassVar[str]
    level: ClassVar[int]  # dependency level: creates run top-down, retirements bottom-up
    always_managed: ClassVar[frozenset[str]] = frozenset()
    sensitive: ClassVar[frozenset[str]] = frozenset()  # attribute paths holding secret hashes

    @abstractmethod
    def call(self, dialect: str) -> str:
        """The write call, as the plan prints it."""

    @abstractmethod
    def natural_key(self, attrs: dict[str, Any]) -> str:
        """The key that identifies the object among its siblings, for adoption and lost answers."""

    @abstractmethod
    def build_body(self, desired: Desired, live: Live | None, ctx: Context, previous: dict[str, Any]) -> dict[str, Any]:
        """The full write body: the live object with the managed attributes changed."""

    @abstractmethod
    def retire_body(self, live: Live, ctx: Context) -> dict[str, Any] | None:
        """The body that retires the object, or None when LeadExec cannot retire it."""

    @abstractmethod
    async def write(self, api: Any, body: dict[str, Any], parent_id: int | None) -> int:
        """Send the body; answer the remote ID."""

    @abstractmethod
    def find_live(self, view: LiveView, remote_id: int, ctx: Context, previous: Live | None,
                  client_key: str | None) -> Live | None:
        """The live object with this ID, or None when LeadExec does not show it."""

    @abstractmethod
    def live_candidates(self, view: LiveView, ctx: Context, client_key: str | None) -> list[Live]:
        """Every live object of this kind under the client, for matching by natural key."""

    def is_retired(self, live: Live) -> bool:
        return False

    def create_problems(self, desired: Desired) -> list[str]:
        """What LeadExec would refuse when creating this object, known before any call."""
        return []

    def retire_wording(self) -> str:
        return "retired (status Closed)"
