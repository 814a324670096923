from __future__ import annotations

from lexsync.engine.plan import Plan
from lexsync.render.markdown import render_markdown
from tests.render.golden import check_golden


def test_full_plan_matches_golden(full_plan: Plan) -> None:
    check_golden("plan_full.md", render_markdown(full_plan))


def test_large_plan_matches_golden(large_plan: Plan) -> None:
    check_golden("plan_large.md", render_markdown(large_plan))


def test_awkward_values_match_golden(awkward_plan: Plan) -> None:
    check_golden("plan_awkward.md", render_markdown(awkward_plan))


def test_summary_table_and_retire_warning(full_plan: Plan) -> None:
    text = render_markdown(full_plan)
    assert "| Create | 1 |\n| Update | 1 |\n| Retire | 1 |" in text
    assert "**Plan: 1 to create, 1 to update, 1 to retire.**" in text
    assert ("> [!WARNING]\n> This plan retires 1 resource(s):\n"
            "> - `client.acme.delivery_account.acme-tx` will be retired (status Closed)"
            " (removed from configuration)") in text


def test_changes_sit_in_details_blocks_with_diff_symbols(full_plan: Plan) -> None:
    text = render_markdown(full_plan)
    assert text.count("<details") == 3  # the no-op is not listed
    assert ("<details open><summary><code>-</code> "
            "<code>client.acme.delivery_account.acme-tx</code>") in text
    assert '+       password     = (sensitive)' in text
    assert '!       field_mappings[st].map.California = "CA" -> "Calif"' in text
    assert '-   delivery_account "acme-tx" {' in text


def test_empty_plan(empty_plan: Plan) -> None:
    assert render_markdown(empty_plan) == (
        "## lexsync plan\n\nNo changes. LeadExec matches the configuration.\n")


def test_a_leaked_secret_in_a_sensitive_change_is_never_shown() -> None:
    from lexsync.engine.plan import Action, AttributeChange, ResourceChange

    change = ResourceChange(
        "client.acme", "client", Action.UPDATE, "POST", before={"password": "a"},
        after={"password": "b"},
        changes=[AttributeChange("password", "old-hunter2", "hunter2", sensitive=True)])
    plan = Plan(changes=[change], dialect="rest", state_lineage="l", state_serial=1,
                live_digest="a", desired_digest="b")
    text = render_markdown(plan)
    assert "hunter2" not in text
    assert "!       password = (sensitive)" in text
