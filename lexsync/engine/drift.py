"""Drift: a plan read as a report. Per attribute: the YAML value, the live value, and where the
difference came from, judged against the last applied values in state."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from lexsync.engine.diff import _equal, flatten
from lexsync.engine.plan import SENSITIVE, Action
from lexsync.engine.planner import PlanBundle
from lexsync.engine.unmanaged import UnmanagedChange, unknown_writes, unmanaged_changes
from lexsync.resources.client import status_name
from lexsync.resources.delivery_account import STATUS_NAMES
from lexsync.resources.live import LiveView
from lexsync.resources.registry import kind_name
from lexsync.state.document import StateDocument

OUTSIDE = "outside"  # LeadExec changed since the last apply
UNAPPLIED = "unapplied"  # the YAML changed since the last apply
BOTH = "both"
ORIGIN_WORDS = {OUTSIDE: "changed outside lexsync", UNAPPLIED: "YAML change not applied",
                BOTH: "changed in LeadExec and in YAML"}


@dataclass
class AttributeDrift:
    path: str
    yaml: Any
    live: Any
    applied: Any
    origin: str  # OUTSIDE | UNAPPLIED | BOTH


@dataclass
class ResourceDrift:
    address: str
    kind: str
    action: str  # the plan's action: create | update | retire
    summary: str  # one line: why this resource is listed
    origin: str
    remote_id: int | None = None
    attributes: list[AttributeDrift] = field(default_factory=list)


@dataclass
class Unmanaged:
    """A live object neither the YAML nor state knows; listed, never acted on."""

    kind: str
    remote_id: int
    name: str
    client: str | None = None  # owning client's username
    status: str | None = None


# The status a retirement leaves: such an object receives no leads, whoever closed it.
RETIRED_STATUSES = frozenset({"Closed", "disabled"})


@dataclass
class DriftReport:
    resources: list[ResourceDrift] = field(default_factory=list)
    unmanaged: list[Unmanaged] = field(default_factory=list)
    # Closed or disabled objects neither the YAML nor state knows: what lexsync retired (state
    # forgets a resource once it is retired), or what someone closed by hand.
    retired: list[Unmanaged] = field(default_factory=list)
    unmanaged_changes: list[UnmanagedChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checked: int = 0

    @property
    def has_drift(self) -> bool:
        return bool(self.resources)

    def attribute_count(self) -> int:
        return sum(max(1, len(r.attributes)) for r in self.resources)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": 1,
            "drift": self.has_drift,
            "checked_resources": self.checked,
            "resources": [asdict(r) for r in self.resources],
            "unmanaged": [asdict(u) for u in self.unmanaged],
            "retired": [asdict(u) for u in self.retired],
            "unmanaged_changes": [asdict(u) for u in self.unmanaged_changes],
            "notes": list(self.notes),
        }


def _origin(outside: bool, unapplied: bool) -> str:
    if outside and unapplied:
        return BOTH
    return OUTSIDE if outside else UNAPPLIED


def drift_report(bundle: PlanBundle, state: StateDocument, view: LiveView | None,
                 targets: tuple[str, ...] = ()) -> DriftReport:
    """With `targets`, what is under them: LeadExec's objects outside them are not read, so
    neither they nor clients nothing claims are listed (the report's notes say so)."""
    report = DriftReport(notes=list(bundle.plan.unobservable), checked=len(bundle.steps))
    if targets:
        report.notes.append(f"checked only {', '.join(targets)}: other clients are not read, so "
                            "clients nothing manages are not listed; the methods and accounts "
                            "nothing manages are those of the clients the targets name")
    report.notes += [f"apply would refuse: {problem.summary}"
                     for problem in unknown_writes(bundle.steps, bundle.ctx)]
    for step in bundle.steps:
        report.unmanaged_changes += unmanaged_changes(step, bundle.ctx.dialect)
    for step in bundle.steps:
        change = step.change
        if change.action is Action.NOOP:
            continue
        record = step.previous
        if change.action is Action.RETIRE:
            report.resources.append(ResourceDrift(
                change.address, change.kind, change.action.value,
                "removed from the YAML, still in LeadExec (apply retires it)"
                if step.live is not None else "removed from the YAML (apply only forgets it)",
                UNAPPLIED, change.remote_id))
            continue
        if change.action is Action.CREATE:
            gone = record is not None
            report.resources.append(ResourceDrift(
                change.address, change.kind, change.action.value,
                "deleted outside lexsync: recorded in state, not found in LeadExec" if gone
                else "in the YAML, not yet created in LeadExec",
                OUTSIDE if gone else UNAPPLIED, change.remote_id))
            continue
        applied = flatten(record.attributes) if record else {}
        live_raw = flatten(step.live.attrs) if step.live else {}
        want_raw = flatten(step.desired.attrs) if step.desired else {}
        items = []
        for attr in change.changes:
            if record is None:  # adopted by natural key: nothing was ever applied
                origin = UNAPPLIED
            else:
                last = applied.get(attr.path)
                origin = _origin(not _equal(live_raw.get(attr.path), last),
                                 not _equal(want_raw.get(attr.path), last))
            shown_applied = SENSITIVE if attr.sensitive and applied.get(attr.path) is not None \
                else applied.get(attr.path)
            items.append(AttributeDrift(attr.path, attr.after, attr.before, shown_applied, origin))
        origins = {i.origin for i in items}
        overall = origins.pop() if len(origins) == 1 else BOTH
        report.resources.append(ResourceDrift(
            change.address, change.kind, change.action.value,
            f"{len(items)} attribute(s) differ", overall, change.remote_id, items))
    if view is not None:
        for item in unmanaged_objects(state, view, bundle, list_clients=not targets):
            (report.retired if item.status in RETIRED_STATUSES else report.unmanaged).append(item)
    return report


def unmanaged_objects(state: StateDocument, view: LiveView, bundle: PlanBundle,
                      list_clients: bool = True) -> list[Unmanaged]:
    """Clients (unless not `list_clients`), methods and accounts LeadExec shows that neither
    state nor this plan claims."""
    claimed: dict[str, set[int]] = {"client": set(), "delivery_method": set(), "delivery_account": set()}
    for address, remote_id in state.resources.remote_ids().items():  # builds no record
        claimed.setdefault(kind_name(address), set()).add(remote_id)
    for step in bundle.steps:
        if step.live is not None:
            claimed.setdefault(step.kind.kind, set()).add(step.live.remote_id)
    out: list[Unmanaged] = []
    for uid, row in sorted(view.clients.items()):
        if list_clients and uid not in claimed["client"]:
            out.append(Unmanaged("client", uid, str(row.get("Username") or ""), None, _client_status(row)))
    usernames = {uid: str(row.get("Username") or "") for uid, row in view.clients.items()}
    for uid, wire in sorted(view.methods.items()):
        if uid not in claimed["delivery_method"]:
            owner = int(wire.get("ClientUID") or 0)
            out.append(Unmanaged("delivery_method", uid, str(wire.get("Name") or ""), usernames.get(owner),
                                 "enabled" if wire.get("Status") else "disabled"))
    for client_uid, rows in sorted(view.accounts.items()):
        for row in rows:
            uid = int(row.get("ClientAccountUID") or 0)
            if uid not in claimed["delivery_account"]:
                out.append(Unmanaged("delivery_account", uid, str(row.get("Description") or ""),
                                     usernames.get(client_uid), _account_status(row)))
    return out


def _client_status(row: dict[str, Any]) -> str:
    return status_name(row.get("Status"))


def _account_status(row: dict[str, Any]) -> str:
    value = int(row.get("Status") or 0)
    return STATUS_NAMES.get(value, f"#{value}")
