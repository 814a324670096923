"""What `lexsync state list|show|rm|mv` do to a state document (the CLI loads and saves it)."""

from __future__ import annotations

import difflib
import json
from dataclasses import replace
from typing import Any

from lexsync.errors import StateError
from lexsync.state import secret_hash
from lexsync.state.backend import StateBackend
from lexsync.state.document import ResourceState, StateDocument

_PARENTED_KINDS = ("delivery_method", "delivery_account")


def kind_of(address: str) -> str:
    """The resource kind an address names, e.g. "client.acme.delivery_method.post" -> delivery_method."""
    parts = address.split(".")
    if len(parts) == 2 and parts[0] in ("client_group", "client") and parts[1]:
        return parts[0]
    if len(parts) == 4 and parts[0] == "client" and parts[2] in _PARENTED_KINDS and all(parts):
        return parts[2]
    raise StateError(
        f"{address!r} is not a resource address; expected client_group.NAME, client.NAME, "
        "client.NAME.delivery_method.NAME or client.NAME.delivery_account.NAME"
    )


def list_addresses(doc: StateDocument, prefix: str | None = None) -> list[str]:
    """Addresses in state, sorted; with `prefix`, only that address and those under it."""
    return sorted(a for a in doc.resources if prefix is None or _is_under(a, prefix))


def show(doc: StateDocument, address: str) -> dict[str, Any]:
    """The resource as state stores it (secrets as their hashes)."""
    return json.loads(json.dumps(_get(doc, address).to_dict(), default=secret_hash.to_json))


def remove(doc: StateDocument, *addresses: str) -> list[str]:
    """Forget each address and everything under it (LeadExec is not touched); returns what
    went, sorted. Every address is checked before anything goes: one that state does not hold
    removes nothing."""
    for address in addresses:
        _get(doc, address)
    removed = sorted({a for address in addresses for a in list_addresses(doc, address)})
    for addr in removed:
        del doc.resources[addr]
    return removed


def move(doc: StateDocument, src: str, dst: str) -> list[str]:
    """Rename `src` and everything under it to `dst`; returns "old -> new" for each address."""
    resource = _get(doc, src)
    if kind_of(dst) != resource.kind:
        raise StateError(f"cannot move {src} ({resource.kind}) to {dst} ({kind_of(dst)})")
    if resource.kind in _PARENTED_KINDS and _client_of(src) != _client_of(dst):
        # LeadExec ties methods and accounts to their ClientUID; moving one in state would lie.
        raise StateError(f"cannot move {src} to another client ({_client_of(dst)})")
    renames = {old: dst + old[len(src):] for old in list_addresses(doc, src)}
    taken = sorted(new for new in renames.values() if new in doc.resources)
    if taken:
        raise StateError(f"cannot move {src} to {dst}: {', '.join(taken)} already exists in state")
    moved = {new: replace(doc.resources.pop(old), address=new) for old, new in renames.items()}
    doc.resources.update(moved)
    # Keep dependency edges pointing at the renamed resources: only the records that name one
    # are built (a 10,000-buyer state holds ~90,000).
    for address in doc.resources.naming(renames):
        res = doc.resources[address]
        if any(dep in renames for dep in res.depends_on):
            res.depends_on = [renames.get(dep, dep) for dep in res.depends_on]
    return [f"{old} -> {new}" for old, new in sorted(renames.items())]


def require_existing(backend: StateBackend) -> StateBackend:
    """`backend`, if its state exists; else a StateError naming where it was looked for."""
    from lexsync.state.factory import describe, state_exists

    if not state_exists(backend):
        where = describe(backend)
        what = "no such state file" if getattr(backend, "path", None) else "no state"
        raise StateError(f"{what}: {where} (nothing has been applied or imported with it yet; "
                         "pass --state FILE or -c for the configuration whose state you mean)")
    return backend


def _get(doc: StateDocument, address: str) -> ResourceState:
    try:
        return doc.resources[address]
    except KeyError:
        hint = _close_match(address, list(doc.resources))
        suggestion = f"; did you mean {hint}?" if hint else ""
        raise StateError(f"no resource {address} in state{suggestion}") from None


def _close_match(address: str, addresses: list[str]) -> str | None:
    """The address in state most like a mistyped one: first among those under the same
    client, then among those of the same depth (comparing with each of a 10,000-buyer
    state's ~90,000 took ~2 s)."""
    depth = address.count(".")
    client = _client_of(address) + "."
    for pool in ([a for a in addresses if a.startswith(client)],
                 [a for a in addresses if a.count(".") == depth]):
        found = difflib.get_close_matches(address, pool, n=1)
        if found:
            return found[0]
    return None


def _is_under(address: str, prefix: str) -> bool:
    # Whole segments only: "client" covers client.acme.* but not client_group.*
    return address == prefix or address.startswith(prefix.rstrip(".") + ".")


def _client_of(address: str) -> str:
    return ".".join(address.split(".")[:2])


def resolve_pending(doc: StateDocument, address: str, remote_id: int | None) -> str:
    """Settle a create whose answer was lost: record the ID found in LeadExec, or (None) say
    it is not there so the next apply creates it. Returns what was done."""
    marker = doc.pending.get(address)
    if marker is None:
        pending = ", ".join(sorted(doc.pending)) or "none"
        raise StateError(f"{address} has no unconfirmed create (unconfirmed: {pending})")
    if remote_id is None:
        del doc.pending[address]
        return f"{address}: recorded as not created; the next apply creates it"
    if address in doc.resources:
        raise StateError(f"{address} is already in state with ID {doc.resources[address].remote_id}")
    # Only the records holding that ID are built.
    holder = next((a for a, found in doc.resources.remote_ids().items()
                   if found == remote_id and doc.resources[a].kind == marker["kind"]), None)
    if holder is not None:
        # Two addresses on one object: each apply would write it from both.
        raise StateError(f"ID {remote_id} is already recorded for {holder}; give the ID LeadExec "
                         f"shows for {address}")
    parent_id = marker.get("parent_id")
    attributes = marker.get("attributes")
    depends_on = marker.get("depends_on")
    # The lost create sent exactly these values, so they are what LeadExec holds.
    doc.resources[address] = ResourceState(
        address=address, kind=str(marker["kind"]), remote_id=remote_id,
        parent_id=parent_id if isinstance(parent_id, int) else None,
        attributes=dict(attributes) if isinstance(attributes, dict) else {},
        depends_on=[str(d) for d in depends_on] if isinstance(depends_on, list) else [])
    del doc.pending[address]
    return f"{address}: recorded with ID {remote_id}"
