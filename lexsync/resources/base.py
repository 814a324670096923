"""What every resource kind declares: identity, dependencies, and its wire mapping."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import BaseModel

from lexsync.api.protocol import LeadExecWrites
from lexsync.config.models import Configuration
from lexsync.resources.catalog import Catalog
from lexsync.resources.live import LiveView, ReadSet
from lexsync.resources.values import text


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
    model: BaseModel | None = None  # the configuration's model of it


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

    def setdefault(self, address: str, remote_id: int) -> int:
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
    hash_secret: Callable[[str], object]  # state's SecretHash: compares, and is stored, as a hash
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


@dataclass(frozen=True)
class WireSecret:
    """A secret attribute: where its plain value is on the wire, and what it is, for people."""

    wire_key: str
    what: str


Wire = dict[str, Any]  # one object as LeadExec's reads answer it, keyed by wire names


class ResourceKind(ABC):
    """One resource kind: its identity, its dependencies and its wire mapping, in one module.

    Adding a kind means one subclass in its own module and one line in `registry.KINDS`.
    """

    # --- identity ------------------------------------------------------------------------
    kind: ClassVar[str]  # the word in its address: client_group.NAME, client.C.delivery_method.NAME
    section: ClassVar[str]  # its mapping in the YAML: client_groups, delivery_methods, ...
    natural_attr: ClassVar[str]  # the attribute that tells it from its siblings (adoption, lost answers)
    # --- dependencies --------------------------------------------------------------------
    level: ClassVar[int]  # creates run top-down by level, retirements bottom-up
    shown_alone: ClassVar[bool] = True  # False when LeadExec shows it only through other objects
    parent: ClassVar[str | None] = None  # the kind it lives under: address and YAML nest there
    references: ClassVar[Mapping[str, str]] = {}  # attribute → the kind whose YAML key it holds
    # --- attributes ----------------------------------------------------------------------
    always_managed: ClassVar[frozenset[str]] = frozenset()
    secrets: ClassVar[Mapping[str, WireSecret]] = {}  # attribute path → where the plain value is
    sensitive: ClassVar[frozenset[str]] = frozenset()  # attribute paths holding secret hashes
    # --- import --------------------------------------------------------------------------
    key_is_name: ClassVar[bool] = False  # its YAML key is its name in LeadExec (not chosen)
    one_per_natural_key: ClassVar[bool] = False  # import leaves out a sibling with the same key
    yaml_defaults: ClassVar[Mapping[str, Any]] = {}  # YAML keys `to_yaml` omits at these values
    yaml_kept: ClassVar[frozenset[str]] = frozenset()  # YAML keys import never removes

    def address(self, key: str, parent_address: str | None = None) -> str:
        own = f"{self.kind}.{key}"
        return f"{parent_address}.{own}" if parent_address else own

    def natural_key(self, attrs: Mapping[str, Any]) -> str:
        """The key that identifies the object among its siblings, for adoption and lost answers."""
        return text(attrs.get(self.natural_attr)).lower()

    # --- the YAML side -------------------------------------------------------------------
    @abstractmethod
    def expand(self, config: Configuration, ctx: Context) -> list[Desired]:
        """Every resource of this kind the configuration holds, normalised."""

    @abstractmethod
    def to_yaml(self, key: str, attrs: Mapping[str, Any], ctx: Context,
                secret_refs: Mapping[str, str]) -> dict[str, Any]:
        """`expand`'s inverse: normalised attributes → the mapping a person writes under `key`
        (defaults left out, children not included). `secret_refs` holds the `${env:...}`
        reference to write for each secret attribute path."""

    # --- the wire side -------------------------------------------------------------------
    @abstractmethod
    def observe(self, wire: Wire, ctx: Context, previous: Mapping[str, Any] | None = None,
                client_key: str | None = None) -> dict[str, Any]:
        """A live wire object → the normalised attributes `expand` makes. `previous` holds the
        last applied attributes (for what the reads cannot show), `client_key` the owning
        client's YAML key."""

    @abstractmethod
    def call(self, dialect: str) -> str:
        """The write call, as the plan prints it."""

    @abstractmethod
    def build_body(self, desired: Desired, live: Live | None, ctx: Context,
                   previous: dict[str, Any]) -> dict[str, Any]:
        """The full write body: the live object with the managed attributes changed."""

    @abstractmethod
    def retire_body(self, live: Live, ctx: Context) -> dict[str, Any] | None:
        """The body that retires the object, or None when LeadExec cannot retire it."""

    @abstractmethod
    async def write(self, api: LeadExecWrites, body: dict[str, Any], parent_id: int | None) -> int:
        """Send the body; answer the remote ID."""

    @abstractmethod
    def find_live(self, view: LiveView, remote_id: int, ctx: Context, previous: Live | None,
                  client_key: str | None) -> Live | None:
        """The live object with this ID, or None when LeadExec does not show it."""

    @abstractmethod
    def live_candidates(self, view: LiveView, ctx: Context, client_key: str | None) -> list[Live]:
        """Every live object of this kind under the client, for matching by natural key."""

    def reads(self, remote_id: int, parent_id: int | None) -> ReadSet:
        """What a refresh must read for `find_live` to show the object with this ID."""
        return ReadSet(clients=frozenset({parent_id}) if parent_id else frozenset())

    def import_label(self, live: Live) -> str:
        """The text a new YAML key is made from on import."""
        return text(live.attrs.get(self.natural_attr))

    def import_notes(self, ctx: Context, imported: int) -> list[str]:
        """What import cannot carry over for this kind, told once per import."""
        return []

    def is_retired(self, live: Live) -> bool:
        return False

    def create_problems(self, desired: Desired) -> list[str]:
        """What LeadExec would refuse when creating this object, known before any call."""
        return []

    def retire_wording(self) -> str:
        return "retired (status Closed)"
