"""A `--client` import parses only the output directory's files that may hold a client it
writes: the others are left as they are, unless it writes one of them after all."""

from __future__ import annotations

from pathlib import Path

import pytest

from lexsync.engine.import_keys import FILE_PER, Picked, read_existing, settings_docs

PICKED = Picked(usernames=frozenset({"Buyer Five"}), keys=frozenset({"five"}))
OTHER = "clients:\n  six:\n    username: buyer-six\n    fields: {Company: [not closed\n"


@pytest.mark.parametrize(("text", "parsed"), [
    (OTHER, False),
    ("clients:\n  five:\n    username: someone\n", True),  # the key state gives it
    ("clients:\n  x:\n    username: buyer five\n", True),  # its username, in any case
    ("clients:\n  x:\n    username: Buyer\n      Five\n", True),  # folded over two lines
    ("clients:\n  x:\n    username: \"Buyer\\x20Five\"\n", True),  # an escape: always read
    ("client_groups:\n  g: {}\nclients:\n  x:\n    username: y\n", True),  # another section
    ("clients: {x: {username: y}}\n", True),  # not the block layout the scan reads
])
def test_a_file_is_parsed_when_it_may_hold_a_picked_client(text: str, parsed: bool) -> None:
    assert (PICKED.other_clients(text) is None) is parsed


def test_a_username_with_a_quote_reads_every_file() -> None:
    quoted = Picked(usernames=frozenset({"o'brien"}), keys=frozenset())
    assert quoted.other_clients("clients:\n  x:\n    username: y\n") is None
    assert PICKED.other_clients("clients:\n  x:\n    username: y\n") == {"x"}


def test_a_file_left_unread_still_takes_its_keys_and_is_parsed_when_written(tmp_path: Path) -> None:
    (tmp_path / "six.yaml").write_text(OTHER)
    existing = read_existing(tmp_path, PICKED)
    assert existing.unread == {tmp_path / "six.yaml"} and existing.docs == {}
    assert existing.keys[(FILE_PER, None)] == {"six"}  # taken: a new key is never "six"
    assert existing.file_of[f"{FILE_PER}.six"] == tmp_path / "six.yaml"
    with pytest.raises(Exception, match="cannot read .*six.yaml to update it"):
        existing.doc(tmp_path / "six.yaml")  # written after all: read first, and refused here
    with pytest.raises(Exception, match="cannot read .*six.yaml to update it"):
        read_existing(tmp_path)  # an import of everything reads every file


def test_only_files_that_may_hold_the_settings_are_read_for_them(tmp_path: Path) -> None:
    (tmp_path / "six.yaml").write_text(OTHER)
    (tmp_path / "lexsync.yaml").write_text("lexsync:\n  dialect: soap\n")
    assert list(settings_docs(tmp_path)) == [tmp_path / "lexsync.yaml"]
