"""The plan: inert data describing exactly which calls apply will make, in order."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lexsync.engine.settled import SettledValues

SENSITIVE = "(sensitive)"


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    RETIRE = "retire"
    NOOP = "no-op"

    @property
    def symbol(self) -> str:
        return {"create": "+", "update": "~", "retire": "-", "no-op": " "}[self.value]


@dataclass(slots=True)
class AttributeChange:
    """One attribute's old and new value. Sensitive values are never held here, only SENSITIVE."""

    path: str
    before: Any
    after: Any
    sensitive: bool = False


class ResourceChange:
    """One resource's change. A settled one (its step's values packed: engine/settled.py)
    builds `before` and `after` again when they are read."""

    __slots__ = ("address", "kind", "action", "call", "_before", "_after", "changes",
                 "depends_on", "reason", "remote_id", "defaults", "_settled")

    def __init__(self, address: str, kind: str, action: Action, call: str,
                 before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
                 changes: list[AttributeChange] | None = None,
                 depends_on: list[str] | None = None, reason: str | None = None,
                 remote_id: int | None = None, defaults: dict[str, Any] | None = None) -> None:
        self.address = address
        self.kind = kind  # client_group | client | delivery_method | delivery_account
        self.action = action
        # The one write call this change makes, e.g. "PUT /v1/delivery/{ClientUID}/accounts".
        self.call = call
        self._before = before  # normalised live attributes, secrets masked
        self._after = after  # normalised desired attributes, secrets masked
        self.changes: list[AttributeChange] = [] if changes is None else changes
        self.depends_on: list[str] = [] if depends_on is None else depends_on
        self.reason = reason  # why, when not obvious: "removed from configuration"
        self.remote_id = remote_id
        # A create's defaults: what it sends that the YAML does not say, by YAML key.
        self.defaults: dict[str, Any] = {} if defaults is None else defaults
        self._settled: SettledValues | None = None

    @property
    def before(self) -> dict[str, Any] | None:
        return self._before if self._settled is None else self._settled.unpacked().before

    @before.setter
    def before(self, value: dict[str, Any] | None) -> None:
        self._unsettle()
        self._before = value

    @property
    def after(self) -> dict[str, Any] | None:
        return self._after if self._settled is None else self._settled.unpacked().after

    @after.setter
    def after(self, value: dict[str, Any] | None) -> None:
        self._unsettle()
        self._after = value

    def settle(self, settled: SettledValues) -> None:
        """Read `before` and `after` from the step's packed values from now on."""
        self._settled, self._before, self._after = settled, None, None

    def _unsettle(self) -> None:
        if self._settled is not None:
            values = self._settled.unpacked()
            self._settled, self._before, self._after = None, values.before, values.after

    def _fields(self) -> tuple[Any, ...]:
        return (self.address, self.kind, self.action, self.call, self.before, self.after,
                self.changes, self.depends_on, self.reason, self.remote_id, self.defaults)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ResourceChange):
            return NotImplemented
        return self._fields() == other._fields()

    __hash__ = None  # type: ignore[assignment]  # mutable, as the dataclass it was

    def __repr__(self) -> str:
        return (f"ResourceChange(address={self.address!r}, kind={self.kind!r}, "
                f"action={self.action!r}, call={self.call!r}, before={self.before!r}, "
                f"after={self.after!r}, changes={self.changes!r}, "
                f"depends_on={self.depends_on!r}, reason={self.reason!r}, "
                f"remote_id={self.remote_id!r}, defaults={self.defaults!r})")

    def to_dict(self) -> dict[str, Any]:
        """For serialising at once: `before` and `after` are shared, not copied (`asdict`'s
        deep copy took seconds for a plan of thousands of resources)."""
        return {
            "address": self.address, "kind": self.kind, "action": self.action.value,
            "call": self.call, "before": self.before, "after": self.after,
            "changes": [{"path": c.path, "before": c.before, "after": c.after,
                         "sensitive": c.sensitive} for c in self.changes],
            "depends_on": list(self.depends_on), "reason": self.reason,
            "remote_id": self.remote_id,
            **({"defaults": self.defaults} if self.defaults else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ResourceChange:
        data = dict(data)
        data["action"] = Action(data["action"])
        data["changes"] = [AttributeChange(**c) for c in data.get("changes", [])]
        return cls(**data)


@dataclass(slots=True)
class Resolution:
    """One way to settle an unsettled create: the command, and when it is the right one."""

    when: str  # "LeadExec has 'acme-post'"
    command: str  # "lexsync state resolve client.acme.delivery_method.acme-post --id ID"


@dataclass(slots=True)
class Unsettled:
    """A create an earlier run sent whose answer was lost, which only a person can settle:
    apply will not send it again, nor what depends on it, until `lexsync state resolve`."""

    address: str
    kind: str
    reason: str
    resolve: list[Resolution]

    def to_dict(self) -> dict[str, Any]:
        return {"address": self.address, "kind": self.kind, "reason": self.reason,
                "resolve": [{"when": r.when, "command": r.command} for r in self.resolve]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Unsettled:
        return cls(data["address"], data["kind"], data["reason"],
                   [Resolution(r["when"], r["command"]) for r in data["resolve"]])


# 2: the live and desired digests are digests of each value's digest (planner.Digests).
PLAN_FORMAT = 2


@dataclass
class Plan:
    """Ordered changes plus what the plan was made from, so a saved plan can detect staleness."""

    changes: list[ResourceChange]
    dialect: str
    state_lineage: str
    state_serial: int
    live_digest: str  # digest of every live value the plan read
    desired_digest: str  # digest of the desired values (secrets as salted hashes)
    unobservable: list[str] = field(default_factory=list)  # notes on values LeadExec cannot read back
    state_digest: str = ""  # digest of the state's content (StateDocument.content_digest)
    # LeadExec behaviour, measured where the seed texts are silent, that the writes rely on.
    relies_on: list[str] = field(default_factory=list)
    # Lost creates a person must settle before apply can finish (`lexsync state resolve`).
    unsettled: list[Unsettled] = field(default_factory=list)
    # How a saved plan was written: 1 by a lexsync whose digests were computed otherwise.
    format_version: int = PLAN_FORMAT

    @property
    def actionable(self) -> list[ResourceChange]:
        return [c for c in self.changes if c.action is not Action.NOOP]

    def counts(self) -> dict[str, int]:
        counts = {a.value: 0 for a in Action}
        for change in self.changes:
            counts[change.action.value] += 1
        return counts

    @property
    def has_changes(self) -> bool:
        return bool(self.actionable)

    @property
    def needs_attention(self) -> bool:
        """Something to do or to settle: `plan --detailed-exitcode` exits 2, never "No changes"."""
        return self.has_changes or bool(self.unsettled)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": PLAN_FORMAT,
            "dialect": self.dialect,
            "state_lineage": self.state_lineage,
            "state_serial": self.state_serial,
            "live_digest": self.live_digest,
            "desired_digest": self.desired_digest,
            "state_digest": self.state_digest,
            "unobservable": list(self.unobservable),
            **({"relies_on": list(self.relies_on)} if self.relies_on else {}),
            **({"unsettled": [u.to_dict() for u in self.unsettled]} if self.unsettled else {}),
            "changes": [c.to_dict() for c in self.changes],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        return cls(
            changes=[ResourceChange.from_dict(c) for c in data["changes"]],
            dialect=data["dialect"],
            state_lineage=data["state_lineage"],
            state_serial=data["state_serial"],
            live_digest=data["live_digest"],
            desired_digest=data["desired_digest"],
            unobservable=list(data.get("unobservable", [])),
            state_digest=data.get("state_digest", ""),
            relies_on=list(data.get("relies_on", [])),
            unsettled=[Unsettled.from_dict(u) for u in data.get("unsettled", [])],
            format_version=int(data.get("format_version", 1)),
        )

