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
    lines = _change_lines(change.changes)
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
    if not plan.has_changes:
        return "No changes. LeadExec matches the configuration."
    counts = plan.counts()
    return (
        f"Plan: {counts['create']} to create, {counts['update']} to update, "
        f"{counts['retire']} to retire."
    )


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


def _change_lines(changes: list[AttributeChange]) -> list[Line]:
    if not changes:
        return []
    changes = _known_at_once(changes)
    # Paths come from the engine already readable ("field_mappings[st].map.California").
    width = max(len(c.path) for c in changes)
    lines = []
    for change in changes:
        head = f"{change.path.ljust(width)} = "
        if change.sensitive or change.before == change.after == SENSITIVE:
            # Never print either side, even if an engine bug let a real value through.
            lines.append(Line(_ATTR, "~ ", head + SENSITIVE, Action.UPDATE))
            continue
        before, after = values.block(change.before), values.block(change.after)
        # Multi-line values join Terraform-style: "] -> [" where the old one ends.
        joined = [*before[:-1], f"{before[-1]} -> {after[0]}", *after[1:]]
        lines.append(Line(_ATTR, "~ ", head + joined[0], Action.UPDATE))
        lines.extend(_continuation(joined[1:]))
    return lines


def _continuation(rendered: list[str]) -> list[Line]:
    return [Line(_ATTR + "  ", body=text) for text in rendered]


def _hidden_count(change: ResourceChange) -> int:
    names = set(change.before or {}) | set(change.after or {})
    touched = {re.split(r"[.\[]", c.path, maxsplit=1)[0] for c in change.changes}
    return len(names - touched)
