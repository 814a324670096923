"""YAML out: plain data → ruamel round-trip text, and updates that keep a user's file as it was.

The loader's inverse for generated configuration (`lexsync import`): small leaf collections
in flow style, text that would be interpolated escaped, and `merge_into` to change only what
changed in a file a person may have commented and reordered.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString


class SecretRef(str):
    """A `${env:...}` reference written on purpose: the one kind of text not escaped."""


def quoted(text: str) -> str:
    """Text written double-quoted (a YAML 1.1 reader would take 08:00 for a base-60 number)."""
    return DoubleQuotedScalarString(text)


def escaped(value: Any) -> Any:
    """Text containing `${` would be interpolated on load: write it as `$${`."""
    if isinstance(value, dict):
        return {k: escaped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [escaped(v) for v in value]
    if isinstance(value, str) and not isinstance(value, SecretRef) and "${" in value:
        return value.replace("${", "$${")
    return value


def yaml_writer() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # long URLs and templates stay on one line
    return yaml


def dump(yaml: YAML, data: Any) -> str:
    stream = io.StringIO()
    yaml.dump(data, stream)
    return stream.getvalue()


_FLOW_KEYS = {"caps", "fields", "map"}
_FLOW_LISTS = {"field_mappings", "schedule", "criteria", "days", "value", "lead_types"}
_PLAIN_TEXT = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _./@+-]*(?<! )")


def _flow_safe(value: Any) -> Any:
    # ruamel writes some plain scalars into flow collections that it cannot read back
    # (`{format: ?0}`): anything beyond plain words is double-quoted there.
    if isinstance(value, str) and not isinstance(value, DoubleQuotedScalarString) \
            and not _PLAIN_TEXT.fullmatch(value):
        return DoubleQuotedScalarString(value)
    return value


def styled(value: Any, key: str | None = None, in_flow: bool = False) -> Any:
    """Plain data → ruamel containers, small leaf collections in flow style for readability."""
    if isinstance(value, dict):
        flow = in_flow or key in _FLOW_KEYS or key == "__item__"
        out = CommentedMap((_flow_safe(k) if flow else k, styled(v, k, flow)) for k, v in value.items())
        if flow:
            out.fa.set_flow_style()
        return out
    if isinstance(value, list):
        flow = in_flow or key in ("days", "value", "lead_types")
        seq = CommentedSeq(styled(v, "__item__" if key in _FLOW_LISTS else None, flow) for v in value)
        if flow:
            seq.fa.set_flow_style()
        return seq
    if isinstance(value, SecretRef):
        return str(value)
    return _flow_safe(value) if in_flow else value


def plain(value: Any) -> Any:
    """A round-trip container as plain dicts and lists, for comparing."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def merge_into(existing: Any, new: Any, defaults: Mapping[str, Any] | None = None,
               kept: frozenset[str] = frozenset()) -> Any:
    """Update a round-trip container in place so only what changed changes; comments,
    key order and untouched values stay as the user left them.

    A key `new` leaves out stays when the user wrote it with its value in `defaults` (the
    generated text omits defaults), and a key in `kept` always stays (a value that cannot
    be read back, so its absence from `new` says nothing)."""
    defaults = defaults or {}
    if isinstance(existing, CommentedMap) and isinstance(new, dict):
        for key in [k for k in existing if k not in new]:
            value = existing[key]
            if key in kept:
                continue
            if isinstance(value, CommentedMap):
                merge_into(value, {}, defaults, kept)
                if value:
                    continue
            elif key in defaults and plain(value) == defaults[key]:
                continue
            del existing[key]
        for key, value in new.items():
            if key in existing and plain(existing[key]) == plain(value):
                continue
            if key in existing and isinstance(existing[key], (CommentedMap, CommentedSeq)):
                existing[key] = merge_into(existing[key], value, defaults, kept)
            else:
                existing[key] = styled(value, key)
        return existing
    if isinstance(existing, CommentedSeq) and isinstance(new, list):
        by_name = {plain(i).get("name"): i for i in existing if isinstance(i, CommentedMap)}
        if all(isinstance(i, dict) and "name" in i for i in new) and by_name:
            # Entries with names (field mappings): each keeps its comments, matched by name.
            existing[:] = [merge_into(by_name[i["name"]], i, defaults, kept) if i["name"] in by_name
                           else styled(i, "__item__") for i in new]
            return existing
        if plain(existing) != plain(new):
            existing[:] = [styled(i, "__item__") for i in new]
        return existing
    return styled(new)
