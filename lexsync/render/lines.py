"""One resource change as Terraform-style lines, shared by the text and markdown renderers."""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from lexsync.engine.plan import SENSITIVE, Action, AttributeChange, Plan, ResourceChange
from lexsync.render import values
from lexsync.resources.wirefields import UNKNOWN

# Column layout copied from Terraform so the output looks familiar.
_HEADER = "  "
_ATTR = "      "
_CLOSE = "    "
_HIDDEN = "        "

# How each kind is retired: LeadExec never deletes, it closes or disables.
_RETIRE_PHRASES = {
    "client": "will be retired (status Closed)",
    "delivery_account": "will be retired (status Closed)",
    "delivery_method": "will be disabled (Status false)",
}


class Line(NamedTuple):
    """`prefix` + `symbol` + `body`; `action` says how to colour the symbol, `comment` dims it.

    A tuple rather than a frozen dataclass: a large plan makes hundreds of thousands of lines.
    """

    prefix: str
    symbol: str = ""
    body: str = ""
    action: Action | None = None
    comment: bool = False

    @property
    def text(self) -> str:
        return f"{self.prefix}{self.symbol}{self.body}".rstrip()


def describe(change: ResourceChange) -> str:
    """What will happen to the resource, e.g. "will be updated in place"."""
    if change.action is Action.CREATE:
        return "will be created"
    if change.action is Action.UPDATE:
        return "will be updated in place"
    if change.action is Action.RETIRE:
        return _RETIRE_PHRASES.get(change.kind, "will be retired")
    return "is up to date"


def reason(change: ResourceChange) -> str | None:
    """The change's reason without repeating what `describe` already says."""
    parts = [p.strip() for p in (change.reason or "").split(";")]
    kept = [p for p in parts if p and p != describe(change)]
    return "; ".join(kept) or None


def change_lines(change: ResourceChange) -> list[Line]:
    lines = [Line(_HEADER, "# ", f"{change.address} {describe(change)}", comment=True)]
    why = reason(change)
    if why:
        lines.append(Line(_HEADER, "# ", f"({why})", comment=True))
    if change.action is Action.NOOP:
        return lines
    symbol = change.action.symbol + " "
    title = f"{change.kind} {values.scalar(change.address.rsplit('.', 1)[-1])}"
    body = _body_lines(change)
    if not body:
        return [*lines, Line(_HEADER, symbol, title + " {}", change.action)]
    return [*lines, Line(_HEADER, symbol, title + " {", change.action), *body, Line(_CLOSE, body="}")]


def _body_lines(change: ResourceChange) -> list[Line]:
    if change.action is Action.CREATE:
        return _attribute_lines(change.after or {}, change.action, change.defaults)
    lines = _change_lines(change.changes, change.before, change.after)
    # A retirement without attribute changes leaves everything as is: no count to report.
    hidden = _hidden_count(change) if change.changes or change.action is Action.UPDATE else 0
    if hidden:
        noun = "attribute" if hidden == 1 else "attributes"
        lines.append(Line(_HIDDEN, body=f"({hidden} unchanged {noun} hidden)", comment=True))
    if change.action is Action.RETIRE and change.remote_id is not None:
        # Retiring keeps the record in LeadExec; say which one so it can be found there.
        lines.append(Line(_HIDDEN, body=f"(LeadExec ID {change.remote_id} is kept)", comment=True))
    return lines


def summary(plan: Plan) -> str:
    unsettled = len(plan.unsettled)
    if not plan.has_changes:
        if unsettled:
            return f"Nothing to change, but {_lost_creates(unsettled)} unsettled (below)."
        return "No changes. LeadExec matches the configuration."
    counts = plan.counts()
    settle = f" {_lost_creates(unsettled)} unsettled (below)." if unsettled else ""
    return (
        f"Plan: {counts['create']} to create, {counts['update']} to update, "
        f"{counts['retire']} to retire.{settle}"
    )


def _lost_creates(count: int) -> str:
    return "1 lost create is" if count == 1 else f"{count} lost creates are"


# The heading of a plan's unsettled creates, in every rendering.
UNSETTLED_HEADING = ("Unsettled: an earlier run sent these creates and lost LeadExec's answer. "
                     "Apply will not send them, nor what depends on them, until each is "
                     "settled with `lexsync state resolve`:")


def _attribute_lines(attributes: dict[str, Any], action: Action,
                     defaults: dict[str, Any] | None = None) -> list[Line]:
    """The attributes, then what a create sends by default, each marked so."""
    shown = {".".join(map(values.key, k.split("."))): v for k, v in (defaults or {}).items()}
    if not attributes and not shown:
        return []
    width = max(len(k) for k in (*map(values.key, attributes), *shown))
    symbol = action.symbol + " "
    lines = []
    for name, value in attributes.items():
        rendered = values.block(value)
        lines.append(Line(_ATTR, symbol, f"{values.key(name).ljust(width)} = {rendered[0]}", action))
        lines.extend(_continuation(rendered[1:]))
    for name, value in shown.items():  # YAML keys, dotted ("caps.week")
        rendered = values.block(value)
        lines.append(Line(_ATTR, symbol, f"{name.ljust(width)} = {rendered[0]}", action))
        lines.extend(_continuation(rendered[1:]))
        lines[-1] = lines[-1]._replace(body=lines[-1].body + "  (default on create)")
    return lines


def _known_at_once(changes: list[AttributeChange]) -> list[AttributeChange]:
    """Runs of changes under one block whose every value was unknown (an offer lexsync had
    never applied) as one change of the whole block: `offer = (unknown) -> {...}`."""
    out: list[AttributeChange] = []
    index = 0
    while index < len(changes):
        change = changes[index]
        block, dot, _ = change.path.partition(".")
        run = [change]
        if dot and change.before == UNKNOWN and not change.sensitive:
            while index + len(run) < len(changes):
                following = changes[index + len(run)]
                if following.before != UNKNOWN or following.sensitive \
                        or not following.path.startswith(block + "."):
                    break
                run.append(following)
        if len(run) > 1:
            after = {c.path[len(block) + 1:]: c.after for c in run}
            out.append(AttributeChange(block, UNKNOWN, after))
        else:
            out.append(change)
        index += len(run)
    return out


_ENTRY = re.compile(r"^([A-Za-z_]\w*)\[([^\]]+)\]\.")


class _Entry(NamedTuple):
    """A keyed entry (a field mapping) added or removed whole: one line, not one per value."""

    path: str
    value: Any
    action: Action


def _whole_entries(changes: list[AttributeChange], before: dict[str, Any] | None,
                   after: dict[str, Any] | None) -> list[AttributeChange | _Entry]:
    """Runs of changes under one keyed entry (`field_mappings[src].source`, `.value`) that
    exists on only one side, as that entry added or removed."""
    out: list[AttributeChange | _Entry] = []
    index = 0
    while index < len(changes):
        change = changes[index]
        match = _ENTRY.match(change.path)
        entry = _one_sided(match, before or {}, after or {}) if match and not change.sensitive else None
        if entry is None:
            out.append(change)
            index += 1
            continue
        prefix = match.group(0) if match else ""
        run = 1
        while index + run < len(changes) and changes[index + run].path.startswith(prefix):
            if changes[index + run].sensitive:
                break
            run += 1
        if any(c.sensitive for c in changes[index:index + run]):
            out.extend(changes[index:index + run])
        else:
            out.append(entry)
        index += run
    return out


def _one_sided(match: re.Match[str] | None, before: dict[str, Any],
               after: dict[str, Any]) -> _Entry | None:
    if match is None:
        return None
    attr, name = match.group(1), match.group(2)
    old, new = before.get(attr), after.get(attr)
    if not isinstance(old, dict) or not isinstance(new, dict):
        return None
    path = f"{attr}[{name}]"
    if name in old and name not in new and isinstance(old[name], dict):
        return _Entry(path, old[name], Action.RETIRE)
    if name in new and name not in old and isinstance(new[name], dict):
        return _Entry(path, new[name], Action.CREATE)
    return None


def _change_lines(changes: list[AttributeChange], before: dict[str, Any] | None = None,
                  after: dict[str, Any] | None = None) -> list[Line]:
    if not changes:
        return []
    items = _whole_entries(_known_at_once(changes), before, after)
    # Paths come from the engine already readable ("field_mappings[st].map.California").
    width = max(len(c.path) for c in items)
    lines = []
    for change in items:
        head = f"{change.path.ljust(width)} = "
        if isinstance(change, _Entry):
            rendered = values.block(change.value, top=False)
            symbol = change.action.symbol + " "
            lines.append(Line(_ATTR, symbol, head + rendered[0], change.action))
            lines.extend(_continuation(rendered[1:]))
            continue
        if change.sensitive or change.before == change.after == SENSITIVE:
            # Never print either side, even if an engine bug let a real value through.
            lines.append(Line(_ATTR, "~ ", head + SENSITIVE, Action.UPDATE))
            continue
        old, new = values.block(change.before), values.block(change.after)
        # Multi-line values join Terraform-style: "] -> [" where the old one ends.
        joined = [*old[:-1], f"{old[-1]} -> {new[0]}", *new[1:]]
        lines.append(Line(_ATTR, "~ ", head + joined[0], Action.UPDATE))
        lines.extend(_continuation(joined[1:]))
    return lines


def _continuation(rendered: list[str]) -> list[Line]:
    return [Line(_ATTR + "  ", body=text) for text in rendered]


def _hidden_count(change: ResourceChange) -> int:
    names = set(change.before or {}) | set(change.after or {})
    touched = {re.split(r"[.\[]", c.path, maxsplit=1)[0] for c in change.changes}
    return len(names - touched)
