"""A plan's unsettled lost creates in every rendering: named with the command that settles
them, and never under "No changes"."""

from __future__ import annotations

import json
import os

import pytest
from rich.console import Console

from lexsync.engine.plan import Plan, Resolution, Unsettled
from lexsync.render.json import plan_to_json
from lexsync.render.markdown import render_markdown
from lexsync.render.text import render_plan

ADDRESS = "client.acme.delivery_method.acme-post"
ITEM = Unsettled(
    ADDRESS, "delivery_method",
    "an earlier run sent this create and its answer was lost; a delivery method that no "
    "account uses cannot be read back, so lexsync will not send it again and risk a duplicate, "
    "and no account read shows one named 'acme-post'",
    [Resolution("LeadExec has 'acme-post'", f"lexsync state resolve {ADDRESS} --id ID"),
     Resolution("LeadExec does not have it", f"lexsync state resolve {ADDRESS} --absent")])


def _text(plan: Plan) -> str:
    console = Console(record=True, width=100, color_system=None, file=open(os.devnull, "w"))  # noqa: SIM115
    render_plan(plan, console)
    return console.export_text()


@pytest.fixture
def unsettled_only(empty_plan: Plan) -> Plan:
    empty_plan.unsettled = [ITEM]
    return empty_plan


@pytest.fixture
def unsettled_with_changes(full_plan: Plan) -> Plan:
    full_plan.unsettled = [ITEM]
    return full_plan


def test_text_names_each_command_and_never_says_no_changes(unsettled_only: Plan) -> None:
    text = _text(unsettled_only)
    assert "No changes" not in text
    lines = text.splitlines()
    assert lines[0] == "Nothing to change, but 1 lost create is unsettled (below)."
    assert f"  - {ADDRESS}: an earlier run sent this create and its answer was lost; " \
           "a delivery method" in text
    assert f"      if LeadExec has 'acme-post': lexsync state resolve {ADDRESS} --id ID" in lines
    assert f"      if LeadExec does not have it: lexsync state resolve {ADDRESS} --absent" in lines


def test_text_summary_of_a_plan_with_changes_counts_them(unsettled_with_changes: Plan) -> None:
    text = _text(unsettled_with_changes)
    assert ("Plan: 1 to create, 1 to update, 1 to retire. 1 lost create is unsettled (below)."
            in text.splitlines())
    assert text.index("Plan: 1 to create") < text.index("Unsettled:") < text.index(
        "lexsync state resolve")


def test_markdown_puts_them_under_a_caution_after_the_summary(unsettled_with_changes: Plan,
                                                              unsettled_only: Plan) -> None:
    text = render_markdown(unsettled_with_changes)
    caution = text.index("> [!CAUTION]")
    assert text.index("**Plan: 1 to create") < caution < text.index("<details")
    assert f"> - `{ADDRESS}`: an earlier run sent this create" in text
    assert f">   - if LeadExec has 'acme-post': `lexsync state resolve {ADDRESS} --id ID`" in text
    assert f">   - if LeadExec does not have it: `lexsync state resolve {ADDRESS} --absent`" in text
    only = render_markdown(unsettled_only)
    assert "No changes" not in only and "> [!CAUTION]" in only


def test_json_lists_them_for_machines(unsettled_only: Plan) -> None:
    data = json.loads(json.dumps(plan_to_json(unsettled_only)))
    assert data["unsettled"] == [{
        "address": ADDRESS, "kind": "delivery_method", "reason": ITEM.reason,
        "resolve": [
            {"when": "LeadExec has 'acme-post'", "command": f"lexsync state resolve {ADDRESS} --id ID"},
            {"when": "LeadExec does not have it",
             "command": f"lexsync state resolve {ADDRESS} --absent"}]}]
    assert Plan.from_dict(data["lexsync_plan"]).unsettled == [ITEM]


def test_a_plan_without_them_renders_as_before(empty_plan: Plan) -> None:
    assert _text(empty_plan) == "No changes. LeadExec matches the configuration.\n"
    assert "CAUTION" not in render_markdown(empty_plan)
    assert plan_to_json(empty_plan)["unsettled"] == []
    assert "unsettled" not in empty_plan.to_dict()  # saved plans of older lexsyncs read alike
