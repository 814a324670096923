"""The plan as Terraform-style text on a rich console."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from lexsync.engine.plan import Action, Plan
from lexsync.render.lines import Line, change_lines, summary

# Styles, not markup: values such as "field_mappings[st]" would be read as markup tags.
_COLOURS = {Action.CREATE: "green", Action.UPDATE: "yellow", Action.RETIRE: "red"}


def render_plan(plan: Plan, console: Console, *, show_noop: bool = False) -> None:
    shown = [c for c in plan.changes if show_noop or c.action is not Action.NOOP]
    if plan.has_changes:
        _print(console, Text("lexsync will perform the following actions:", style="bold"))
        _print(console, Text())
    for change in shown:
        for line in change_lines(change):
            _print(console, _styled(line))
        _print(console, Text())
    if plan.has_changes:
        _print(console, Text.assemble(("Plan:", "bold"), summary(plan).removeprefix("Plan:")))
    else:
        _print(console, Text(summary(plan), style="green"))
    if plan.unobservable:
        _print(console, Text())
        _print(console, Text("Note: LeadExec cannot read these values back, so lexsync cannot "
                             "detect changes made to them outside lexsync:", style="bold"))
        for note in plan.unobservable:
            _print(console, Text(f"  - {note}"))


def _styled(line: Line) -> Text:
    symbol_style = "dim" if line.comment else _COLOURS.get(line.action, "")
    text = Text(line.prefix)
    text.append(line.symbol, style=f"bold {symbol_style}".strip() if line.symbol else "")
    text.append(line.body, style="dim" if line.comment else "")
    text.rstrip()
    return text


def _print(console: Console, text: Text) -> None:
    # soft_wrap: long values stay on one line instead of being broken mid-value.
    console.print(text, soft_wrap=True, highlight=False)
