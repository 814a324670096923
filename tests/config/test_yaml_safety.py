from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lexsync.config import load_configuration, yamlio
from lexsync.config.yamlio import MAX_ALIASED_VALUES, MAX_DEPTH, MAX_FILE_BYTES
from lexsync.errors import ConfigError

from .conftest import BASE, load_text, problems


def test_syntax_error_has_location(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, "clients:\n  acme: {username: x\n  beta: 1\n")
    assert problem.startswith("3:7: YAML syntax error:")


def test_bad_indentation(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, "clients:\n  acme:\n    username: a\n   status: Active\n")
    assert problem.startswith("4:4: YAML syntax error:")


def test_python_tag_is_refused(tmp_path: Path) -> None:
    assert problems(tmp_path, "clients:\n  x: !!python/object:os.system {}\n") == [
        "2:6: tag 'tag:yaml.org,2002:python/object:os.system' is not allowed (only plain YAML values are)"]


def test_unknown_local_tag_is_refused(tmp_path: Path) -> None:
    assert problems(tmp_path, "lead_types: [!secret x]\n") == [
        "1:14: tag '!secret' is not allowed (only plain YAML values are)"]


def test_core_tags_are_fine(tmp_path: Path) -> None:
    text = "clients:\n  a: {username: !!str 123, time_offset: !!int '-8'}\n"
    from .conftest import load_text

    client = load_text(tmp_path, text).model.clients["a"]
    assert (client.username, client.time_offset) == ("123", -8)


def test_duplicate_key(tmp_path: Path) -> None:
    assert problems(tmp_path, "clients: {}\nlead_types: []\nclients: {}\n") == [
        "3:1: duplicate key 'clients' (first defined at " + str(tmp_path / "lexsync.yaml") + ":1:1)"]


def test_merge_key_is_refused(tmp_path: Path) -> None:
    text = "base: &b {status: Active}\nclients:\n  a:\n    <<: *b\n    username: x\n"
    assert "4:5: merge keys (<<) are not supported" in problems(tmp_path, text)


def test_depth_limit(tmp_path: Path) -> None:
    deep = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    assert problems(tmp_path, f"lead_types: {deep}\n") == [
        f"1:{12 + MAX_DEPTH}: nesting deeper than {MAX_DEPTH} levels"]


def test_very_deep_nesting_does_not_crash(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, "x: " + "[" * 100_000 + "\n")
    assert "nesting deeper than" in problem


def test_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("wb") as file:  # sparse: the bound is 100 MB
        file.write(b"# a comment, then more bytes than the bound allows\n")
        file.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(ConfigError, match=f"the limit is {MAX_FILE_BYTES} "):
        load_configuration(path, {})


@pytest.mark.parametrize("size", [0, 1, 99, 100, 70_000])
def test_a_file_is_read_whole_up_to_the_limit(tmp_path: Path, size: int) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(bytes(range(256)) * (size // 256) + b"x" * (size % 256))
    limit = max(size, 100)
    assert yamlio.read_regular_file(path, limit) == path.read_bytes()


def _sized_below(monkeypatch: pytest.MonkeyPatch, reported: int) -> None:
    """fstat reports fewer bytes than the file holds: it grew after its size was taken."""
    real = os.fstat

    def fstat(fd: int) -> os.stat_result:
        info = list(real(fd))
        info[6] = reported  # st_size
        return os.stat_result(info)

    monkeypatch.setattr(yamlio.os, "fstat", fstat)


def test_a_file_that_grew_is_read_to_its_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(b"y" * 200_000)
    _sized_below(monkeypatch, 10)
    assert yamlio.read_regular_file(path, 200_000) == b"y" * 200_000


def test_a_file_that_grew_past_the_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(b"y" * 200_001)
    _sized_below(monkeypatch, 10)
    with pytest.raises(yamlio.FileTooLarge):
        yamlio.read_regular_file(path, 200_000)


def test_alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 7)]
    [problem] = problems(tmp_path, "\n".join(lines) + "\n")
    assert "aliases expanding" in problem


def test_invalid_utf8(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"clients:\n  a\xff: {}\n")
    with pytest.raises(ConfigError) as caught:
        load_configuration(path, {})
    assert str(caught.value) == f"{path}:2:4: file is not valid UTF-8"


def test_several_documents(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, "clients: {}\n---\nclients: {}\n")
    assert problem.startswith("2:1: YAML syntax error:")


@settings(max_examples=int(os.environ.get("LEXSYNC_FUZZ_EXAMPLES", "300")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300) | st.binary(max_size=300))
def test_arbitrary_input_only_raises_config_error(tmp_path: Path, content: str | bytes) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass"))
    try:
        load_configuration(path, {})
    except ConfigError as exc:
        assert exc.diagnostics and all(d.summary for d in exc.diagnostics)


yaml_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
yaml_keys = st.sampled_from(["clients", "client_groups", "lead_types", "lexsync", "username",
                             "delivery_accounts", "caps", "price", "method", "x"]) | st.text(max_size=5)
yaml_trees = st.recursive(yaml_scalars, lambda children: st.lists(children, max_size=4)
                          | st.dictionaries(yaml_keys, children, max_size=4), max_leaves=20)


@settings(max_examples=int(os.environ.get("LEXSYNC_FUZZ_EXAMPLES", "300")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(yaml_trees)
def test_arbitrary_yaml_structures_only_raise_config_error(tmp_path: Path, tree: object) -> None:
    import json

    path = tmp_path / "fuzz.yaml"
    path.write_text(json.dumps(tree, allow_nan=True))  # JSON is YAML (flow style)
    try:
        load_configuration(path, {})
    except ConfigError as exc:
        assert exc.diagnostics


def test_a_configuration_that_is_a_fifo_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "lexsync.yaml")
    with pytest.raises(ConfigError) as caught:
        load_configuration(tmp_path / "lexsync.yaml", {})
    assert str(caught.value).endswith("lexsync.yaml:1:1: cannot read file: not a regular file "
                                      "(a FIFO, device or directory)")


def test_an_unused_anchor_expands_nothing(tmp_path: Path) -> None:
    """Only values made by aliases count towards the alias limit: a large file with one
    anchor no alias names is an ordinary file."""
    items = "".join(f"  - {i}\n" for i in range(MAX_ALIASED_VALUES + 10))
    value = yamlio.parse_values(f"anchored: &a 1\nvalues:\n{items}", "f.yaml")
    assert isinstance(value, dict) and len(value["values"]) == MAX_ALIASED_VALUES + 10


def test_values_made_by_aliases_are_counted(tmp_path: Path) -> None:
    row = "[" + ", ".join(["x"] * 1000) + "]"
    aliases = ", ".join(["*row"] * (MAX_ALIASED_VALUES // 1000 - 1))
    assert len(yamlio.parse_values(f"row: &row {row}\nrows: [{aliases}]\n", "f.yaml")["rows"]) \
        == MAX_ALIASED_VALUES // 1000 - 1
    with pytest.raises(ConfigError, match="values made by aliases"):
        yamlio.parse_values(f"row: &row {row}\nrows: [{aliases}, *row, *row]\n", "f.yaml")


def test_an_alias_names_the_anchor_defined_last_before_it(tmp_path: Path) -> None:
    text = "a: &x {v: &y 1}\nb: &y 2\nc: *x\nd: *y\n"
    value = yamlio.parse_values(text, "f.yaml")
    assert value == {"a": {"v": 1}, "b": 2, "c": {"v": 1}, "d": 2}
    assert value["a"] is not value["c"]  # each path its own container


def test_an_undefined_alias_is_a_syntax_error(tmp_path: Path) -> None:
    assert problems(tmp_path, "lead_types: [*nope]\n") == [
        "1:14: YAML syntax error: found undefined alias 'nope'"]


def test_a_folded_scalar_is_text_as_yaml_folds_it(tmp_path: Path) -> None:
    text = BASE.replace("    group: premium", "    group: premium\n    notes: >-\n      first line\n"
                        "      continues\n\n      second\n")
    assert load_text(tmp_path, text).model.clients["acme"].notes == "first line continues\nsecond"


def test_yaml_1_1_is_refused(tmp_path: Path) -> None:
    assert problems(tmp_path, "%YAML 1.1\n---\nlead_types: [yes]\n") == [
        "1:1: lexsync reads YAML 1.2; this file declares %YAML 1.1"]


def test_yes_and_no_are_text(tmp_path: Path) -> None:
    assert yamlio.parse_values("a: [yes, no, on, off, 0o17, 017]\n", "f.yaml") == {
        "a": ["yes", "no", "on", "off", 15, 17]}
