"""What every resource kind declares: identity, dependencies, and its wire mapping."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from lexsync.api.protocol import LeadExecWrites
from lexsync.config.models import Configuration
from lexsync.errors import ApiError
from lexsync.resources.catalog import Catalog
from lexsync.resources.live import IndexedDict, LiveView, ReadSet
from lexsync.resources.values import text
from lexsync.resources.wirefields import (
    UNKNOWN,
    Body,
    Cls,
    Source,
    WireField,
    WireTable,
    compose,
    declare_hint,
    merged,
    path_value,
    resolve,
    without_unknown,
)


class ResolutionError(LookupError):
    """A name in the YAML that LeadExec does not know; `path` locates it in the config."""

    def __init__(self, message: str, path: tuple[str | int, ...]) -> None:
        super().__init__(message)
        self.path = path


@dataclass(slots=True)
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


@dataclass(slots=True)
class Live:
    """One resource as LeadExec holds it."""

    remote_id: int
    wire: dict[str, Any]
    attrs: dict[str, Any]
    parent_id: int | None = None
    sub_ids: dict[str, int] = field(default_factory=dict)
    observable: bool = True  # False when LeadExec offers no read for it (a method no account uses)
    released: bool = False  # its answer was let go (a plan will not write it): `wire` is empty


class IdMap(IndexedDict[str, int]):
    """address → remote ID, with a reverse index so finding the address of an observed ID
    costs O(1) instead of a scan over every resource (a scan per object is quadratic). The
    reverse index is built when first asked for: a targeted plan of a large state may never
    ask (90,000 addresses set one at a time took ~0.1 s)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._index: dict[int, list[str]] | None = None

    @property
    def _by_id(self) -> dict[int, list[str]]:
        if self._index is None:
            index: dict[int, list[str]] = {}
            for address, remote_id in self.items():
                index.setdefault(remote_id, []).append(address)
            self._index = index
        return self._index

    def __setitem__(self, address: str, remote_id: int) -> None:
        old = self.get(address)
        if old is not None:
            if old == remote_id:
                return  # unchanged, as for every resource found where state said
            if self._index is not None:
                self._index[old].remove(address)
        if self._index is not None:
            self._index.setdefault(remote_id, []).append(address)
        super().__setitem__(address, remote_id)

    def __delitem__(self, address: str) -> None:
        if self._index is not None:
            self._index[self[address]].remove(address)
        super().__delitem__(address)

    def pop(self, address: str, *default: Any) -> Any:
        if address in self and self._index is not None:
            self._index[self[address]].remove(address)
        return super().pop(address, *default)

    def clear(self) -> None:
        self._index = None
        super().clear()

    def popitem(self) -> tuple[str, int]:
        address, remote_id = super().popitem()
        if self._index is not None:
            self._index[remote_id].remove(address)
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


@dataclass(frozen=True)
class Target:
    """The object a body is written for, as converting attributes to wire values needs it."""

    ctx: Context
    client_key: str | None  # owning client's YAML key (methods, accounts)
    live: Live | None  # None for a create
    desired: Desired | None  # holds the plain secrets; None for a retirement
    remote_id: int  # 0 for a create
    parent_id: int | None  # the owning client's ID

    @property
    def sub_ids(self) -> dict[str, int]:
        return self.live.sub_ids if self.live is not None else {}


class UnknownValues(ApiError):
    """A body holds fields nothing knows: it is never sent (the plan refuses it first)."""


def unknown_message(address: str, kind_word: str, wire_field: WireField, readable: bool) -> str:
    """What the plan says about one field it cannot know, and how to make it known."""
    if wire_field.cls is Cls.WRITE_ONLY:
        why = f"LeadExec cannot show {wire_field.note or wire_field.key}"
    elif readable:
        why = f"state does not record {wire_field.key}"
    else:
        why = (f"LeadExec shows a {kind_word} only through the delivery accounts that use it, "
               f"and state does not record {wire_field.key}")
    name = wire_field.yaml or wire_field.key
    if wire_field.yaml is None:
        todo = "it has no YAML key: let a delivery account use this method so LeadExec shows it"
    else:
        todo = f"declare it{declare_hint(wire_field)} before lexsync writes this {kind_word}"
    return f"{address}: {name} is unknown ({why}); {todo}"


def _empty(value: Any) -> bool:
    """No text, no number, false, none: the defaults not worth a line of their own."""
    if value is None or value == UNKNOWN or isinstance(value, bool):
        return value is not True
    if isinstance(value, (int, float)):
        return value == 0
    return not value


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
    # --- the write body (docs/wire.md, "What lexsync sends") -----------------------------
    wire_tables: ClassVar[Mapping[str, WireTable]] = {}  # dialect → every field of its body
    whole: ClassVar[frozenset[str]] = frozenset()  # attributes the YAML owns whole, not key by key

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

    def build_body(self, desired: Desired, live: Live | None, ctx: Context,
                   previous: dict[str, Any]) -> dict[str, Any]:
        """The full write body (read-modify-write): each field from the YAML, the live read or
        state's last applied value, as `wire_tables` says; defaults only on create."""
        return self.compose_body(desired.attrs, live, ctx, previous, desired=desired,
                                 client_key=desired.client)

    def retire_body(self, live: Live, ctx: Context) -> dict[str, Any] | None:
        """The body that retires the object, or None when LeadExec cannot retire it: the live
        object (or, when LeadExec cannot show it, what state last recorded) with only its
        status changed."""
        return self.compose_body(self.retire_overlay(), live, ctx, without_unknown(live.attrs),
                                 desired=None, client_key=None)

    async def write(self, api: LeadExecWrites, body: dict[str, Any], parent_id: int | None) -> int:
        """Send the body; answer the remote ID. A body with a field nothing knows is refused."""
        unknown = getattr(body, "unknown", None)
        if unknown:
            keys = ", ".join(f.key for f in unknown)
            raise UnknownValues(self.call(getattr(body, "dialect", "") or "rest"),
                                f"not sent: lexsync does not know {keys} (the plan should have "
                                "refused this write; run lexsync plan)")
        return await self.send(api, body, parent_id)

    @abstractmethod
    async def send(self, api: LeadExecWrites, body: dict[str, Any], parent_id: int | None) -> int:
        """The one write call on `api`; answers the remote ID."""

    # --- the body from the table ---------------------------------------------------------
    def wire_table(self, dialect: str) -> WireTable:
        return self.wire_tables[dialect]

    def wire_value(self, wire_field: WireField, attrs: Mapping[str, Any], target: Target) -> Any:
        """One field's wire value, converted from normalised attributes (the YAML's, a
        retirement's or state's). Kinds convert the fields whose wire form differs."""
        return path_value(attrs, wire_field.attr or "")

    def live_for_write(self, wire: Wire) -> Mapping[str, Any]:
        """The read as a write can carry it back (kinds add what a write requires)."""
        return wire

    def identity_values(self, target: Target) -> dict[str, Any]:
        """The identity fields: the object's ID (0 to create) and its parent's."""
        return {}

    def retire_overlay(self) -> dict[str, Any]:
        """The attributes a retirement sets."""
        return {}

    def trusted_previous(self, previous: Mapping[str, Any]) -> Mapping[str, Any]:
        """State's last applied attributes, less what an older lexsync recorded without
        knowing it."""
        return previous

    def shape(self, values: dict[str, Any], dialect: str) -> dict[str, Any]:
        """The flat field values as the write call takes them (the client nests `Info`)."""
        return values

    def compose_body(self, managed: Mapping[str, Any], live: Live | None, ctx: Context,
                     previous: Mapping[str, Any], *, desired: Desired | None,
                     client_key: str | None) -> Body:
        table = self.wire_table(ctx.dialect)
        trusted = self._usable_previous(previous, ctx)
        readable = live is not None and live.observable
        if live is not None and live.released:
            raise ValueError(f"{self.kind} {live.remote_id}: its answer was let go; a write "
                             "needs it (never sent from what is not known)")
        resolution = resolve(table, managed=managed, live_readable=readable, previous=trusted,
                             creating=live is None)
        parent_id = live.parent_id if live is not None and live.parent_id else \
            (ctx.ids.get(f"client.{client_key}") if client_key else None)
        if client_key is None and parent_id and self.parent == "client":
            # A retirement names no client key: the client's, from its ID.
            assert isinstance(ctx.ids, IdMap)
            owners = [a for a in ctx.ids.addresses_of(parent_id) if a.count(".") == 1
                      and a.startswith("client.")]
            client_key = owners[0].split(".")[1] if owners else None
        target = Target(ctx, client_key, live, desired, live.remote_id if live else 0, parent_id)
        values = compose(
            table, resolution,
            yaml=lambda f: self.wire_value(f, managed, target),
            live=self.live_for_write(live.wire) if readable and live is not None else {},
            # Of a secret, state knows only that it is empty (see _usable_previous).
            state=lambda f: "" if f.secret else self.wire_value(f, trusted, target),
            identity=self.identity_values(target))
        return Body(self.shape(values, ctx.dialect), resolution, ctx.dialect)

    def unknown_fields(self, managed: Mapping[str, Any], live: Live | None, ctx: Context,
                       previous: Mapping[str, Any]) -> list[WireField]:
        """The fields a write of this object could not know (none for a create)."""
        if live is None:
            return []
        return resolve(self.wire_table(ctx.dialect), managed=managed, live_readable=live.observable,
                       previous=self._usable_previous(previous, ctx), creating=False).unknown

    def _usable_previous(self, previous: Mapping[str, Any], ctx: Context) -> Mapping[str, Any]:
        """State's last applied attributes as a write may use them: what an older lexsync
        recorded without knowing it left out, and a secret only when its hash is the empty
        text's (the one plain value a hash tells)."""
        trusted = self.trusted_previous(previous)
        secret_paths = [f.attr for f in self.wire_table(ctx.dialect).fields if f.secret and f.attr]
        empty = ctx.hash_secret("") if secret_paths else ""
        hidden = [path for path in secret_paths if path_value(trusted, path) not in (empty, UNKNOWN)]
        if not hidden:
            return trusted
        usable: dict[str, Any] = dict(trusted)
        for path in hidden:
            block, _, name = path.rpartition(".")
            if block:
                usable[block] = {k: v for k, v in usable[block].items() if k != name}
            else:
                usable.pop(name, None)
        return usable

    def unknown_messages(self, address: str, fields: list[WireField], live: Live | None) -> list[str]:
        """One message per YAML key to declare (the 18 Offer fields are one `offer`)."""
        seen: dict[str, str] = {}
        readable = live is None or live.observable
        word = self.kind.replace("_", " ").removeprefix("delivery ")
        for wire_field in fields:
            name = wire_field.yaml or wire_field.key
            if name not in seen:
                seen[name] = unknown_message(address, word, wire_field, readable)
        return list(seen.values())

    # --- what state records --------------------------------------------------------------
    def created_attrs(self, ctx: Context, client_key: str | None) -> dict[str, Any]:
        """The normalised attributes of a create's defaults (what an object the YAML says
        little about is created with). Worked out once per kind and run; the values a
        default computes (a create's date) afresh each time."""
        table = self.wire_table(ctx.dialect)
        known = ctx.catalog.memo("created_attrs")
        attrs = known.get((self.kind, ctx.dialect))
        if attrs is None:
            wire = {f.read_as: f.default for f in table.sent()
                    if f.default is not None and not callable(f.default)}
            attrs = known[(self.kind, ctx.dialect)] = without_unknown(
                self.observe(wire, ctx, self.created_write_only(ctx.dialect), client_key))
        fresh = {f.attr: f.default() for f in table.sent() if callable(f.default) and f.attr}
        # A copy: state's records must not share the remembered dicts.
        return {**{k: dict(v) if isinstance(v, dict) else list(v) if isinstance(v, list) else v
                   for k, v in attrs.items()}, **fresh}

    def create_defaults(self, desired: Desired, ctx: Context) -> dict[str, Any]:
        """What creating `desired` sends that its YAML does not say, by YAML key, as the plan
        shows it ("default on create"): each field with a YAML key that takes its create
        default, unless that default is empty (no text, 0, false, none)."""
        table = self.wire_table(ctx.dialect)
        resolution = resolve(table, managed=desired.attrs, live_readable=False, previous={},
                             creating=True)
        created = self.created_attrs(ctx, desired.client)
        out: dict[str, Any] = {}
        for wire_field in table.sent():
            key = wire_field.yaml
            if resolution.sources.get(wire_field.key) is not Source.DEFAULT or key is None \
                    or wire_field.secret or key in out or not wire_field.attr:
                continue
            # A field of a block the YAML declares whole (the offer) shows as that block.
            whole = wire_field.attr.startswith(key + ".")
            value = self.shown_default(key, path_value(created, key if whole else wire_field.attr))
            if not _empty(value):
                out[key] = value
        return out

    def shown_default(self, yaml_key: str, value: Any) -> Any:
        """A create default as the plan shows it (a kind spells a whole block its own way)."""
        return value

    def created_write_only(self, dialect: str) -> dict[str, Any]:
        """The write-only attributes a create sends by default, normalised (as state would
        hold them), for `observe` to show."""
        return {}

    def recorded(self, desired: Desired, live: Live | None, ctx: Context) -> dict[str, Any]:
        """What state records once `desired` is written over `live` (or created): the YAML's
        attributes, and for every other field the value the write carried (the live one, the
        last applied one, or the create default), so a later write and drift know it."""
        base = without_unknown(live.attrs) if live is not None else \
            self.created_attrs(ctx, desired.client)
        return merged(base, desired.attrs, self.whole)

    def unreported_attrs(self, dialect: str) -> set[str]:
        """Attribute paths drift does not compare with what state last saw: the write-only
        ones (their "live" value is state's) and what LeadExec keeps for itself (dates,
        counts)."""
        return {f.attr for f in self.wire_table(dialect).fields
                if f.attr and (f.cls is Cls.WRITE_ONLY or not f.reported)}

    @abstractmethod
    def find_live(self, view: LiveView, remote_id: int, ctx: Context, previous: Live | None,
                  client_key: str | None) -> Live | None:
        """The live object with this ID, or None when LeadExec does not show it."""

    @abstractmethod
    def live_candidates(self, view: LiveView, ctx: Context, client_key: str | None) -> list[Live]:
        """Every live object of this kind under the client, for matching by natural key."""

    def release(self, view: LiveView, live: Live) -> None:
        """Let go of the answer `live` was observed from, which a plan will not write: the
        view and `live` keep no more of it than other objects need (`wire` is emptied)."""
        live.wire, live.released = {}, True

    def reads(self, remote_id: int, parent_id: int | None) -> ReadSet:
        """What a refresh must read for `find_live` to show the object with this ID."""
        return ReadSet(clients=frozenset({parent_id}) if parent_id else frozenset())

    def import_label(self, live: Live) -> str:
        """The text a new YAML key is made from on import."""
        return text(live.attrs.get(self.natural_attr))

    def import_notes(self, ctx: Context, imported: int) -> list[str]:
        """What import cannot carry over for this kind, told once per import."""
        return []

    def unknown_placeholders(self, attrs: Mapping[str, Any], ctx: Context) -> list[tuple[str, str]]:
        """(YAML key, how to declare it) for each write-only value `attrs` does not know, for
        the commented placeholders import writes."""
        return []

    def is_retired(self, live: Live) -> bool:
        return False

    def create_problems(self, desired: Desired) -> list[str]:
        """What LeadExec would refuse when creating this object, known before any call."""
        return []

    def retire_wording(self) -> str:
        return "retired (status Closed)"
