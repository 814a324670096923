"""The plan: inert data describing exactly which calls apply will make, in order."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

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


@dataclass(slots=True)
class ResourceChange:
    address: str
    kind: str  # client_group | client | delivery_method | delivery_account
    action: Action
    call: str  # the one write call this change makes, e.g. "PUT /v1/delivery/{ClientUID}/accounts"
    before: dict[str, Any] | None = None  # normalised live attributes, secrets masked
    after: dict[str, Any] | None = None  # normalised desired attributes, secrets masked
    changes: list[AttributeChange] = field(default_factory=list)
    depends_on: list[str] = field(default_factory=list)
    reason: str | None = None  # why, when not obvious: "removed from configuration"
    remote_id: int | None = None
    # A create's defaults: what it sends that the YAML does not say, by YAML key.
    defaults: dict[str, Any] = field(default_factory=dict)

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

