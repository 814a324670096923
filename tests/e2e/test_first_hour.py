"""What a new user meets in the first hour: each friction, driven through the real CLI."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from tests.e2e.conftest import CREDENTIALS, PORTAL_PASSWORD, Cli, Sandbox, config_text

ROOT = Path(__file__).resolve().parents[2]
NO_CREDENTIALS = {name: "" for name in CREDENTIALS}


def output(result) -> str:
    return result.stdout + result.stderr


def clean(result, code: int = 0) -> str:
    text = output(result)
    assert result.returncode == code, text
    assert "Traceback" not in text
    return text


def project(cli: Cli, name: str = "project", text: str | None = None) -> Path:
    folder = cli.directory / name
    folder.mkdir()
    (folder / "lexsync.yaml").write_text(text or config_text("rest"), encoding="utf-8")
    return folder


# 1. import --api sandbox reads the sandbox of the configuration worked on, and says so.
def test_import_from_the_sandbox_of_the_configuration_named_by_c(cli: Cli) -> None:
    folder = project(cli)
    clean(cli("apply", "-c", "project", "--api", "sandbox", "--auto-approve", api=False))
    text = clean(cli("import", "--out", "imported", "--all", "--api", "sandbox", "-c",
                     "project/lexsync.yaml"))
    assert "Imported 1 client, 1 client group, 1 delivery method, 2 delivery accounts from the " \
           "sandbox at project/.lexsync/sandbox.db into imported." in text, text
    assert not (cli.directory / "imported" / ".lexsync" / "sandbox.db").exists()
    assert (folder / ".lexsync" / "sandbox.db").exists()


def test_import_from_no_sandbox_is_a_warning_that_says_why(cli: Cli) -> None:
    text = clean(cli("import", "--out", "imported", "--all", "--api", "sandbox"))
    assert "Warning: nothing was imported: there is no sandbox at .lexsync/sandbox.db" in text
    assert "Next:" not in text and not (cli.directory / ".lexsync").exists()


# 2. The saved-plan hint is a command that works: the plan remembers its LeadExec.
def test_saved_plan_hint_is_a_command_that_works(cli: Cli) -> None:
    project(cli)
    text = clean(cli("plan", "-c", "project", "--api", "sandbox", "--out", "p.plan", api=False))
    hint = re.search(r"Apply exactly it with: (lexsync apply .*)$", text, re.MULTILINE)
    assert hint, text
    assert hint.group(1) == "lexsync apply -c project p.plan"
    assert "sandbox" in json.loads((cli.directory / "p.plan").read_text())["api"]
    applied = clean(cli(*hint.group(1).split()[1:], api=False, env=NO_CREDENTIALS))
    assert "Apply complete! Resources: 5 created" in applied


def test_saved_plan_refuses_another_leadexec(cli: Cli) -> None:
    project(cli)
    clean(cli("plan", "-c", "project", "--api", "sandbox", "--out", "p.plan", api=False))
    text = clean(cli("apply", "-c", "project", "p.plan", "--api", cli.url, api=False), 1)
    assert "p.plan was made against the sandbox, but --api names " + cli.url in text


# 3. A failed apply states one outcome, once.
def test_failed_apply_states_one_outcome_and_no_repeated_address(cli: Cli, sandbox: Sandbox) -> None:
    blocker = project(cli, "blocker", "lexsync: {dialect: rest}\nclients:\n  blocker:\n    "
                      "status: Active\n    username: acme-portal\n    password: ${env:PORTAL_PASSWORD}\n")
    clean(cli("apply", "-c", str(blocker), "--auto-approve"))
    cli.write(config_text("rest"))
    text = clean(cli("apply", "--auto-approve"), 1)
    assert "Apply complete!" not in text and "Apply incomplete!" not in text
    assert text.count("Error:") == 1, text
    assert "Error: apply incomplete: 1 call failed, 3 not attempted." in text, text
    failure = next(line for line in text.splitlines() if line.startswith("client.acme:"))
    assert failure.count("client.acme") == 1, failure


# 4. A misspelled lead type is a located configuration error; an unused one is a warning.
def test_misspelled_lead_type_is_located(cli: Cli) -> None:
    text = config_text("rest").replace("lead_type: Auto Insurance", "lead_type: Auto Insurence")
    text = text.replace("lead_types: [Auto Insurance]", "lead_types: [Auto Insurence]")
    cli.write(text)
    assert "valid" in clean(cli("validate"))
    result = clean(cli("plan"), 1)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "lead_type: Auto" in row)
    assert f"lexsync.yaml:{line}:" in result and "unknown lead type 'Auto Insurence'" in result
    assert "did you mean 'Auto Insurance'" in result and "internal error" not in result


def test_unused_unknown_lead_type_is_a_warning(cli: Cli) -> None:
    cli.write(config_text("rest").replace("lead_types: [Auto Insurance]",
                                          "lead_types: [Auto Insurance, Hme Insurance]"))
    text = clean(cli("plan"))
    assert "Warning: lexsync.yaml:3:30: " in text and "unknown lead type 'Hme Insurance'" in text
    assert "no delivery method uses it" in text


# 5. Missing credentials say where lexsync was going and how to try it without an account.
def test_missing_credentials_explain_the_default_and_the_sandbox(cli: Cli) -> None:
    cli.write(config_text("rest"))
    text = clean(cli("plan", api=False, env=NO_CREDENTIALS), 1)
    assert "https://api.leadexec.net (the real LeadExec, the default)" in text
    assert "LEADEXEC_API_KEY, LEADEXEC_CLIENT_ID, LEADEXEC_CLIENT_SECRET" in text
    assert "--api sandbox" in text


def test_a_bad_api_url_is_refused_before_credentials(cli: Cli) -> None:
    cli.write(config_text("rest"))
    for args, env, source in ((("--api", "htp://foo"), {}, "--api"),
                              ((), {"LEXSYNC_API": "htp://foo"}, "LEXSYNC_API")):
        text = clean(cli("plan", *args, api=False, env={**NO_CREDENTIALS, **env}), 1)
        assert f"Error: {source}: LeadExec base URL 'htp://foo' is not an http(s) URL" in text
        assert "credentials" not in text


# 6. init names every secret; validate needs no secret values and warns once per variable.
def test_init_names_the_secret_variables(cli: Cli) -> None:
    text = clean(cli("init"))
    assert "ACME_PORTAL_PASSWORD" in text


def test_validate_warns_once_per_unset_secret(cli: Cli) -> None:
    shutil.copytree(ROOT / "examples" / "insurance-network", cli.directory / "network")
    cli.env.pop("NETWORK_PORTAL_PASSWORD", None)
    text = clean(cli("validate", "-c", "network"))
    assert text.count("NETWORK_PORTAL_PASSWORD") == 1, text
    assert "Warning: network/auto-buyers.yaml:8:15: environment variable NETWORK_PORTAL_PASSWORD " \
           "is not set (referenced here and 8 more places); plan and apply need it" in text
    assert "The configuration is valid" in text


# 8. A folder of lexsync YAML files is the configuration, like Terraform's *.tf.
def test_a_folder_of_files_is_found_without_c(cli: Cli) -> None:
    folder = cli.directory / "network"
    shutil.copytree(ROOT / "examples" / "insurance-network", folder)
    runner = Cli(folder, cli.url)
    runner.env.update({name: "pw" for name in _variables(folder)})
    text = clean(runner("plan"))
    assert "Plan: " in text and "to create" in text
    assert "client.harbor-mutual" in text  # from a file other than network.yaml


def _variables(folder: Path) -> set[str]:
    return {m for f in folder.glob("*.yaml") for m in re.findall(r"\$\{env:(\w+)\}", f.read_text())}


# 9. The smaller ones.
def test_counts_are_singular_when_one(cli: Cli) -> None:
    cli.write(config_text("rest", with_second_account=False))
    text = clean(cli("validate"))
    assert "1 client group, 1 client, 1 delivery method, 1 delivery account." in text


def test_removed_static_mapping_renders_as_one_entry(cli: Cli) -> None:
    cli.write(config_text("rest"))
    clean(cli("apply", "--auto-approve"))
    cli.write(config_text("rest").replace("          - {name: src, static: lexsync}\n", ""))
    text = clean(cli("plan"))
    assert '- field_mappings[src] = { source = "static", value = "lexsync" }' in text, text
    assert "-> null" not in text


def test_retirement_plan_notes_once(cli: Cli) -> None:
    cli.write(config_text("rest"))
    clean(cli("apply", "--auto-approve"))
    cli.write(config_text("rest", with_second_account=False))
    text = clean(cli("plan"))
    assert "will be retired" in text
    assert text.count("caps.week, alternate_posting, offer") == 1, text


def test_drift_lists_what_lexsync_closed_apart_from_unmanaged(cli: Cli) -> None:
    cli.write(config_text("rest"))
    clean(cli("apply", "--auto-approve"))
    cli.write(config_text("rest", with_second_account=False))
    clean(cli("apply", "--auto-approve"))
    text = clean(cli("drift", "--api", cli.url, api=False))
    assert "never changed by lexsync" not in text
    assert "Closed or disabled live objects not in the YAML or state" in text
    assert "Unmanaged live objects" not in text


def test_state_show_with_a_missing_state_file(cli: Cli) -> None:
    missing = cli.directory / "nonexist.json"
    text = clean(cli("state", "show", "client.acme", "--state", str(missing)), 1)
    assert f"no such state file: {missing}" in text


def test_a_tab_indent_is_named(cli: Cli) -> None:
    cli.write("lexsync:\n\tdialect: rest\n")
    text = clean(cli("validate"), 1)
    assert "lexsync.yaml:2:1: YAML syntax error: tabs are not allowed for indentation" in text


def test_between_message_shows_its_example(cli: Cli) -> None:
    cli.write(config_text("rest", age="25"))
    text = clean(cli("validate"), 1)
    assert "Between needs a list of two values: [low, high]" in text


def test_a_plaintext_password_is_a_warning(cli: Cli) -> None:
    cli.write(config_text("rest").replace("${env:PORTAL_PASSWORD}", "hunter2hunter2"))
    text = clean(cli("validate"))
    assert "Warning: lexsync.yaml:11:15: " in text and "clients.acme.password is written in plain " \
           "text" in text
    assert "hunter2hunter2" not in text


# Issue 21, row 9: a folder import wrote plans as a whole from inside it, and a plan that
# retires everything state manages stops.
def test_a_folder_import_wrote_plans_from_inside_it(cli: Cli) -> None:
    cli.write(config_text("rest"))
    clean(cli("apply", "--auto-approve"))
    clean(cli("import", "--out", "out", "--all", "--api", cli.url))
    inside = Cli(cli.directory / "out", cli.url)
    variables = re.findall(r"\$\{env:(\w+)\}", "".join(
        p.read_text() for p in (cli.directory / "out").glob("*.yaml")))
    inside.env.update({name: PORTAL_PASSWORD for name in variables})
    text = clean(inside("plan"))
    assert "No changes. LeadExec matches the configuration." in text, text


def test_a_plan_retiring_everything_stops_and_says_why(cli: Cli) -> None:
    cli.write(config_text("rest"))
    clean(cli("apply", "--auto-approve"))
    clean(cli("import", "--out", "out", "--all", "--api", cli.url))
    inside = Cli(cli.directory / "out", cli.url)
    text = clean(inside("plan", "-c", "lexsync.yaml"), 1)
    assert "this plan retires all 5 resources the state manages" in text, text
    assert "The folder also holds" in text and "pass -c . (the folder)" in text and "--retire-all" in text
    assert clean(inside("apply", "-c", "lexsync.yaml", "--auto-approve"), 1).count(
        "retires all 5 resources") == 1


def test_retiring_everything_on_purpose_takes_retire_all(cli: Cli, sandbox: Sandbox) -> None:
    cli.write(config_text("rest"))
    clean(cli("apply", "--auto-approve"))
    cli.write("lexsync:\n  dialect: rest\n")
    assert "this plan retires all 5 resources" in clean(cli("plan"), 1)
    assert "5 to retire" in clean(cli("plan", "--retire-all"))
    clean(cli("plan", "--retire-all", "--out", "all.plan"))
    text = clean(cli("apply", "all.plan", "--force", "--allow-retire", api=False))
    assert "Apply complete! Resources: 0 created, 0 updated, 5 retired." in text
    assert all(c["Status"] == "Closed" for c in sandbox.dump()["clients"])
