"""The `lexsync:` block, read ahead of the rest of the configuration.

A plan's reads need only this block (how to reach LeadExec, where state lives) and the state;
loading and validating a 1,000-buyer configuration takes over a second. Reading the block
first lets those reads start while the rest loads.

The preview is an optimisation and nothing more: whatever is unusual (the block far down a
file, YAML only the full reader takes, an interpolation that fails, a value the model
refuses) answers None, and the caller loads everything before reading, as it always did.
The caller also checks that the full load gave the very block that was previewed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from pydantic import ValidationError

from lexsync.config import fastyaml
from lexsync.config.interpolate import Sources, interpolate
from lexsync.config.loader import find_files
from lexsync.config.models import Settings
from lexsync.config.positions import Positions
from lexsync.config.yamlio import MAX_DEPTH, read_text
from lexsync.errors import ConfigError

BLOCK_KEY = "lexsync"
# How many YAML events of each file are looked at for the block: it is written first (as
# `lexsync init` writes it) or near the top, and scanning a whole large file would cost
# as much as loading it.
SCAN_EVENTS = 2000


class _Absent:
    """A file whose top level was scanned to its end without finding the block."""


ABSENT = _Absent()


class Preview(NamedTuple):
    root: Path
    settings: Settings  # the `lexsync:` block
    texts: list[str]  # of the configuration's files, in load order


def preview_settings(path: Path, environ: Mapping[str, str]) -> Preview | None:
    """The configuration root and its `lexsync:` block, or None when it cannot be read cheaply
    and surely the way the full load reads it."""
    try:
        root, files = find_files(Path(path))
        texts = [(file, read_text(file, str(file))) for file in files]
    except ConfigError:
        return None
    found: tuple[Path, str] | None = None
    for file, text in texts:
        end = block_end(text)
        if end is None:
            return None  # not known whether this file holds the block
        if end is not ABSENT:
            if found is not None:
                return None  # two blocks: the full load reports the clash
            assert isinstance(end, int)
            found = (file, text[:end])
    if found is None:
        return Preview(root, Settings(), [text for _, text in texts])
    file, prefix = found
    parsed = fastyaml.parse_values(prefix, MAX_DEPTH)
    data = parsed.data if parsed is not None else None
    if not isinstance(data, dict) or not isinstance(data.get(BLOCK_KEY), dict):
        return None
    block, problems = interpolate({BLOCK_KEY: data[BLOCK_KEY]}, Positions(),
                                  Sources(environ, file.parent, root))
    if problems or not isinstance(block, dict):
        return None
    try:
        return Preview(root, Settings.model_validate(block[BLOCK_KEY]), [text for _, text in texts])
    except ValidationError:
        return None


def block_end(text: str) -> int | _Absent | None:
    """Where the top-level `lexsync:` value ends in `text` (its text up to there is a YAML
    document holding the block and whatever precedes it); ABSENT when the document has no
    such key; None when that is not clear within SCAN_EVENTS events."""
    parser_type = fastyaml.c_parser()
    if parser_type is None:
        return None
    parser = parser_type(text)
    yaml = fastyaml.pyyaml()
    depth = 0
    key_next = True
    in_block = False
    try:
        for _ in range(SCAN_EVENTS):
            event = parser.get_event()
            if isinstance(event, (yaml.StreamStartEvent, yaml.DocumentStartEvent)):
                continue
            if depth == 0:
                if isinstance(event, (yaml.DocumentEndEvent, yaml.StreamEndEvent)):
                    return ABSENT  # an empty document, or the top level closed
                if not isinstance(event, yaml.MappingStartEvent):
                    return None  # not a mapping: the full load says what is wrong
                depth = 1
                continue
            if depth == 1 and key_next:
                if isinstance(event, yaml.MappingEndEvent):
                    return ABSENT
                if not isinstance(event, yaml.ScalarEvent):
                    return None
                in_block = event.value == BLOCK_KEY
                key_next = False
                continue
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                continue
            if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
            if depth == 1:  # a top-level value just ended
                if in_block:
                    return int(event.end_mark.index)
                key_next = True
    except yaml.YAMLError:
        return None
    return None
