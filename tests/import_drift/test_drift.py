"""Drift against the in-memory LeadExec: where a difference came from, and what nothing manages."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from lexsync.engine.drift import BOTH, OUTSIDE, UNAPPLIED, DriftReport, drift_report
from lexsync.render.drift import render_drift_json, render_drift_markdown, render_drift_text
from tests.engine.conftest import BASE_CONFIG, Harness


@pytest.fixture
def applied(tmp_path: Path) -> Harness:
    harness = Harness(tmp_path)
    harness.write(BASE_CONFIG)
    _, result = harness.apply()
    assert not result.failed
    return harness


def report_of(harness: Harness, targets: tuple[str, ...] = ()) -> DriftReport:
    session = harness.session(targets=targets)
    bundle, state = asyncio.run(session.plan())
    return drift_report(bundle, state, session.last_view, targets)


def origins(report: DriftReport) -> dict[str, str]:
    return {f"{r.address}:{a.path}": a.origin for r in report.resources for a in r.attributes}


def test_nothing_changed_is_no_drift(applied: Harness) -> None:
    report = report_of(applied)
    assert not report.has_drift and report.unmanaged == []
    assert render_drift_text(report).startswith("No drift")


def test_origin_tells_outside_from_unapplied_from_both(applied: Harness) -> None:
    [account] = applied.api.accounts.values()
    account["DayMax"] = 7  # by hand in LeadExec
    [method] = applied.api.methods.values()
    method["DeliveryAddress"] = "https://elsewhere.example"  # by hand ...
    applied.write(BASE_CONFIG.replace("price: 25", "price: 30")  # ... and in the YAML
                  .replace("url: https://acme.example/leads", "url: https://acme.example/v2"))
    report = report_of(applied)
    assert origins(report) == {
        "client.acme.delivery_account.ca:caps.day": OUTSIDE,
        "client.acme.delivery_account.ca:price": UNAPPLIED,
        "client.acme.delivery_method.post:url": BOTH,
    }
    [url] = [a for r in report.resources for a in r.attributes if a.path == "url"]
    assert (url.yaml, url.live, url.applied) == ("https://acme.example/v2", "https://elsewhere.example",
                                                 "https://acme.example/leads")
    [account_drift] = [r for r in report.resources if r.kind == "delivery_account"]
    assert account_drift.origin == BOTH  # one attribute each way


def test_deleted_and_not_yet_created_resources(applied: Harness) -> None:
    applied.api.accounts.clear()
    report = report_of(applied)
    [gone] = report.resources
    assert gone.action == "create" and gone.origin == OUTSIDE and "deleted outside" in gone.summary


def made_by_hand(harness: Harness) -> int:
    """A client and an account (999, under the managed client) made in LeadExec's UI; the
    client's ID."""
    uid = max(harness.api.clients) + 100
    harness.api.clients[uid] = {**next(iter(harness.api.clients.values())), "ClientUID": uid,
                                "Username": "made-by-hand"}
    [account] = harness.api.accounts.values()
    harness.api.accounts[999] = {**account, "ClientAccountUID": 999, "Description": "by hand"}
    return uid


def test_unmanaged_live_objects_are_listed_not_acted_on(applied: Harness) -> None:
    uid = made_by_hand(applied)
    report = report_of(applied)
    assert not report.has_drift
    assert [(u.kind, u.remote_id, u.name) for u in report.unmanaged] == [
        ("client", uid, "made-by-hand"), ("delivery_account", 999, "by hand")]
    assert applied.api.writes() == 4  # only the first apply wrote


def test_a_targeted_check_lists_only_what_is_under_its_targets(applied: Harness) -> None:
    made_by_hand(applied)
    applied.api.accounts[min(applied.api.accounts)]["Price"] = 99
    report = report_of(applied, ("client.acme",))
    # The account by hand is under the target; the client by hand is outside every target.
    assert [(u.kind, u.remote_id) for u in report.unmanaged] == [("delivery_account", 999)]
    assert origins(report) == {"client.acme.delivery_account.ca:price": OUTSIDE}
    assert any(note.startswith("checked only client.acme:") for note in report.notes)
    assert not any("checked only" in note for note in report_of(applied).notes)


def test_renderers_carry_the_same_facts(applied: Harness) -> None:
    [account] = applied.api.accounts.values()
    account["Price"] = 99
    report = report_of(applied)
    text = render_drift_text(report)
    assert text.splitlines()[0].startswith("Drift: 1 resource(s), 1 difference(s)")
    assert "price: yaml 25, live 99, last applied 25 (changed outside lexsync)" in text
    assert "| `price` | 25 | 99 | 25 | changed outside lexsync |" in render_drift_markdown(report)
    data = json.loads(render_drift_json(report))
    assert data["drift"] is True
    assert data["resources"][0]["attributes"] == [
        {"path": "price", "yaml": 25, "live": 99, "applied": 25, "origin": OUTSIDE}]


def test_secrets_stay_masked_in_every_format(applied: Harness) -> None:
    [client] = applied.api.clients.values()
    client["Password"] = "changed-by-hand"
    report = report_of(applied)
    for text in (render_drift_text(report), render_drift_markdown(report), render_drift_json(report)):
        assert "changed-by-hand" not in text and "s3cret-portal" not in text and "sha256:" not in text
    assert origins(report) == {"client.acme:password": OUTSIDE}


def test_values_the_yaml_does_not_set_changed_outside_are_listed_not_counted(applied: Harness) -> None:
    [client] = applied.api.clients.values()
    client["ResellerUID"], client["Notes"] = 77, "by hand"
    [method] = applied.api.methods.values()
    method["tAddress"], method["DateAdded"] = "t@x.example", "2001-01-01T00:00:00"
    report = report_of(applied)
    assert not report.has_drift
    found = {(c.address, c.path): (c.live, c.last_seen) for c in report.unmanaged_changes}
    assert found == {("client.acme", "reseller_uid"): (77, 0), ("client.acme", "notes"): ("by hand", ""),
                     ("client.acme.delivery_method.post", "email.t_address"): ("t@x.example", "")}
    text = render_drift_text(report)
    assert "value(s) the YAML does not set changed outside lexsync" in text.splitlines()[0]
    assert '  client.acme: notes: live "by hand", last seen ""' in text
    assert "| `client.acme` | `reseller_uid` | 77 | 0 |" in render_drift_markdown(report)
    assert json.loads(render_drift_json(report))["unmanaged_changes"][0]["kind"] == "client"
    # An apply records what it saw: the same values are no longer listed.
    applied.apply()
    assert report_of(applied).unmanaged_changes == []
    assert client["ResellerUID"] == 77 and method["tAddress"] == "t@x.example"
