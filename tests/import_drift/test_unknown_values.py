"""Write-only values state does not know (an imported account): the writes that need them
are refused, naming the keys; everything else goes on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lexsync.errors import ConfigError
from tests.engine.conftest import BASE_CONFIG, Harness

ACCOUNT = "client.acme.delivery_account.ca"


@pytest.fixture
def imported(tmp_path: Path) -> Harness:
    """An applied configuration whose account state knows as import would: no weekly cap,
    AlternatePosting or offer."""
    harness = Harness(tmp_path)
    harness.write(BASE_CONFIG.replace(", week: 400", ""))
    harness.apply()
    path = tmp_path / ".lexsync" / "state.json"
    state = json.loads(path.read_text())
    attributes = state["resources"][ACCOUNT]["attributes"]
    for key in ("alternate_posting", "offer"):
        del attributes[key]
    del attributes["caps"]["week"]
    path.write_text(json.dumps(state))
    return harness


def test_a_plan_that_does_not_write_the_account_goes_on(imported: Harness) -> None:
    assert not imported.plan().has_changes
    imported.write(BASE_CONFIG.replace(", week: 400", "").replace("acme.example/leads", "acme.example/v2"))
    plan = imported.plan()
    assert [c.address for c in plan.actionable] == ["client.acme.delivery_method.post"]


def test_a_write_of_the_account_is_refused_naming_each_key(imported: Harness) -> None:
    imported.write(BASE_CONFIG.replace(", week: 400", "").replace("price: 25", "price: 26"))
    writes = imported.api.writes()
    with pytest.raises(ConfigError) as refused:
        imported.apply()
    assert [d.summary.split(" (")[0] for d in refused.value.diagnostics] == [
        f"{ACCOUNT}: caps.week is unknown", f"{ACCOUNT}: alternate_posting is unknown",
        f"{ACCOUNT}: offer is unknown"]
    assert all(d.location is not None for d in refused.value.diagnostics)
    assert imported.api.writes() == writes


def test_retiring_the_account_is_refused_with_what_to_do(imported: Harness) -> None:
    imported.write(BASE_CONFIG.split("    delivery_accounts:")[0])
    with pytest.raises(ConfigError) as refused:
        imported.plan()
    [problem] = refused.value.diagnostics
    assert problem.summary == (f"{ACCOUNT}: removed from the YAML, but retiring it sends caps.week, "
                               "alternate_posting, offer, which lexsync does not know (LeadExec cannot "
                               "show them and state does not record them)")
    assert problem.detail is not None and f"lexsync state rm {ACCOUNT}" in problem.detail


def test_declared_values_are_written_once_and_known_from_then_on(imported: Harness) -> None:
    imported.write(BASE_CONFIG.replace("price: 25", "price: 26\n        alternate_posting: ~\n"
                                                     "        offer: none"))
    plan, result = imported.apply()
    assert not result.failed
    [change] = plan.actionable
    assert {a.path for a in change.changes} >= {"price", "caps.week", "alternate_posting", "offer.name"}
    [account] = imported.api.accounts.values()
    assert (account["WeekMax"], account["AlternatePosting"], account["OfferEnabled"]) == (400, 0, False)
    # Left out of the YAML again, they are what lexsync last applied.
    imported.write(BASE_CONFIG.replace("caps: {day: 100, week: 400}", "caps: {day: 100}")
                   .replace("price: 25", "price: 27"))
    imported.apply()
    assert (account := next(iter(imported.api.accounts.values())))["WeekMax"] == 400
    assert account["Price"] == 27
