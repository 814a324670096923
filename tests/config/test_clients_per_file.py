"""Each file's clients are validated as the file is read, their models sharing field sets."""

from __future__ import annotations

from pathlib import Path

import pytest

from lexsync.config import load_configuration
from lexsync.config.models import Configuration
from lexsync.errors import ConfigError

from .conftest import BASE, write

SETTINGS = """\
lead_types: [Auto Insurance]
client_groups:
  premium: {description: Premium buyers, display_order: 1}
"""


def client_file(key: str, price: str = "25", extra: str = "") -> str:
    return f"""\
clients:
  {key}:
    group: premium
    username: {key}-portal
    delivery_methods:
      post:
        type: http_post
        lead_type: Auto Insurance
        url: https://{key}.example/leads
        field_mappings:
          - {{name: first_name, lead_field: FirstName}}
          - {{name: last_name, lead_field: LastName}}
    delivery_accounts:
      ca:
        method: post
        price: {price}{extra}
"""


def locations(caught: pytest.ExceptionInfo[ConfigError]) -> list[str]:
    return [f"{Path(d.location.file).name}:{d.location.line}: {d.summary}" if d.location
            else d.summary for d in caught.value.diagnostics]


def test_a_folder_loads_as_one_merged_validation_did(tmp_path: Path) -> None:
    write(tmp_path, "lexsync.yaml", SETTINGS)
    for key in ("acme", "bolt"):
        write(tmp_path, f"{key}.yaml", client_file(key))
    loaded = load_configuration(tmp_path, {})
    assert list(loaded.model.clients) == ["acme", "bolt"]
    # The same models a validation of the merged data gives, field by field and fields set.
    merged = Configuration.model_validate(
        {"clients": {key: loaded.model.clients[key].model_dump(by_alias=True, exclude_unset=True)
                     for key in ("acme", "bolt")}}, by_alias=True)
    for key in ("acme", "bolt"):
        ours, theirs = loaded.model.clients[key], merged.clients[key]
        assert ours == theirs
        assert ours.model_fields_set == theirs.model_fields_set
        assert ours.delivery_accounts["ca"].model_fields_set == {"method", "price"}
    assert loaded.model.lead_types == ["Auto Insurance"]
    assert "clients" in loaded.model.model_fields_set


def test_models_with_the_same_fields_share_one_set(tmp_path: Path) -> None:
    write(tmp_path, "lexsync.yaml", SETTINGS)
    for key in ("acme", "bolt"):
        write(tmp_path, f"{key}.yaml", client_file(key))
    clients = load_configuration(tmp_path, {}).model.clients
    accounts = [a for c in clients.values() for a in c.delivery_accounts.values()]
    assert len(accounts) == 2
    assert len({id(a.model_fields_set) for a in accounts}) == 1
    assert clients["acme"].model_fields_set is clients["bolt"].model_fields_set


def test_field_mappings_are_slotted_and_keep_no_fields_set(tmp_path: Path) -> None:
    """A buyer's many mappings hold their values in slots (no dict of every field each)."""
    write(tmp_path, "lexsync.yaml", SETTINGS)
    write(tmp_path, "acme.yaml", client_file("acme"))
    mapping = load_configuration(tmp_path, {}).model.clients["acme"].delivery_methods["post"] \
        .field_mappings[0]
    assert (mapping.name, mapping.lead_field, mapping.static) == ("first_name", "FirstName", None)
    assert not hasattr(mapping, "__dict__")


def test_a_copy_gets_its_own_fields_set_and_a_shared_one_cannot_change(tmp_path: Path) -> None:
    write(tmp_path, "lexsync.yaml", SETTINGS)
    for key in ("acme", "bolt"):
        write(tmp_path, f"{key}.yaml", client_file(key))
    clients = load_configuration(tmp_path, {}).model.clients
    account = clients["acme"].delivery_accounts["ca"]
    copied = account.model_copy(update={"status": "Open"})
    assert copied.model_fields_set == {"method", "price", "status"}
    assert account.model_fields_set == {"method", "price"}
    assert clients["bolt"].delivery_accounts["ca"].model_fields_set == {"method", "price"}
    with pytest.raises(TypeError, match="model_copy"):
        account.price = 30  # would change every sibling's fields set


def test_problems_of_several_files_come_together_in_file_order(tmp_path: Path) -> None:
    write(tmp_path, "lexsync.yaml", SETTINGS + "routing: {nonsense: 1}\n")
    write(tmp_path, "acme.yaml", client_file("acme", price="cheap"))
    write(tmp_path, "bolt.yaml", client_file("bolt", extra="\n        colour: red"))
    with pytest.raises(ConfigError) as caught:
        load_configuration(tmp_path, {})
    found = locations(caught)
    assert [line.split(":")[0] for line in found] == ["acme.yaml", "bolt.yaml", "lexsync.yaml"]
    assert found[0] == "acme.yaml:16: expected a number, got 'cheap'"
    assert found[1].startswith("bolt.yaml:17:") and "colour" in found[1]
    assert "nonsense" in found[2]


def test_a_client_defined_twice_is_reported_once_as_a_clash(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", SETTINGS)
    write(tmp_path, "b.yaml", client_file("acme"))
    write(tmp_path, "c.yaml", client_file("acme", price="cheap"))
    with pytest.raises(ConfigError) as caught:
        load_configuration(tmp_path, {})
    found = locations(caught)
    assert len(found) == 1 and found[0].startswith("c.yaml:2:") and "defined twice" in found[0]


def test_an_unset_variable_that_leaves_a_client_value_invalid_is_an_error(tmp_path: Path) -> None:
    text = BASE.replace("price: 25", "price: ${env:ACME_PRICE}")
    write(tmp_path, "lexsync.yaml", text)
    with pytest.raises(ConfigError) as caught:
        load_configuration(tmp_path, {}, need_variables=False)
    found = locations(caught)
    assert len(found) == 1 and "ACME_PRICE" in found[0], found


def test_a_variable_unset_in_every_file_is_located_in_the_first_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `validate` runs without the secrets: each client's password is a reference to a variable
    # that is not set. The warning names the first reference; only its file is parsed again
    # for positions (each file's, all held, was most of a large network's validate).
    from lexsync.config import loader

    parsed: list[str] = []

    def parse_yaml(text: str, display: str):  # type: ignore[no-untyped-def]
        parsed.append(display)
        return real_parse_yaml(text, display)

    real_parse_yaml = loader.parse_yaml
    monkeypatch.setattr(loader, "parse_yaml", parse_yaml)
    write(tmp_path, "a.yaml", SETTINGS)
    for key in ("bolt", "acme", "crane"):
        write(tmp_path, f"{key}.yaml", client_file(key).replace(
            f"username: {key}-portal", f"username: {key}-portal\n    password: ${{env:PW}}"))
    loaded = load_configuration(tmp_path, {}, need_variables=False)
    [warning] = loaded.warnings
    assert str(warning) == (f"{tmp_path / 'acme.yaml'}:5:15: environment variable PW is not set "
                            "(referenced here and 2 more places); plan and apply need it")
    assert [Path(p).name for p in parsed] == ["acme.yaml"]

    # An unset variable that leaves a value invalid is an error where it is referenced; the
    # files referencing others are not parsed again.
    parsed.clear()
    write(tmp_path, "crane.yaml", client_file("crane", price="${env:PRICE}"))
    with pytest.raises(ConfigError) as caught:
        load_configuration(tmp_path, {}, need_variables=False)
    found = locations(caught)
    assert len(found) == 1 and found[0].startswith("crane.yaml:16:") and "PRICE" in found[0], found
    assert [Path(p).name for p in parsed] == ["crane.yaml"]


def test_a_variable_a_run_needs_is_one_error_however_many_files_reference_it(
        tmp_path: Path) -> None:
    # A plan needs the secrets: an unset one is an error, told once at its first reference,
    # and the values it leaves empty are not reported again as invalid.
    write(tmp_path, "a.yaml", SETTINGS)
    for key in ("bolt", "acme", "crane"):
        write(tmp_path, f"{key}.yaml", client_file(key, price="${env:PRICE}").replace(
            f"username: {key}-portal", f"username: {key}-portal\n    password: ${{env:PW}}"))
    with pytest.raises(ConfigError) as caught:
        load_configuration(tmp_path, {})
    assert locations(caught) == [
        "acme.yaml:5: environment variable PW is not set (referenced as ${env:PW} here and 2 "
        "more places)",
        "acme.yaml:17: environment variable PRICE is not set (referenced as ${env:PRICE} here "
        "and 2 more places)"]
    # One reference: told as it always was.
    write(tmp_path, "crane.yaml", client_file("crane", extra="\n        agent_name: ${env:AGENT}"))
    with pytest.raises(ConfigError) as caught:
        load_configuration(tmp_path, {"PRICE": "25", "PW": "x"})
    assert locations(caught) == [
        "crane.yaml:17: environment variable AGENT is not set (referenced as ${env:AGENT})"]
