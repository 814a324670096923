"""Plan values as text: strings quoted, null for None, nested lists and dicts laid out readably."""

from __future__ import annotations

import json
import re
from typing import Any

from lexsync.engine.plan import SENSITIVE

INDENT = "    "
INLINE_LIMIT = 72  # a nested dict or list longer than this gets one line per element
_BARE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        # The marker is printed bare so it never reads like a real quoted value.
        return SENSITIVE if value == SENSITIVE else json.dumps(value, ensure_ascii=False)
    return str(value)


def key(name: Any) -> str:
    text = str(name)
    return text if _BARE_KEY.fullmatch(text) else json.dumps(text, ensure_ascii=False)


def inline(value: Any) -> str:
    """The value on one line, however long."""
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{key(k)} = {inline(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(inline(v) for v in value) + "]"
    return scalar(value)


def block(value: Any, *, top: bool = True) -> list[str]:
    """The value as lines; the first continues the `name = ` line, the rest are indented."""
    text = inline(value)
    if not isinstance(value, dict | list | tuple) or not value:
        return [text]
    if len(text) <= INLINE_LIMIT and not (top and _has_nested(value)):
        return [text]
    if isinstance(value, dict):
        width = max(len(key(k)) for k in value)
        lines = ["{"]
        for k, v in value.items():
            inner = block(v, top=False)
            lines.append(f"{INDENT}{key(k).ljust(width)} = {inner[0]}")
            lines.extend(INDENT + line for line in inner[1:])
        return [*lines, "}"]
    lines = ["["]
    for item in value:
        inner = block(item, top=False)
        inner[-1] += ","
        lines.extend(INDENT + line for line in inner)
    return [*lines, "]"]


def _has_nested(value: Any) -> bool:
    """An attribute holding dicts (field mappings, schedule, criteria) reads best one per line."""
    items = value.values() if isinstance(value, dict) else value
    return any(isinstance(v, dict) for v in items)
