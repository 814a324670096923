from __future__ import annotations

from pathlib import Path

import pytest

from lexsync.config import load_configuration
from lexsync.errors import ConfigError, SourceLocation

from .conftest import BASE, load_text, problems, write


def test_loads_a_file(tmp_path: Path) -> None:
    loaded = load_text(tmp_path, BASE)
    acme = loaded.model.clients["acme"]
    assert acme.password.get_secret_value() == "hunter2"
    assert acme.delivery_accounts["acme-ca"].caps.week == 400
    assert acme.delivery_accounts["acme-ca"].caps.day is None
    assert acme.delivery_methods["acme-post"].schedule[0].from_ == "08:00"
    assert loaded.root == tmp_path
    assert loaded.files == [tmp_path / "lexsync.yaml"]


def test_locate_value_key_and_ancestor(tmp_path: Path) -> None:
    loaded = load_text(tmp_path, BASE)
    file = str(tmp_path / "lexsync.yaml")
    criterion = ("clients", "acme", "delivery_accounts", "acme-ca", "criteria", 0)
    assert loaded.locate(criterion + ("field",)) == SourceLocation(file, 24, 21)
    assert loaded.locate(criterion + ("value", 1)) == SourceLocation(file, 24, 48)
    # a key that does not exist falls back to the nearest ancestor (the criterion mapping)
    assert loaded.locate(criterion + ("expression",)) == SourceLocation(file, 24, 13)
    assert loaded.locate_key(("clients", "acme")) == SourceLocation(file, 5, 3)
    assert loaded.locate(("clients", "acme", "username")) == SourceLocation(file, 7, 15)
    assert loaded.locate(()) == SourceLocation(file, 1, 1)


def test_empty_file_is_an_empty_configuration(tmp_path: Path) -> None:
    loaded = load_text(tmp_path, "# nothing yet\n")
    assert loaded.model.clients == {}
    assert loaded.model.lexsync.dialect == "rest"


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    assert problems(tmp_path, "- a\n- b\n") == [
        "1:1: the top level of a configuration file must be a mapping"]


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_configuration(tmp_path / "nope.yaml", {})


def test_digest_is_stable_and_ignores_secrets(tmp_path: Path) -> None:
    first = load_text(tmp_path, BASE).digest()
    assert load_text(tmp_path, BASE).digest() == first
    assert load_text(tmp_path, BASE.replace("hunter2", "other")).digest() == first
    assert load_text(tmp_path, BASE.replace("price: 25", "price: 26")).digest() != first
    assert len(first) == 64


def test_uses_os_environ_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEXSYNC_TEST_PW", "from-env")
    path = write(tmp_path, "c.yaml", BASE.replace("hunter2", "${env:LEXSYNC_TEST_PW}"))
    loaded = load_configuration(path)
    assert loaded.model.clients["acme"].password.get_secret_value() == "from-env"


class TestDirectory:
    def test_merges_files_in_sorted_order(self, tmp_path: Path) -> None:
        write(tmp_path, "b.yml", """\
            lead_types: [Health]
            clients:
              beta: {username: beta-portal}
            """)
        write(tmp_path, "a.yaml", BASE)
        write(tmp_path, "notes.txt", "not: [yaml")
        write(tmp_path, "sub/c.yaml", "clients: {gamma: {username: g}}\n")  # not recursive
        loaded = load_configuration(tmp_path, {})
        assert loaded.files == [tmp_path / "a.yaml", tmp_path / "b.yml"]
        assert list(loaded.model.clients) == ["acme", "beta"]
        assert loaded.model.lead_types == ["Auto Insurance", "Health"]
        assert loaded.locate(("clients", "beta", "username")) == SourceLocation(
            str(tmp_path / "b.yml"), 3, 20)
        # list items of the second file are shifted after the first file's
        assert loaded.locate(("lead_types", 1)) == SourceLocation(str(tmp_path / "b.yml"), 1, 14)

    def test_same_key_in_two_files_names_both(self, tmp_path: Path) -> None:
        write(tmp_path, "a.yaml", BASE)
        write(tmp_path, "b.yaml", "\nclients:\n  acme: {username: other}\n")
        with pytest.raises(ConfigError) as caught:
            load_configuration(tmp_path, {})
        [problem] = caught.value.diagnostics
        assert problem.location == SourceLocation(str(tmp_path / "b.yaml"), 3, 3)
        assert problem.summary == (
            f"clients.acme is defined twice: at {tmp_path / 'a.yaml'}:5:3 and here")

    def test_settings_block_in_one_file_only(self, tmp_path: Path) -> None:
        write(tmp_path, "a.yaml", "lexsync: {dialect: rest}\n")
        write(tmp_path, "b.yaml", "clients: {}\nlexsync: {dialect: soap}\n")
        with pytest.raises(ConfigError) as caught:
            load_configuration(tmp_path, {})
        [problem] = caught.value.diagnostics
        assert problem.location == SourceLocation(str(tmp_path / "b.yaml"), 2, 1)
        assert "'lexsync' may appear in only one file" in problem.summary
        assert f"{tmp_path / 'a.yaml'}:1:1" in problem.summary

    def test_errors_from_several_files_are_collected(self, tmp_path: Path) -> None:
        write(tmp_path, "a.yaml", "clients: [\n")
        write(tmp_path, "b.yaml", "x: !!python/name:os.system y\n")
        with pytest.raises(ConfigError) as caught:
            load_configuration(tmp_path, {})
        files = [d.location.file for d in caught.value.diagnostics]
        assert files == [str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")]

    def test_empty_directory(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError, match=r"no \*\.yaml or \*\.yml files"):
            load_configuration(tmp_path, {})


def test_digest_ignores_method_secrets(tmp_path: Path) -> None:
    def with_smtp(pw: str) -> str:
        return BASE.replace("        url: https://acme.example/leads",
                            f"        url: https://acme.example/leads\n        smtp: {{server: s, password: {pw}}}")

    assert load_text(tmp_path, with_smtp("a")).digest() == load_text(tmp_path, with_smtp("b")).digest()


def test_config_package_imports_only_errors_from_lexsync() -> None:
    import ast

    package = Path(__file__).resolve().parents[2] / "lexsync" / "config"
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("lexsync"):
                assert node.module == "lexsync.errors" or node.module.startswith("lexsync.config"), (
                    f"{source.name} imports {node.module}")


def test_sections_of_the_wrong_shape_are_not_merged(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "clients: {}\n")
    write(tmp_path, "b.yaml", "clients: [x]\n")
    with pytest.raises(ConfigError) as caught:
        load_configuration(tmp_path, {})
    assert [str(d) for d in caught.value.diagnostics] == [
        f"{tmp_path / 'b.yaml'}:1:10: 'clients' must be a mapping in every file to be merged"]
