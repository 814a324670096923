"""Adopting a hand-made account end to end: the real CLI against the sandbox on a socket."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, Sandbox
from tests.import_drift.e2e import import_account, run
from tests.import_drift.populate import Populated, populate

pytestmark = pytest.mark.e2e


@pytest.fixture
def imported(cli: Cli, sandbox: Sandbox) -> tuple[Populated, Path, dict[str, str]]:
    return import_account(cli, sandbox)


def test_import_then_plan_is_empty_and_secrets_stay_out(cli: Cli, sandbox: Sandbox, imported) -> None:
    populated, out, env = imported
    assert len(list(out.glob("client-*.yaml"))) == 22
    text = "".join(p.read_text() for p in out.glob("*.yaml"))
    assert not any(pw in text for pw in populated.passwords.values())
    assert not any(pw in text for pw in populated.ftp_passwords.values())
    # No read shows WeekMax, AlternatePosting or the offer: never a value, only placeholders.
    state = json.loads((out / ".lexsync" / "state.json").read_text())
    accounts = [r for r in state["resources"].values() if r["kind"] == "delivery_account"]
    values = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert "week" not in values and "alternate_posting" not in values and "offer" not in values
    for key in ("caps.week:", "alternate_posting:", "offer:"):
        assert text.count(f"#   {key}") == len(accounts), key
    assert not any("week" in r["attributes"]["caps"] or "offer" in r["attributes"] for r in accounts)
    state_text = (out / ".lexsync" / "state.json").read_text()
    assert not any(pw in state_text for pw in populated.passwords.values())
    sandbox.reset_requests()
    result = run(cli, "plan", "--detailed-exitcode", "-c", str(out), env=env)
    assert "No changes" in result.stdout
    assert sandbox.writes() == {}
    # Without the variables the configuration names what is missing.
    missing = cli("plan", "-c", str(out), "--api", cli.url)
    assert missing.returncode == 1 and "LEXSYNC_PW_" in missing.stderr


def test_three_changes_by_hand_are_reported_as_drift_and_apply_restores(
        cli: Cli, sandbox: Sandbox, imported) -> None:
    populated, out, env = imported
    assert run(cli, "drift", "-c", str(out), env=env).stdout.startswith("No drift")
    dump = sandbox.dump()
    account = next(a for a in dump["accounts"] if a["ClientAccountUID"] == populated.account_ids[1])
    method = next(m for m in dump["methods"] if m["ClientDeliveryUID"] == populated.method_ids[0])
    sandbox.mutate("accounts", account["ClientAccountUID"], Price=99.5)
    sandbox.mutate("methods", method["ClientDeliveryUID"], DeliveryAddress="https://hijacked.example")
    sandbox.mutate("clients", populated.client_ids[3], Notes="edited in the UI")
    sandbox.reset_requests()
    before = (out / ".lexsync" / "state.json").read_bytes()

    result = run(cli, "drift", "-c", str(out), "--format", "json", env=env, ok=(2,))
    report = json.loads(result.stdout)
    changed = sorted((r["address"].split(".")[-2] if r["kind"] != "client" else "client", a["path"], a["live"],
                      a["origin"]) for r in report["resources"] for a in r["attributes"])
    assert changed == [("client", "notes", "edited in the UI", "outside"),
                       ("delivery_account", "price", 99.5, "outside"),
                       ("delivery_method", "url", "https://hijacked.example", "outside")]
    assert sandbox.writes() == {}
    assert (out / ".lexsync" / "state.json").read_bytes() == before  # drift never writes state
    assert not (out / ".lexsync" / "state.json.lock").exists()

    text = run(cli, "drift", "-c", str(out), env=env, ok=(2,)).stdout
    assert "price: yaml 10" not in text and "changed outside lexsync" in text
    markdown = out.parent / "drift.md"
    run(cli, "drift", "-c", str(out), "--format", "markdown", "--out", str(markdown), env=env, ok=(2,))
    assert "| `price` |" in markdown.read_text()

    # Putting the price back writes the whole account, whose weekly cap, AlternatePosting
    # and offer no read shows: refused, naming them, until the YAML declares them.
    [account_address] = [r["address"] for r in report["resources"] if r["kind"] == "delivery_account"]
    refused = cli("apply", "--auto-approve", "-c", str(out), "--api", cli.url, env=env)
    assert refused.returncode == 1 and sandbox.writes() == {}
    for key in ("caps.week", "alternate_posting", "offer"):
        assert f"{account_address}: {key} is unknown" in refused.stderr
    assert f"apply would refuse: {account_address}: caps.week is unknown" in text
    declare(out, account_address, ["alternate_posting: ~", "offer: none"], week=-1)

    result = run(cli, "apply", "--auto-approve", "-c", str(out), env=env)
    assert "0 created, 3 updated, 0 retired" in result.stdout
    assert run(cli, "drift", "-c", str(out), env=env).stdout.startswith("No drift")


def declare(out: Path, address: str, lines: list[str], week: int | None = None) -> None:
    """Declare values under an imported account, as a person uncommenting its placeholders."""
    _, client, _, account = address.split(".")
    path = out / f"client-{client}.yaml"
    text = path.read_text()
    head = f"      {account}:\n"
    start = text.index(head) + len(head)
    text = text[:start] + "".join(f"        {line}\n" for line in lines) + text[start:]
    if week is not None:
        end = text.index("\n      ", start + 1) if "\n      " in text[start + 1:] else len(text)
        block = text[start:end]
        if "caps: {" in block:
            block = block.replace("caps: {", f"caps: {{week: {week}, ", 1)
        else:
            block = f"        caps: {{week: {week}}}\n" + block
        text = text[:start] + block + text[end:]
    path.write_text(text)


def test_state_lost_then_adopt_matches_everything_and_creates_nothing(
        cli: Cli, sandbox: Sandbox, imported) -> None:
    _, out, env = imported
    shutil.rmtree(out / ".lexsync")
    plan = run(cli, "plan", "--adopt", "--json", "-c", str(out), env=env).stdout
    actions = {c["change"]["actions"][0] for c in json.loads(plan)["resource_changes"]}
    assert actions == {"no-op"}
    sandbox.reset_requests()
    run(cli, "apply", "--adopt", "--auto-approve", "-c", str(out), env=env)
    assert sandbox.writes() == {}
    state = json.loads((out / ".lexsync" / "state.json").read_text())
    assert len([r for r in state["resources"].values() if r["kind"] == "client"]) == 22
    # Recorded: a plain plan now knows every object without --adopt.
    assert "No changes" in run(cli, "plan", "--detailed-exitcode", "-c", str(out), env=env).stdout


def test_import_is_deterministic_and_reimport_keeps_user_edits(cli: Cli, sandbox: Sandbox, imported) -> None:
    populated, out, env = imported
    again = cli.directory / "again"
    run(cli, "import", "--out", str(again), "--all")
    names = sorted(p.name for p in out.glob("*.yaml"))
    assert names == sorted(p.name for p in again.glob("*.yaml"))
    for name in names:
        assert (out / name).read_bytes() == (again / name).read_bytes(), name

    target = next(out.glob("client-acme-insurance.yaml"))
    text = target.read_text()
    edited = text.replace("    status: Active\n", "    # our best buyer\n    status: Active\n", 1)
    target.write_text(edited)
    account_id = populated.account_ids[0]
    sandbox.mutate("accounts", account_id, Price=42)
    run(cli, "import", "--out", str(out), "--client", "buyer00@example.com")
    updated = target.read_text()
    assert "# our best buyer" in updated
    assert updated == edited.replace("price: 10\n", "price: 42\n", 1)
    assert "No changes" in run(cli, "plan", "--detailed-exitcode", "-c", str(out), env=env).stdout


def test_import_one_object_into_state(cli: Cli, sandbox: Sandbox) -> None:
    populated = populate(sandbox.url, count=2)
    cli.write("""lexsync: {dialect: rest}
lead_types: [Auto Insurance]
clients:
  first:
    username: buyer00@example.com
    status: Active
    notes: managed now
""")
    result = run(cli, "import", "client.first", str(populated.client_ids[0]))
    assert f"Imported client.first (ID {populated.client_ids[0]})" in result.stdout
    plan = json.loads(run(cli, "plan", "--json").stdout)
    [change] = plan["resource_changes"]
    assert change["change"]["actions"] == ["update"]
    code = run(cli, "drift", ok=(2,)).stdout
    assert "notes" in code and "YAML change not applied" in code
    again = cli("import", "client.first", str(populated.client_ids[0]), "--api", cli.url)
    assert again.returncode == 1 and "already in state" in again.stderr
    wrong = cli("import", "client.first", "999999", "--api", cli.url)
    assert wrong.returncode == 1


def test_import_of_one_client_reads_only_its_files(cli: Cli, sandbox: Sandbox, imported) -> None:
    _populated, out, _env = imported
    target = next(out.glob("client-acme-insurance.yaml"))
    other = next(p for p in sorted(out.glob("client-*.yaml")) if p != target)
    # Another client's file broken by hand: the import of one client does not read it.
    other.write_text(other.read_text().replace("    username:", "    no_such_key: 1\n    username:", 1))
    # Another's not even YAML inside the client: not parsed to import this one, and left as it is.
    third = next(p for p in sorted(out.glob("client-*.yaml")) if p not in (target, other))
    broken = third.read_text().replace("    username:", "    notes: [not closed\n    username:", 1)
    third.write_text(broken)
    result = run(cli, "import", "--out", str(out), "--client", "buyer00@example.com")
    assert "Imported 1 client" in result.stdout
    assert third.read_text() == broken


def test_drift_of_one_client_reads_and_reports_that_client(cli: Cli, sandbox: Sandbox, imported) -> None:
    populated, out, env = imported
    state = json.loads((out / ".lexsync" / "state.json").read_text())
    keys = {r["remote_id"]: a.split(".")[1] for a, r in state["resources"].items() if r["kind"] == "client"}
    [priced] = [a for a, r in state["resources"].items() if r["remote_id"] == populated.account_ids[1]
                and r["kind"] == "delivery_account"]
    checked, other = keys[populated.client_ids[3]], priced.split(".")[1]
    assert checked != other
    sandbox.mutate("clients", populated.client_ids[3], Notes="edited in the UI")
    sandbox.mutate("accounts", populated.account_ids[1], Price=99.5)
    sandbox.reset_requests()
    full = run(cli, "drift", "-c", str(out), "--format", "json", env=env, ok=(2,))
    full_reads = sum(sandbox.requests().values())
    assert {r["address"] for r in json.loads(full.stdout)["resources"]} == {f"client.{checked}", priced}

    sandbox.reset_requests()
    result = run(cli, "drift", "-c", str(out), "--format", "json", "--target", f"client.{checked}",
                 env=env, ok=(2,))
    report = json.loads(result.stdout)
    assert [r["address"] for r in report["resources"]] == [f"client.{checked}"]
    assert any(note.startswith(f"checked only client.{checked}:") for note in report["notes"])
    assert "--target checks only what it names" in result.stderr
    assert sandbox.writes() == {}
    assert sum(sandbox.requests().values()) < full_reads / 4  # one client's reads, not 22's
    # A client without drift: a targeted check of it is clean, whatever the others show.
    quiet = next(k for k in keys.values() if k not in (checked, other))
    assert run(cli, "drift", "-c", str(out), "--target", f"client.{quiet}", env=env).stdout \
        .startswith("No drift")


def test_import_of_one_client_reads_that_client_alone(cli: Cli, sandbox: Sandbox, imported) -> None:
    populated, out, _env = imported
    # A username, a YAML key or an ID is found in the client list: one client's reads.
    for name in ("buyer01@example.com", "blue-sky-auto", str(populated.client_ids[1])):
        sandbox.reset_requests()
        assert "Imported 1 client" in run(cli, "import", "--out", str(out), "--client", name).stdout
        reads = sandbox.requests()
        assert (reads.get("GetClientList"), reads.get("GetClientAccounts"), reads.get("GetClientData")) \
            == (1, 1, 1), name
    # A company is looked for only when no client has the name as its ID, key or username:
    # every client's field data then, one client's accounts.
    sandbox.reset_requests()
    assert "Imported 1 client" in run(cli, "import", "--out", str(out), "--client", "Blue Sky Auto").stdout
    reads = sandbox.requests()
    assert (reads.get("GetClientAccounts"), reads.get("GetClientData")) == (1, len(populated.client_ids))
    ambiguous = cli("import", "--out", str(out), "--client", "Acme Insurance", "--api", cli.url)
    assert ambiguous.returncode == 1 and "'Acme Insurance' matches 2 clients" in ambiguous.stderr
    # The first kind of name a client has decides: another's username before any company.
    sandbox.mutate("clients", populated.client_ids[3], Username="Blue Sky Auto")
    sandbox.reset_requests()
    run(cli, "import", "--out", str(out), "--client", "Blue Sky Auto")
    assert sandbox.requests().get("GetClientData") == 1
    state = json.loads((out / ".lexsync" / "state.json").read_text())
    [address] = [a for a, r in state["resources"].items()
                 if r["kind"] == "client" and r["remote_id"] == populated.client_ids[3]]
    assert state["resources"][address]["attributes"]["username"] == "Blue Sky Auto"


def test_import_of_one_object_reads_only_the_files_of_its_client(
        cli: Cli, sandbox: Sandbox, imported) -> None:
    populated, out, env = imported
    other = next(p for p in sorted(out.glob("client-*.yaml")) if p.name != "client-acme-insurance.yaml")
    broken = other.read_text().replace("    username:", "    notes: [not closed\n    username:", 1)
    assert cli("state", "rm", "client.acme-insurance", "-c", str(out)).returncode == 0
    other.write_text(broken)  # another client's file: a targeted load does not parse it
    result = run(cli, "import", "client.acme-insurance", str(populated.client_ids[0]), "-c", str(out),
                 env=env)
    assert f"Imported client.acme-insurance (ID {populated.client_ids[0]})" in result.stdout
    assert other.read_text() == broken
    state = json.loads((out / ".lexsync" / "state.json").read_text())
    assert state["resources"]["client.acme-insurance"]["remote_id"] == populated.client_ids[0]
