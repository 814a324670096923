"""apply's safety thresholds: --max-retire, --max-change and --allow-retire."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from lexsync.errors import LexsyncError

if TYPE_CHECKING:
    from lexsync.engine.plan import Plan

# Percentage thresholds guard against wiping out a large account by mistake; below this many
# managed resources one ordinary change is already a large share, so only counts apply.
MIN_MANAGED_FOR_PERCENT = 10


@dataclass(frozen=True)
class Threshold:
    """A limit given as a count ("5") or a share of the managed resources ("10%")."""

    value: float
    percent: bool

    def exceeded(self, count: int, managed: int) -> bool:
        if self.percent:
            return managed >= MIN_MANAGED_FOR_PERCENT and count * 100 > self.value * managed
        return count > self.value

    def __str__(self) -> str:
        return f"{self.value:g}%" if self.percent else f"{self.value:g}"


class ThresholdType(click.ParamType):
    name = "N|N%"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Threshold:
        if isinstance(value, Threshold):
            return value
        text = str(value).strip()
        percent = text.endswith("%")
        try:
            number = float(text[:-1] if percent else text)
        except ValueError:
            self.fail(f"{value!r} is not a count (5) or a percentage (10%)", param, ctx)
        if number < 0 or (percent and number > 100):
            self.fail(f"{value!r} must be a count ≥ 0 or a percentage from 0% to 100%", param, ctx)
        return Threshold(number, percent)


THRESHOLD = ThresholdType()
DEFAULT_MAX_RETIRE = "10%"
DEFAULT_MAX_CHANGE = "30%"


def check_thresholds(plan: Plan, *, max_retire: Threshold, max_change: Threshold, force: bool,
                     allow_retire: bool, interactive: bool) -> None:
    """Refuse a plan that retires or touches more than the limits, before any call is made."""
    actions = [c.action.value for c in plan.changes]
    managed = sum(1 for a in actions if a != "create")  # resources that exist before the apply
    retiring = actions.count("retire")
    touched = retiring + actions.count("update")
    problems = []
    if not force:
        if max_retire.exceeded(retiring, managed):
            problems.append(f"it retires {retiring} of {managed} managed resources "
                            f"(limit --max-retire {max_retire})")
        if max_change.exceeded(touched, managed):
            problems.append(f"it updates or retires {touched} of {managed} managed resources "
                            f"(limit --max-change {max_change})")
    clients = [c.address for c in plan.changes if c.action.value == "retire" and c.kind == "client"]
    if clients and not interactive and not allow_retire:
        problems.append("it retires client(s) " + ", ".join(clients)
                        + "; pass --allow-retire to retire clients in a non-interactive run")
    if problems:
        hint = " Raise the limit or pass --force if this is intended." if not force and any(
            "limit" in p for p in problems) else ""
        raise LexsyncError("apply refused: " + "; ".join(problems) + "." + hint
                           + " Nothing was changed.")
