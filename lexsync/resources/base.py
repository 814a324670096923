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


@dataclass
class Context:
    """What a kind needs to translate between names and IDs during a run."""

    catalog: Catalog
    dialect: str
    hash_secret: Callable[[str], str]
    ids: dict[str, int] = field(default_factory=dict)  # address → remote ID, grows as creates land
    method_lead_types: dict[str, str] = field(default_factory=dict)  # method address → lead type name

    def address_of(self, prefix: str, remote_id: int) -> str | None:
        for address, known in self.ids.items():
            if known == remote_id and address.startswith(prefix):
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
