from __future__ import annotations

import io
import os
from typing import Any

import pytest
from rich.console import Console
from rich.text import Text
from rich.theme import Theme

from lexsync.engine.plan import Action, AttributeChange, Plan, ResourceChange
from lexsync.render import lines as render_lines
from lexsync.render import text as render_text
from lexsync.render.lines import Line, summary
from lexsync.render.text import render_plan
from tests.render.conftest import workload_plan
from tests.render.golden import check_golden


def _render(plan: Plan, **kwargs) -> str:
    console = Console(record=True, width=100, color_system=None, file=open(os.devnull, "w"))  # noqa: SIM115
    render_plan(plan, console, **kwargs)
    return console.export_text()


def _written(plan: Plan, show_noop: bool = False, **console_options: Any) -> str:
    """Exactly what reaches the console's file, escape codes included."""
    console = Console(file=io.StringIO(), width=120, **console_options)
    render_plan(plan, console, show_noop=show_noop)
    return console.file.getvalue()


COLOUR = {"force_terminal": True, "color_system": "truecolor"}


def test_full_plan_matches_golden(full_plan: Plan) -> None:
    check_golden("plan_full.txt", _render(full_plan))


def test_empty_plan_matches_golden(empty_plan: Plan) -> None:
    text = _render(empty_plan)
    check_golden("plan_empty.txt", text)
    assert text == "No changes. LeadExec matches the configuration.\n"


def test_update_shows_only_changed_paths_and_hides_the_rest(full_plan: Plan) -> None:
    lines = _render(full_plan).splitlines()
    assert '      ~ field_mappings[st].map.California = "CA" -> "Calif"' in lines
    assert '      ~ schedule[mon].to                  = "08:00" -> "20:00"' in lines
    assert "      ~ password                          = (sensitive)" in lines
    # url, field_mappings, schedule, password changed; response_search alone is unchanged.
    assert "        (1 unchanged attribute hidden)" in lines
    assert not any("response_search" in line for line in lines)


def test_create_lists_every_attribute_with_null_and_nested_values(full_plan: Plan) -> None:
    lines = _render(full_plan).splitlines()
    assert "  # client.acme will be created" in lines
    assert '  + client "acme" {' in lines
    assert "      + credit_limit = null" in lines
    assert "      + password     = (sensitive)" in lines
    assert '      + fields       = { Company = "Acme Insurance", Email = "ops@acme.example" }' in lines


def test_retire_says_how_and_why(full_plan: Plan) -> None:
    text = _render(full_plan)
    assert ("  # client.acme.delivery_account.acme-tx will be retired (status Closed)\n"
            "  # (removed from configuration)\n"
            '  - delivery_account "acme-tx" {\n') in text
    assert "Plan: 1 to create, 1 to update, 1 to retire.\n" in text


def test_retiring_a_method_disables_it() -> None:
    plan = Plan(changes=[ResourceChange(
        address="client.acme.delivery_method.old", kind="delivery_method", action=Action.RETIRE,
        call="PUT", reason="removed from configuration")], dialect="soap", state_lineage="l",
        state_serial=1, live_digest="a", desired_digest="b")
    text = _render(plan)
    assert "  # client.acme.delivery_method.old will be disabled (Status false)\n" in text
    assert '  - delivery_method "old" {}\n' in text
    assert "Plan: 0 to create, 0 to update, 1 to retire." in text


def test_noop_hidden_unless_asked(full_plan: Plan) -> None:
    assert "client_group.premium" not in _render(full_plan)
    assert "  # client_group.premium is up to date\n" in _render(full_plan, show_noop=True)


def test_unobservable_values_are_noted(full_plan: Plan, empty_plan: Plan) -> None:
    text = _render(full_plan)
    assert "Note: LeadExec cannot read these values back" in text
    assert "  - client.acme password: LeadExec never returns portal passwords\n" in text
    assert "Note:" not in _render(empty_plan)


@pytest.mark.parametrize("secret", ["hunter2-real-secret"])
def test_a_leaked_secret_in_a_sensitive_change_is_never_printed(secret: str) -> None:
    # The engine must never put a real secret in a sensitive change; if it ever did,
    # the renderer still prints only the marker.
    change = ResourceChange(
        address="client.acme", kind="client", action=Action.UPDATE, call="POST",
        before={"password": "x"}, after={"password": "y"},
        changes=[AttributeChange("password", "old-" + secret, secret, sensitive=True)])
    plan = Plan(changes=[change], dialect="rest", state_lineage="l", state_serial=1,
                live_digest="a", desired_digest="b")
    text = _render(plan)
    assert secret not in text
    assert "      ~ password = (sensitive)\n" in text


def test_colours_by_action_and_markup_characters_survive() -> None:
    change = ResourceChange(
        address="client.acme.delivery_method.post", kind="delivery_method",
        action=Action.UPDATE, call="PUT", before={}, after={},
        changes=[AttributeChange("field_mappings[st].map.California", "[bold]CA", "Calif")])
    plan = Plan(changes=[change], dialect="rest", state_lineage="l", state_serial=1,
                live_digest="a", desired_digest="b")
    console = Console(record=True, width=100, force_terminal=True, color_system="standard",
                      file=open(os.devnull, "w"))  # noqa: SIM115
    render_plan(plan, console)
    styled = console.export_text(styles=True, clear=False)
    assert "\x1b[1;33m~ \x1b[0m" in styled  # yellow update symbol
    assert 'field_mappings[st].map.California = "[bold]CA" -> "Calif"' in console.export_text()


def test_sensitive_marker_values_print_bare() -> None:
    change = ResourceChange(
        address="client.acme", kind="client", action=Action.UPDATE, call="POST",
        before={"password": "(sensitive)", "api_key": None},
        after={"password": "(sensitive)", "api_key": "(sensitive)"},
        changes=[AttributeChange("password", "(sensitive)", "(sensitive)"),
                 AttributeChange("api_key", None, "(sensitive)")])
    plan = Plan(changes=[change], dialect="rest", state_lineage="l", state_serial=1,
                live_digest="a", desired_digest="b")
    lines = _render(plan).splitlines()
    assert "      ~ password = (sensitive)" in lines
    assert "      ~ api_key  = null -> (sensitive)" in lines
    assert '"(sensitive)"' not in _render(plan)


def test_retire_without_changes_repeats_nothing() -> None:
    change = ResourceChange(
        address="client.acme.delivery_account.ca", kind="delivery_account", action=Action.RETIRE,
        call="PUT", before={"price": 25, "status": "Open", "description": "ca"},
        reason="removed from configuration; will be retired (status Closed)", remote_id=9)
    plan = Plan(changes=[change], dialect="rest", state_lineage="l", state_serial=1,
                live_digest="a", desired_digest="b")
    assert _render(plan) == (
        "lexsync will perform the following actions:\n\n"
        "  # client.acme.delivery_account.ca will be retired (status Closed)\n"
        "  # (removed from configuration)\n"
        '  - delivery_account "ca" {\n'
        "        (LeadExec ID 9 is kept)\n"
        "    }\n\n"
        "Plan: 0 to create, 0 to update, 1 to retire.\n"
    )


def test_full_plan_in_colour_matches_golden(full_plan: Plan) -> None:
    check_golden("plan_full_colour.txt", _written(full_plan, show_noop=True, **COLOUR))


def test_no_color_on_a_terminal_keeps_bold_and_dim(full_plan: Plan) -> None:
    # The CLI's console on a terminal with NO_COLOR set.
    text = _written(full_plan, show_noop=True, force_terminal=True, no_color=True)
    check_golden("plan_full_no_color.txt", text)


def test_large_plan_matches_golden(large_plan: Plan) -> None:
    text = _written(large_plan, no_color=True)
    check_golden("plan_large.txt", text)
    assert _render(large_plan) == text


def test_large_plan_in_colour_matches_golden() -> None:
    check_golden("plan_large_colour.txt", _written(workload_plan(2), **COLOUR))


@pytest.mark.parametrize("options", [{"no_color": True}, COLOUR], ids=["plain", "colour"])
def test_tabs_newlines_and_control_codes_render_as_before(awkward_plan: Plan, options: dict) -> None:
    name = "plan_awkward_colour.txt" if options.get("force_terminal") else "plan_awkward.txt"
    check_golden(name, _written(awkward_plan, show_noop=True, **options))


def test_a_console_style_wraps_the_same_pieces(awkward_plan: Plan, full_plan: Plan) -> None:
    # A console-wide style is applied piece by piece, so this pins where pieces start and end.
    plan = Plan(changes=[*full_plan.changes, *awkward_plan.changes], dialect="rest",
                state_lineage="l", state_serial=1, live_digest="a", desired_digest="b",
                unobservable=full_plan.unobservable)
    check_golden("plan_console_style.txt", _written(plan, show_noop=True, style="italic", **COLOUR))


def _one_text_per_line(plan: Plan, console: Console, show_noop: bool = False) -> None:
    """The plain way to print a plan: one Text and one print per line."""
    colours = {Action.CREATE: "green", Action.UPDATE: "yellow", Action.RETIRE: "red"}

    def emit(text: Text) -> None:
        console.print(text, soft_wrap=True, highlight=False)

    if plan.has_changes:
        emit(Text("lexsync will perform the following actions:", style="bold"))
        emit(Text())
    for change in plan.changes:
        if change.action is Action.NOOP and not show_noop:
            continue
        for line in render_lines.change_lines(change):
            text = Text(line.prefix)
            symbol_style = "dim" if line.comment else colours.get(line.action, "")
            text.append(line.symbol, style=f"bold {symbol_style}".strip() if line.symbol else "")
            text.append(line.body, style="dim" if line.comment else "")
            text.rstrip()
            emit(text)
        emit(Text())
    if plan.has_changes:
        emit(Text.assemble(("Plan:", "bold"), summary(plan).removeprefix("Plan:")))
    else:
        emit(Text(summary(plan), style="green"))
    if plan.unobservable:
        emit(Text())
        emit(Text("Note: LeadExec cannot read these values back, so lexsync cannot "
                  "detect changes made to them outside lexsync:", style="bold"))
        for note in plan.unobservable:
            emit(Text(f"  - {note}"))


@pytest.mark.parametrize("options", [
    {"no_color": True},
    COLOUR,
    {"force_terminal": True, "color_system": "standard", "no_color": True},
    {"force_terminal": True, "color_system": "256", "style": "on grey11"},
    {"force_terminal": True, "color_system": "truecolor", "theme": Theme({"green": "blue", "dim": "italic"})},
], ids=["plain", "colour", "no-color-terminal", "console-style", "theme"])
def test_same_output_as_one_text_per_line(awkward_plan: Plan, full_plan: Plan, options: dict) -> None:
    plan = Plan(changes=[*workload_plan(1).changes, *full_plan.changes, *awkward_plan.changes],
                dialect="rest", state_lineage="l", state_serial=1, live_digest="a",
                desired_digest="b", unobservable=awkward_plan.unobservable)
    expected = Console(file=io.StringIO(), width=120, record=True, **options)
    _one_text_per_line(plan, expected, show_noop=True)
    actual = Console(file=io.StringIO(), width=120, record=True, **options)
    render_plan(plan, actual, show_noop=True)
    assert actual.file.getvalue() == expected.file.getvalue()
    assert actual.export_html() == expected.export_html()


def test_lines_with_trailing_blanks_lose_them_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    # change_lines never makes these today; the renderer must still print them as Text would.
    crafted = [
        Line("  ", "+ ", "", Action.CREATE), Line("  ", "~ ", "   ", Action.UPDATE),
        Line("  ", "# ", "body\u3000 ", comment=True), Line("      ", body=" ", comment=True),
        Line("    ", body="}  "), Line("   "), Line(""), Line("", "- ", "x", Action.RETIRE),
        Line("  ", "+ ", "\u00a0", Action.CREATE), Line("\t", "+ ", "y", Action.CREATE),
    ]
    monkeypatch.setattr(render_lines, "change_lines", lambda change: crafted)
    monkeypatch.setattr(render_text, "change_lines", lambda change: crafted)
    plan = workload_plan(0)
    for options in [{"no_color": True}, {**COLOUR, "style": "underline"}]:
        expected = Console(file=io.StringIO(), width=120, **options)
        _one_text_per_line(plan, expected)
        actual = Console(file=io.StringIO(), width=120, **options)
        render_plan(plan, actual)
        assert actual.file.getvalue() == expected.file.getvalue()
