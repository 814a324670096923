"""Issue 14, end to end: the real CLI against the sandbox on a socket, in both dialects.

- import, then edit one price: LeadExec keeps WeekMax, AlternatePosting and the offer, or the
  plan refuses, naming them, and nothing is written;
- every readable value the YAML does not set, changed behind lexsync's back, survives an
  apply and shows in drift;
- a state from another LeadExec is refused.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from lexsync.sandbox.app import SandboxConfig
from lexsync.sandbox.server import running_sandbox
from tests.e2e.conftest import Cli, Sandbox, config_text
from tests.import_drift.populate import RawLeadExec, setting

pytestmark = pytest.mark.e2e

OFFER = {"OfferEnabled": True, "OfferIsDynamic": False, "OfferName": "Spring deal",
         "OfferCompanyName": "Acme", "OfferAmount": "19.99", "OfferDuration": 1,
         "OfferStartDate": "2030-03-01T00:00:00", "OfferEndDate": "2030-05-31T00:00:00"}


def run(cli: Cli, *args: str, ok: tuple[int, ...] = (0,), env: dict[str, str] | None = None):
    result = cli(*args, "--api", cli.url, env=env)
    assert result.returncode in ok, result.stdout + result.stderr
    return result


def hand_made(url: str) -> dict[str, int]:
    """One buyer made in LeadExec by hand: a weekly cap, an alternate posting method, an
    offer, and a holiday blackout on a static date."""
    raw = RawLeadExec(url)
    client = raw.client({"Status": "Active", "Username": "acme-portal", "Password": "portal-pw",
                         "TimeOffset": -8, "TimeZoneName": "Pacific Standard Time"},
                        {1: "Acme Insurance"})
    days = [{"DeliveryDayUID": 0, "DeliveryUID": 0, "WeekDay": 1, "StaticDate": "1900-01-01T00:00:00",
             "StartTime": "1900-01-01T08:00:00", "EndTime": "1900-01-01T18:00:00", "Allow": True},
            {"DeliveryDayUID": 0, "DeliveryUID": 0, "WeekDay": 4, "StaticDate": "2030-12-25T00:00:00",
             "StartTime": "2030-12-25T00:00:00", "EndTime": "2030-12-25T23:59:59", "Allow": False}]
    method = raw.method(client, Name="acme-post", DeliveryAddress="https://acme.example/leads",
                        FieldSettings=[setting("first_name", 1, lead_field=101)], DeliveryDays=days)
    backup = raw.method(client, Name="acme-backup", DeliveryAddress="https://acme.example/backup")
    account = raw.account(client, method, Description="acme-ca", Price=25.0, WeekMax=400,
                          AlternatePosting=backup, **OFFER)
    # The backup method is used by an account of its own, so LeadExec shows it.
    raw.account(client, backup, Description="acme-spare", Price=1.0, Status=11)
    return {"client": client, "method": method, "backup": backup, "account": account}


def stored(sandbox: Sandbox, table: str, uid: int) -> dict[str, Any]:
    key = {"accounts": "ClientAccountUID", "methods": "ClientDeliveryUID", "clients": "ClientUID"}[table]
    return next(row for row in sandbox.dump()[table] if row[key] == uid)


@pytest.mark.parametrize("dialect", ["rest", "soap"])
def test_import_then_edit_one_price_never_clobbers_what_leadexec_cannot_show(
        cli: Cli, sandbox: Sandbox, dialect: str) -> None:
    ids = hand_made(sandbox.url)
    out = cli.directory / "leadexec"
    imported = run(cli, "import", "--out", str(out), "--all", "--dialect", dialect,
                   env={"PORTAL_PASSWORD": "portal-pw"})
    path = out / "client-acme-insurance.yaml"
    text = path.read_text()
    assert '{date: "2030-12-25", from: "00:00", to: "24:00", allow: false}' in text
    address = "client.acme-insurance.delivery_account.acme-ca"
    env = {"LEXSYNC_PW_ACME_INSURANCE": "portal-pw"}
    assert "No changes" in run(cli, "plan", "-c", str(out), env=env).stdout
    path.write_text(text.replace("price: 25\n", "price: 99.5\n", 1))
    sandbox.reset_requests()

    if dialect == "rest":
        assert f"{address}: caps.week, alternate_posting, offer" in imported.stdout
        assert "#   caps.week:" in text and "#   offer:" in text
        for command in ("plan", "apply"):
            refused = cli(command, "-c", str(out), "--auto-approve", "--api", cli.url, env=env) \
                if command == "apply" else cli(command, "-c", str(out), "--api", cli.url, env=env)
            assert refused.returncode == 1, refused.stdout + refused.stderr
            assert f"{address}: caps.week is unknown (LeadExec cannot show WeekMax); declare it " \
                   "(-1 = no cap) before lexsync writes this account" in refused.stderr
            for key in ("alternate_posting", "offer"):
                assert f"{address}: {key} is unknown" in refused.stderr
            assert "Traceback" not in refused.stderr
        assert sandbox.writes() == {}
        # The person looks the values up in LeadExec and declares them.
        declared = path.read_text().replace("price: 99.5\n", (
            "price: 99.5\n        caps: {week: 400}\n        alternate_posting: acme-backup\n"
            "        offer: {enabled: true, name: Spring deal, company_name: Acme, amount: '19.99',\n"
            "                start_date: 2030-03-01, end_date: 2030-05-31, duration: yearly}\n"), 1)
        path.write_text(declared)
        plan = json.loads(run(cli, "plan", "--json", "-c", str(out), env=env).stdout)
        [change] = [c for c in plan["resource_changes"] if c["change"]["actions"] == ["update"]]
        assert change["address"] == address and change["change"]["before"]["caps"]["week"] == "(unknown)"
        text_plan = run(cli, "plan", "-c", str(out), env=env).stdout
        for line in ("~ price             = 25 -> 99.5", "~ caps.week         = (unknown) -> 400",
                     '~ alternate_posting = (unknown) -> "acme-backup"',
                     "~ offer             = (unknown) -> {", 'name                   = "Spring deal"'):
            assert line in text_plan, text_plan
    else:
        assert "caps.week" not in imported.stdout and "# " + "  caps.week" not in text

    applied = run(cli, "apply", "--auto-approve", "-c", str(out), env=env)
    assert "0 created, 1 updated, 0 retired" in applied.stdout
    account = stored(sandbox, "accounts", ids["account"])
    assert account["Price"] == 99.5
    assert (account["WeekMax"], account["AlternatePosting"]) == (400, ids["backup"])
    for key, value in OFFER.items():
        assert account[key] == value, key
    days = [d for d in sandbox.dump()["methods"] if d["ClientDeliveryUID"] == ids["method"]][0]["DeliveryDays"]
    assert sorted(d["StaticDate"] for d in days) == ["1900-01-01T00:00:00", "2030-12-25T00:00:00"]
    assert "No changes" in run(cli, "plan", "--detailed-exitcode", "-c", str(out), env=env).stdout


UNMANAGED_EDITS = {
    "clients": {"UserUID": 7, "ResellerUID": 8, "Notes": "called on Monday",
                "FieldData": {"9": "Reno"}},
    "methods": {"tAddress": "alerts@acme.example", "LeadCatUID": 12, "ClientEmail": "Thanks!",
                "EmailNotify": True, "NotifyEmail": "old@acme.example", "EmailTemplate": "<p/>",
                "useRegEx": True},
}
SOAP_ONLY = {"clients": {"IsLocked": True, "LockedReason": "audit", "InternalUID": 77}}
REPORTED = {"user_uid": 7, "reseller_uid": 8, "notes": "called on Monday", "fields.City": "Reno",
            "email.t_address": "alerts@acme.example", "lead_category": 12,
            "client_email": "Thanks!", "email_notify": True, "notify_email": "old@acme.example",
            "email.template": "<p/>", "response_regex": True}


@pytest.mark.parametrize("dialect", ["rest", "soap"])
def test_values_the_yaml_does_not_set_survive_an_apply_and_show_in_drift(
        cli: Cli, sandbox: Sandbox, dialect: str) -> None:
    cli.write(config_text(dialect))
    assert cli("apply", "--auto-approve").returncode == 0
    dump = sandbox.dump()
    ids = {"clients": dump["clients"][0]["ClientUID"], "methods": dump["methods"][0]["ClientDeliveryUID"]}
    edits = {t: dict(v) for t, v in UNMANAGED_EDITS.items()}
    if dialect == "soap":
        edits["clients"].update(SOAP_ONLY["clients"])
    for table, changes in edits.items():
        sandbox.mutate(table, ids[table], **changes)

    report = json.loads(cli("drift", "--format", "json", "--api", cli.url).stdout)
    assert report["drift"] is False  # informational
    seen = {c["path"]: c["live"] for c in report["unmanaged_changes"]}
    expected = dict(REPORTED) | ({"is_locked": True, "locked_reason": "audit", "internal_uid": 77}
                                if dialect == "soap" else {})
    assert seen == expected
    assert cli("drift", "--api", cli.url).returncode == 0
    failing = cli("drift", "--fail-on-unmanaged", "--api", cli.url)
    assert failing.returncode == 2 and "not set by the YAML" in failing.stdout

    # Change one managed value of each object, so each is written whole.
    cli.write(config_text(dialect, price="26").replace("url: https://acme.example/leads",
                                                       "url: https://acme.example/v2")
              .replace("Company: Acme Insurance", "Company: Acme Insurance Co"))
    applied = cli("apply", "--auto-approve")
    assert applied.returncode == 0 and "3 updated" in applied.stdout, applied.stdout + applied.stderr
    dump = sandbox.dump()
    for table, changes in edits.items():
        row = next(r for r in dump[table] if r[{"clients": "ClientUID", "methods": "ClientDeliveryUID"}[table]]
                   == ids[table])
        for key, value in changes.items():
            if key == "FieldData":
                assert {"ClientFieldUID": 9, "Value": "Reno"} in row["FieldData"]
            else:
                assert row[key] == value, (table, key)
    quiet = cli("drift", "--fail-on-unmanaged", "--api", cli.url)
    assert quiet.returncode == 0 and quiet.stdout.startswith("No drift"), quiet.stdout


def test_a_state_from_another_leadexec_is_refused(cli: Cli, sandbox: Sandbox) -> None:
    cli.write(config_text("rest"))
    assert cli("apply", "--auto-approve").returncode == 0
    shown = json.loads(cli("state", "show").stdout)
    assert shown["endpoint"]["url"] == sandbox.url
    assert "sandbox-key" not in json.dumps(shown) and "sandbox-secret" not in json.dumps(shown)
    state_file = cli.directory / ".lexsync" / "state.json"
    before = state_file.read_bytes()
    with running_sandbox(SandboxConfig()) as other:
        for command in (["plan"], ["apply", "--auto-approve"], ["drift"]):
            refused = cli(*command, "--api", other, api=False)
            assert refused.returncode == 1, refused.stdout + refused.stderr
            assert f"describes LeadExec at {sandbox.url}" in refused.stderr
            assert f"this run reaches {other}" in refused.stderr and "--state" in refused.stderr
            assert "Traceback" not in refused.stderr
        # The in-process sandbox is another LeadExec too.
        assert cli("plan", "--api", "sandbox", api=False).returncode == 1
        # Import into the directory of this state refuses as well.
        imported = cli("import", "--out", str(cli.directory), "--all", "--api", other)
        assert imported.returncode == 1 and "describes LeadExec at" in imported.stderr
        assert state_file.read_bytes() == before
        # Another state file for the other LeadExec works.
        fresh = cli("plan", "--api", other, "--state", str(cli.directory / "other.json"), api=False)
        assert fresh.returncode == 0, fresh.stderr
        # Same account, new URL: forget the endpoint, and the next apply records the new one.
        assert cli("state", "forget-endpoint").returncode == 0
        assert cli("plan", "--api", other, api=False).returncode == 0
    assert json.loads(state_file.read_text()).get("endpoint") is None


def test_a_state_without_an_endpoint_takes_it_on_its_next_apply(cli: Cli, sandbox: Sandbox) -> None:
    cli.write(config_text("soap"))
    assert cli("apply", "--auto-approve").returncode == 0
    state_file = cli.directory / ".lexsync" / "state.json"
    data = json.loads(state_file.read_text())
    del data["endpoint"]  # as an older lexsync wrote it
    state_file.write_text(json.dumps(data))
    assert cli("plan").returncode == 0
    assert "endpoint" not in json.loads(state_file.read_text())  # plan never writes state
    assert cli("apply", "--auto-approve").returncode == 0
    assert set(json.loads(state_file.read_text())["endpoint"]) == {"url", "api_key", "client_id"}
