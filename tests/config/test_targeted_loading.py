"""A load for some clients (a targeted run) reads whole only the files that may hold them or
hold anything else; a file of other clients only is scanned, not parsed or validated."""

from __future__ import annotations

from pathlib import Path

import pytest

from lexsync.config import load_configuration
from lexsync.errors import ConfigError

SETTINGS = """lexsync:
  dialect: rest
client_groups:
  premium: {description: Premium buyers, display_order: 1}
"""
ACME = """clients:
  acme:
    group: premium
    username: acme-portal
"""
ZETA = """clients:
  zeta:
    username: zeta-portal
"""


def folder(tmp_path: Path, **files: str) -> Path:
    for name, text in {"lexsync": SETTINGS, "acme": ACME, "zeta": ZETA, **files}.items():
        (tmp_path / f"{name}.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_files_of_other_clients_only_are_left_out(tmp_path: Path) -> None:
    loaded = load_configuration(folder(tmp_path), {}, clients={"acme"})
    assert list(loaded.model.clients) == ["acme"]
    assert list(loaded.model.client_groups) == ["premium"]
    assert loaded.skipped == [tmp_path / "zeta.yaml"]
    assert list(load_configuration(tmp_path, {}).model.clients) == ["acme", "zeta"]


@pytest.mark.parametrize("broken", [
    "clients:\n  zeta:\n    username: [unclosed\n",  # YAML syntax
    "clients:\n  zeta:\n    username: zeta\n    status: Sleeping\n",  # invalid value
    "clients:\n  zeta:\n    username: ${env:UNSET_VARIABLE}\n",  # unset variable
])
def test_a_problem_in_a_file_of_other_clients_does_not_stop_a_targeted_load(
        tmp_path: Path, broken: str) -> None:
    folder(tmp_path, zeta=broken)
    assert list(load_configuration(tmp_path, {}, clients={"acme"}).model.clients) == ["acme"]
    with pytest.raises(ConfigError):
        load_configuration(tmp_path, {})  # a full load reports it
    with pytest.raises(ConfigError):
        load_configuration(tmp_path, {}, clients={"zeta"})


def test_a_targeted_client_defined_twice_is_still_refused(tmp_path: Path) -> None:
    folder(tmp_path, again=ACME)
    with pytest.raises(ConfigError, match="clients.acme is defined twice"):
        load_configuration(tmp_path, {}, clients={"acme"})


def test_a_file_the_scan_cannot_read_is_loaded_whole(tmp_path: Path) -> None:
    folder(tmp_path, zeta="clients: {zeta: {username: zeta, status: Sleeping}}\n")
    with pytest.raises(ConfigError, match="Sleeping"):
        load_configuration(tmp_path, {}, clients={"acme"})


def test_a_file_holding_settings_is_loaded_whole(tmp_path: Path) -> None:
    folder(tmp_path, lexsync=SETTINGS + ZETA.replace("zeta", "omega"))
    loaded = load_configuration(tmp_path, {}, clients={"acme"})
    assert sorted(loaded.model.clients) == ["acme", "omega"]
    assert loaded.skipped == [tmp_path / "zeta.yaml"]


def test_a_targeted_client_naming_an_unknown_group_is_reported(tmp_path: Path) -> None:
    folder(tmp_path, acme=ACME.replace("premium", "gold"))
    with pytest.raises(ConfigError, match="client group 'gold' is not defined"):
        load_configuration(tmp_path, {}, clients={"acme"})


def test_one_file_is_always_loaded_whole(tmp_path: Path) -> None:
    (tmp_path / "lexsync.yaml").write_text(ZETA, encoding="utf-8")
    loaded = load_configuration(tmp_path / "lexsync.yaml", {}, clients={"acme"})
    assert list(loaded.model.clients) == ["zeta"] and loaded.skipped == []
