"""The plan as markdown for a pull-request comment."""

from __future__ import annotations

from html import escape

from lexsync.engine.plan import Action, Plan
from lexsync.render.lines import UNSETTLED_HEADING, change_lines, describe, reason, summary

_TITLES = {Action.CREATE: "Create", Action.UPDATE: "Update", Action.RETIRE: "Retire"}


def render_markdown(plan: Plan) -> str:
    out = ["## lexsync plan", ""]
    if not plan.has_changes:
        out += [summary(plan), ""] + _unsettled(plan)
    else:
        counts = plan.counts()
        out += ["| Action | Resources |", "| --- | ---: |"]
        out += [f"| {title} | {counts[action.value]} |" for action, title in _TITLES.items()]
        out += ["", f"**{summary(plan)}**", ""] + _unsettled(plan)
        retiring = [c for c in plan.actionable if c.action is Action.RETIRE]
        if retiring:
            out += ["> [!WARNING]", f"> This plan retires {len(retiring)} resource(s):"]
            out += [f"> - `{c.address}` {describe(c)}" + (f" ({why})" if (why := reason(c)) else "")
                    for c in retiring]
            out.append("")
        for change in plan.actionable:
            # A retirement starts open so reviewers cannot miss it.
            open_attr = " open" if change.action is Action.RETIRE else ""
            out += [
                f"<details{open_attr}><summary><code>{change.action.symbol}</code> "
                f"<code>{escape(change.address)}</code> {describe(change)}</summary>",
                "",
                "```diff",
                *(_diff_line(line.text) for line in change_lines(change)[1:]),
                "```",
                "",
                "</details>",
                "",
            ]
    if plan.unobservable:
        out += ["**Note:** LeadExec cannot read these values back:", ""]
        out += [f"- {note}" for note in plan.unobservable]
        out.append("")
    return "\n".join(out)


def _unsettled(plan: Plan) -> list[str]:
    """First after the summary: a reviewer must not miss what apply cannot do."""
    if not plan.unsettled:
        return []
    out = ["> [!CAUTION]", f"> {UNSETTLED_HEADING}"]
    for item in plan.unsettled:
        out.append(f"> - `{item.address}`: {escape(item.reason, quote=False)}")
        out += [f">   - if {escape(way.when, quote=False)}: `{way.command}`" for way in item.resolve]
    return [*out, ""]


def _diff_line(text: str) -> str:
    # GitHub colours a diff line by its first character, so move the symbol to column 0
    # ("!" marks a changed line).
    stripped = text.lstrip()
    if stripped[:2] not in ("+ ", "- ", "~ "):
        return text
    indent = len(text) - len(stripped)
    symbol = "!" if stripped[0] == "~" else stripped[0]
    return symbol + text[1:indent] + " " + stripped[1:]
