"""The plan as Terraform-style text on a rich console."""

from __future__ import annotations

import re

from rich.console import Console
from rich.segment import Segment, Segments
from rich.style import Style
from rich.text import Text

from lexsync.engine.plan import Action, Plan
from lexsync.render.lines import UNSETTLED_HEADING, Line, change_lines, summary

# Styles, not markup: values such as "field_mappings[st]" would be read as markup tags.
_COLOURS: dict[Action | None, str] = {Action.CREATE: "green", Action.UPDATE: "yellow", Action.RETIRE: "red"}
# What rich's Text does more than pass through: control codes it strips, tabs it expands,
# newlines it splits at. Lines holding one of these are printed through a real Text.
_SPECIAL = re.compile(r"[\x07\x08\t\n\x0b\x0c\r]")
# Segments per print: one print per line costs more than the line itself, one print for a
# huge plan would show nothing until the end.
_BATCH = 4096
_NEWLINE = Segment("\n")
# The segments before a line's body, and the body's style (None: the body joins the prefix).
_Head = tuple[tuple[Segment, ...], Style | None]


def render_plan(plan: Plan, console: Console, *, show_noop: bool = False) -> None:
    shown = [c for c in plan.changes if show_noop or c.action is not Action.NOOP]
    out = _LineWriter(console)
    if plan.has_changes:
        out.text(Text("lexsync will perform the following actions:", style="bold"))
        out.blank()
    for change in shown:
        for line in change_lines(change):
            out.line(line)
        out.blank()
    if plan.has_changes:
        out.text(Text.assemble(("Plan:", "bold"), summary(plan).removeprefix("Plan:")))
    else:
        out.text(Text(summary(plan), style="yellow" if plan.unsettled else "green"))
    if plan.unsettled:
        out.blank()
        out.text(Text(UNSETTLED_HEADING, style="bold yellow"))
        for item in plan.unsettled:
            out.text(Text(f"  - {item.address}: {item.reason}"))
            for way in item.resolve:
                out.text(Text.assemble(f"      if {way.when}: ", (way.command, "bold")))
    if plan.unobservable:
        out.blank()
        out.text(Text("Note: LeadExec cannot read these values back, so lexsync cannot "
                      "detect changes made to them outside lexsync:", style="bold"))
        for note in plan.unobservable:
            out.text(Text(f"  - {note}"))
    if plan.relies_on:
        out.blank()
        out.text(Text("LeadExec behaviour this plan relies on (docs/wire.md, open points):",
                      style="bold"))
        for relied in plan.relies_on:
            out.text(Text(f"  - {relied}"))
    out.flush()


class _LineWriter:
    """Prints lines as exactly the segments rich makes of one `Text` per line, in batches.

    Going through `Text` and `console.print` for each of a large plan's lines costs far more
    than the output (wrapping, measuring, option lookups per call), while the segments of
    a plain line are simple: unstyled runs, one segment per styled span, then the newline.
    """

    def __init__(self, console: Console) -> None:
        self.console = console
        self.segments: list[Segment] = []
        self.styles: dict[str, Style] = {}
        # Per (prefix, symbol, action, comment), None for the general route: a plan's lines
        # share a handful of these.
        self.heads: dict[tuple[str, str, Action | None, bool], _Head | None] = {}

    def line(self, line: Line) -> None:
        body = line.body
        if body and not body[-1].isspace() and not _SPECIAL.search(body):
            head_key = (line.prefix, line.symbol, line.action, line.comment)
            try:
                head = self.heads[head_key]
            except KeyError:
                head = self.heads[head_key] = self._head(line)
            if head is not None:
                segments, body_style = head
                if body_style is None:
                    self.segments.append(Segment(line.prefix + body))
                else:
                    self.segments.extend(segments)
                    self.segments.append(Segment(body, body_style))
                self._end_line()
                return
        self._line(line)

    def _head(self, line: Line) -> _Head | None:
        """How `_line` splits a line with this prefix and symbol and a body that stays whole."""
        if _SPECIAL.search(line.prefix + line.symbol):
            return None
        prefix = (Segment(line.prefix, Style.null()),) if line.prefix else ()
        if line.symbol:
            symbol = Segment(line.symbol, self._style(_symbol_style(line)))
            return (*prefix, symbol), self._style("dim") if line.comment else Style.null()
        if line.comment:
            return prefix, self._style("dim")
        return (), None

    def _line(self, line: Line) -> None:
        symbol, body = line.symbol, line.body
        full = f"{line.prefix}{symbol}{body}"
        if _SPECIAL.search(full):
            self.text(_styled(line))
            return
        # Text.rstrip: trailing blanks go, and with them any styled span left empty.
        end = len(full.rstrip())
        prefix = line.prefix[:end]
        symbol = symbol[:max(end - len(prefix), 0)]
        body = body[:max(end - len(prefix) - len(symbol), 0)]
        append = self.segments.append
        if symbol:
            null = Style.null()  # what Text.render gives the unstyled runs between spans
            if prefix:
                append(Segment(prefix, null))
            append(Segment(symbol, self._style(_symbol_style(line))))
            if body:
                append(Segment(body, self._style("dim") if line.comment else null))
        elif body and line.comment:
            null = Style.null()
            if prefix:
                append(Segment(prefix, null))
            append(Segment(body, self._style("dim")))
        else:
            append(Segment(prefix + body))  # a Text without spans is one segment
        self._end_line()

    def blank(self) -> None:
        self.segments.append(Segment(""))
        self._end_line()

    def text(self, text: Text) -> None:
        self.flush()
        _print(self.console, text)

    def flush(self) -> None:
        if self.segments:
            self.console.print(Segments(self.segments), soft_wrap=True)
            self.segments = []

    def _end_line(self) -> None:
        self.segments.append(_NEWLINE)
        if len(self.segments) >= _BATCH:
            self.flush()

    def _style(self, name: str) -> Style:
        style = self.styles.get(name)
        if style is None:
            # Through the console, as Text.render does, so a theme can restyle these names.
            style = self.styles[name] = self.console.get_style(name, default=Style.null())
        return style


def _symbol_style(line: Line) -> str:
    return f"bold {'dim' if line.comment else _COLOURS.get(line.action, '')}".strip()


def _styled(line: Line) -> Text:
    text = Text(line.prefix)
    text.append(line.symbol, style=_symbol_style(line) if line.symbol else "")
    text.append(line.body, style="dim" if line.comment else "")
    text.rstrip()
    return text


def _print(console: Console, text: Text) -> None:
    # soft_wrap: long values stay on one line instead of being broken mid-value.
    console.print(text, soft_wrap=True, highlight=False)
