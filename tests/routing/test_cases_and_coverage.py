"""Test files, lead files and coverage."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from lexsync.routing.cases import discover, load_cases, run_case
from lexsync.routing.coverage import compute_coverage
from lexsync.routing.heatmap import render_html
from lexsync.routing.leads import LeadError, load_leads
from lexsync.routing.network import build_network
from lexsync.routing.report import coverage_lines
from lexsync.routing.route import Router

LA = ZoneInfo("America/Los_Angeles")
CASES = """\
defaults:
  at: "2025-06-02T10:00 America/Chicago"
  lead: {lead_type: Auto Insurance, Age: 40}
cases:
  - name: texas
    lead: {State: TX}
    expect: [beta/beta-all, acme]
  - name: california
    lead: {State: CA}
    expect: none
  - name: wrong
    lead: {State: TX}
    expect: [acme/acme-tx]
"""


def test_cases_run_and_failures_explain(load, tmp_path: Path) -> None:
    loaded = load()
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "routing.yaml").write_text(CASES, encoding="utf-8")
    files = discover(tmp_path / "lexsync.yaml")
    assert files == [tmp_path / "tests" / "routing.yaml"]
    network = build_network(loaded.model)
    outcomes = [run_case(Router(network), c, LA) for c in load_cases(files[0])]
    assert [o.passed for o in outcomes] == [True, True, False]
    assert outcomes[2].diff[:2] == ["expected: acme/acme-tx", "actual:   beta/beta-all, acme/acme-tx"]
    assert "  + beta/beta-all: takes the lead, not expected" in outcomes[2].diff
    assert outcomes[0].case.where.endswith("routing.yaml:5:5")


@pytest.mark.parametrize("text,message", [
    ("cases: {}", "needs `cases:`"),
    ("cases: [{lead: {lead_type: X}, expect: none}]", "needs `at:`"),
    ("cases: [{at: now, lead: {lead_type: X}}]", "needs `expect:`"),
    ("cases: [{at: now, lead: {State: TX}, expect: none}]", "no lead_type"),
    ("cases: [{at: now, lead: {lead_type: X}, expect: none, bogus: 1}]", "unknown key 'bogus'"),
    ("cases: [{at: now, lead: {lead_type: X}, expect: 5}]", "expect is a list of buyers"),
])
def test_bad_test_files_name_the_place(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.test.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LeadError, match=message) as caught:
        load_cases(path)
    assert str(path) in caught.value.message


def test_lead_files_in_three_formats(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("lead_type,State,Age\nAuto Insurance,TX,40\nAuto Insurance,CA,\n")
    (tmp_path / "a.json").write_text('[{"lead_type": "Auto Insurance", "State": "TX", "Age": 40.0}]')
    (tmp_path / "a.yaml").write_text("lead_type: Auto Insurance\nState: TX\nAge: 40\n")
    csv_leads = load_leads(tmp_path / "a.csv")
    assert [lead.fields for lead in csv_leads] == [{"State": "TX", "Age": "40"}, {"State": "CA"}]
    assert csv_leads[1].name.endswith("a.csv:3")
    assert load_leads(tmp_path / "a.json")[0].fields == {"State": "TX", "Age": "40"}
    assert load_leads(tmp_path / "a.yaml")[0].fields == {"State": "TX", "Age": "40"}
    (tmp_path / "b.json").write_text("{nope")
    with pytest.raises(LeadError, match="b.json:1:2: not JSON"):
        load_leads(tmp_path / "b.json")


def test_coverage_counts_by_state_and_hour(load) -> None:
    network = build_network(load().model)
    monday_noon = datetime(2025, 6, 2, 12, tzinfo=LA)
    coverage = compute_coverage(network, "Auto Insurance", {"Age": "40"}, monday_noon, LA)
    assert coverage.week_start == datetime(2025, 6, 1, tzinfo=LA)
    # Monday 10:00 Pacific (12:00 Chicago): beta, acme-tx, acme-backup take a Texas lead.
    assert coverage.counts["TX"][24 + 10] == 3
    # Monday 05:00 Pacific (07:00 Chicago): acme-tx's window has not opened.
    assert coverage.counts["TX"][24 + 5] == 2
    assert coverage.counts["CA"] == [0] * 168 and "CA" in coverage.dead_states()
    assert coverage.counts["NY"][0] == 1
    assert coverage.accounts == 3
    text = "\n".join(coverage_lines(coverage, thin=1))
    assert text.splitlines()[5].startswith("AL    " + "1" * 24)
    html = render_html(coverage, thin=1)
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html and "http" not in html
    assert html.count("<td ") == 51 * 168 and 'class="gap' in html


def test_coverage_takes_unknown_fields_as_met(load) -> None:
    network = build_network(load().model)
    coverage = compute_coverage(network, "Auto Insurance", {}, datetime(2025, 6, 2, 12, tzinfo=LA), LA)
    assert coverage.assumed == ["Age"] and coverage.counts["TX"][24 + 10] == 3
