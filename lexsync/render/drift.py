"""Drift reports as text (terminal, cron mail), markdown (an issue or chat) and JSON (machines)."""

from __future__ import annotations

import json
from typing import Any

from lexsync.engine.drift import ORIGIN_WORDS, DriftReport, ResourceDrift, Unmanaged
from lexsync.engine.unmanaged import UnmanagedChange


def _value(value: Any) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, str):
        # The markers are printed bare so they never read like real values.
        return value if value in ("(sensitive)", "(unknown)") else json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def headline(report: DriftReport) -> str:
    if not report.has_drift:
        text = f"No drift: LeadExec matches the configuration ({report.checked} resources checked)."
    else:
        text = (f"Drift: {len(report.resources)} resource(s), {report.attribute_count()} difference(s) "
                f"({report.checked} resources checked).")
    if report.unmanaged:
        text += f" {len(report.unmanaged)} unmanaged live object(s)."
    if report.retired:
        text += f" {len(report.retired)} closed or disabled object(s) outside the configuration."
    if report.unmanaged_changes:
        text += (f" {len(report.unmanaged_changes)} value(s) the YAML does not set changed "
                 "outside lexsync.")
    return text


UNMANAGED = "Unmanaged live objects (not in the YAML or state; lexsync does not change them)"
RETIRED = ("Closed or disabled live objects not in the YAML or state (retired by lexsync, "
           "which then forgets them, or closed by hand; they receive no leads)")
UNMANAGED_CHANGES = ("Changed outside lexsync, not set by the YAML (kept as LeadExec has them; "
                     "the next apply records them):")


def _change_line(item: UnmanagedChange) -> str:
    return f"{item.address}: {item.path}: live {_value(item.live)}, last seen {_value(item.last_seen)}"


def _unmanaged_line(item: Unmanaged) -> str:
    owner = f" of client {item.client!r}" if item.client else ""
    status = f" [{item.status}]" if item.status else ""
    return f"{item.kind} {item.remote_id} {item.name!r}{owner}{status}"


def render_drift_text(report: DriftReport) -> str:
    out = [headline(report)]  # first, so a cron mail's first line says it all
    for resource in report.resources:
        out.append(f"{resource.address}: {resource.summary} — {ORIGIN_WORDS[resource.origin]}")
        for item in resource.attributes:
            out.append(f"  {item.path}: yaml {_value(item.yaml)}, live {_value(item.live)}, "
                       f"last applied {_value(item.applied)} ({ORIGIN_WORDS[item.origin]})")
    if report.unmanaged_changes:
        out += ["", UNMANAGED_CHANGES]
        out += [f"  {_change_line(c)}" for c in report.unmanaged_changes]
    if report.unmanaged:
        out += ["", f"{UNMANAGED}:"]
        out += [f"  {_unmanaged_line(u)}" for u in report.unmanaged]
    if report.retired:
        out += ["", f"{RETIRED}:"]
        out += [f"  {_unmanaged_line(u)}" for u in report.retired]
    if report.notes:
        out += ["", "Notes:"] + [f"  {note}" for note in report.notes]
    return "\n".join(out) + "\n"


def _cell(value: Any) -> str:
    return _value(value).replace("|", "\\|")


def _resource_markdown(resource: ResourceDrift) -> list[str]:
    out = [f"### `{resource.address}`", "", f"{resource.summary} — **{ORIGIN_WORDS[resource.origin]}**", ""]
    if resource.attributes:
        out += ["| attribute | YAML | live | last applied | origin |", "| --- | --- | --- | --- | --- |"]
        out += [f"| `{i.path}` | {_cell(i.yaml)} | {_cell(i.live)} | {_cell(i.applied)} | "
                f"{ORIGIN_WORDS[i.origin]} |" for i in resource.attributes]
        out.append("")
    return out


def render_drift_markdown(report: DriftReport) -> str:
    out = ["## lexsync drift", "", f"**{headline(report)}**", ""]
    for resource in report.resources:
        out += _resource_markdown(resource)
    if report.unmanaged_changes:
        out += ["### Changed outside lexsync, not set by the YAML", "",
                "Kept as LeadExec has them; the next apply records them.", "",
                "| resource | attribute | live | last seen |", "| --- | --- | --- | --- |"]
        out += [f"| `{c.address}` | `{c.path}` | {_cell(c.live)} | {_cell(c.last_seen)} |"
                for c in report.unmanaged_changes] + [""]
    if report.unmanaged:
        out += ["### Unmanaged live objects", "", f"{UNMANAGED}.", ""]
        out += [f"- {_unmanaged_line(u)}" for u in report.unmanaged] + [""]
    if report.retired:
        out += ["### Closed or disabled, outside the configuration", "", f"{RETIRED}.", ""]
        out += [f"- {_unmanaged_line(u)}" for u in report.retired] + [""]
    if report.notes:
        out += ["### Notes", ""] + [f"- {n}" for n in report.notes] + [""]
    return "\n".join(out)


def render_drift_json(report: DriftReport) -> str:
    return json.dumps(report.to_dict(), indent=2, sort_keys=True, default=str) + "\n"


RENDERERS = {"text": render_drift_text, "markdown": render_drift_markdown, "json": render_drift_json}
