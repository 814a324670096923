"""The `lexsync:` block read ahead gives the block the full load gives, or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lexsync.config.loader import load_configuration
from lexsync.config.models import Settings
from lexsync.config.preview import ABSENT, SCAN_EVENTS, block_end, preview_settings

# The example configurations (examples/drift holds CI files, not a configuration).
EXAMPLES = [Path(__file__).parents[2] / "examples" / name
            for name in ("quickstart", "gitops", "insurance-network")]
ENV = {"LEADEXEC_URL": "https://leadexec.example", "STATE_URL": "postgresql://db/lexsync",
       "PW": "pw", "BUYER_PASSWORD": "pw"}

CLIENTS = """clients:
  acme:
    username: acme-portal
    fields: {Company: "Acmé ☃"}
"""


def write(tmp_path: Path, text: str, name: str = "lexsync.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def loaded_block(path: Path) -> Settings:
    return load_configuration(path, ENV).model.lexsync


class AnyVariable(dict):
    """An environment in which every variable is set."""

    def __missing__(self, name: str) -> str:
        return f"value-of-{name}"

    def get(self, name: str, default: object = None) -> str:  # type: ignore[override]
        return self[name]

    def __contains__(self, name: object) -> bool:
        return True


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_examples_preview_as_they_load(example: Path) -> None:
    env = AnyVariable()
    preview = preview_settings(example, env)
    assert preview is not None
    root, block, texts = preview
    assert texts == [f.read_text(encoding="utf-8") for f in load_configuration(example, env).files]
    loaded = load_configuration(example, env)
    assert (root, block) == (loaded.root, loaded.model.lexsync)


@pytest.mark.parametrize("text", [
    "lexsync:\n  dialect: soap\n  parallelism: 4\n" + CLIENTS,
    CLIENTS + "lexsync:\n  dialect: soap\n  parallelism: 4\n",  # after a non-ASCII value
    "# comment\nlead_types: [Auto]\nlexsync: {dialect: soap, parallelism: 4}  # flow\n" + CLIENTS,
    "lexsync:\n  dialect: soap\n  parallelism: 4\n# a comment between\n\n" + CLIENTS,
    '"lexsync":\n  dialect: soap\n  parallelism: 4\n' + CLIENTS,
    "lexsync:\n  api_url: ${env:LEADEXEC_URL}\n  state: {backend: postgres, url: '${env:STATE_URL}'}\n"
    + CLIENTS,
])
def test_block_reads_as_the_full_load_reads_it(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    preview = preview_settings(path, ENV)
    assert preview is not None
    assert preview[:2] == (tmp_path, loaded_block(path))
    assert preview.settings != Settings()  # the block was read, not defaulted


def test_no_block_means_the_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, CLIENTS)
    preview = preview_settings(path, ENV)
    assert preview is not None
    assert preview[:2] == (tmp_path, Settings()) == (tmp_path, loaded_block(path))


def test_block_in_a_later_file_of_a_directory(tmp_path: Path) -> None:
    write(tmp_path, CLIENTS, "a-clients.yaml")
    write(tmp_path, "lexsync: {dialect: soap}\n", "b-settings.yml")
    preview = preview_settings(tmp_path, ENV)
    assert preview is not None and preview[:2] == (tmp_path, loaded_block(tmp_path))
    assert loaded_block(tmp_path).dialect == "soap"


@pytest.mark.parametrize("text", [
    "lexsync:\n  dialect: telnet\n",  # the model refuses it
    "lexsync:\n  dialektt: rest\n",  # an unknown key
    "lexsync:\n  api_url: ${env:NOT_SET}\n",  # interpolation fails
    "base: &b {dialect: soap}\nlexsync: *b\n",  # an alias: only the full reader takes it
    "lexsync: &a\n  dialect: soap\n",  # an anchor
    "lexsync:\n  dialect: soap\n  dialect: rest\n",  # a duplicate key
    "lexsync:\n  dialect: [soap\n",  # broken YAML
    "- just\n- a list\n",
    "lexsync: null\n",
])
def test_anything_unusual_is_left_to_the_full_load(tmp_path: Path, text: str) -> None:
    assert preview_settings(write(tmp_path, text), ENV) is None


def test_two_blocks_in_a_directory_are_left_to_the_full_load(tmp_path: Path) -> None:
    write(tmp_path, "lexsync: {dialect: soap}\n", "a.yaml")
    write(tmp_path, "lexsync: {dialect: rest}\n", "b.yaml")
    assert preview_settings(tmp_path, ENV) is None


def test_a_block_far_down_a_large_file_is_not_searched_for(tmp_path: Path) -> None:
    many = "lead_types: [" + ", ".join(f"t{i}" for i in range(SCAN_EVENTS)) + "]\n"
    path = write(tmp_path, many + "lexsync: {dialect: soap}\n")
    assert block_end(path.read_text()) is None
    assert preview_settings(path, ENV) is None
    # ... and a large file without a block is not known to lack one.
    assert block_end(many) is None
    assert block_end("lead_types: [a]\n") is ABSENT


def test_missing_configuration_is_left_to_the_full_load(tmp_path: Path) -> None:
    assert preview_settings(tmp_path / "nothing.yaml", ENV) is None
    assert preview_settings(tmp_path, ENV) is None  # a directory without YAML


SCALARS = st.one_of(st.integers(-5, 5), st.booleans(), st.text("abc: #'\"é", max_size=6))
OTHER_KEYS = st.dictionaries(st.sampled_from(["lead_types", "client_groups", "x_notes"]),
                             st.lists(SCALARS, max_size=3), max_size=3)


@settings(max_examples=60, deadline=None)
@given(dialect=st.sampled_from(["rest", "soap"]), parallelism=st.integers(0, 70),
       url=st.sampled_from([None, "https://a.example", "http://127.0.0.1:1"]),
       before=OTHER_KEYS, after=OTHER_KEYS, flow=st.booleans())
def test_preview_never_disagrees_with_the_full_load(tmp_path_factory: pytest.TempPathFactory,
                                                    dialect: str, parallelism: int, url: str | None,
                                                    before: dict, after: dict, flow: bool) -> None:
    import json

    block = {"dialect": dialect, "parallelism": parallelism, **({"api_url": url} if url else {})}
    if flow:
        block_text = "lexsync: " + json.dumps(block) + "\n"
    else:
        block_text = "lexsync:\n" + "".join(f"  {k}: {json.dumps(v)}\n" for k, v in block.items())
    other = "".join(f"{k}: {json.dumps(v, ensure_ascii=False)}\n" for k, v in before.items())
    rest = "".join(f"{k}: {json.dumps(v, ensure_ascii=False)}\n" for k, v in after.items()
                   if k not in before)
    path = write(tmp_path_factory.mktemp("p"), other + block_text + rest)
    preview = preview_settings(path, ENV)
    try:
        expected = loaded_block(path)
    except Exception:
        # Whatever the full load refuses, the preview must not have vouched for a block the
        # model accepts... unless the block itself is fine and the refusal is elsewhere.
        assert preview is None or preview.settings == Settings.model_validate(block)
        return
    assert preview is not None and preview.settings == expected
