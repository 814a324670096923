"""Plan values as text: strings quoted, null for None, nested lists and dicts laid out readably."""

from __future__ import annotations

import re
from functools import lru_cache
from json.encoder import encode_basestring  # what json.dumps(str, ensure_ascii=False) calls
from typing import Any

from lexsync.engine.plan import SENSITIVE
from lexsync.resources.wirefields import UNKNOWN

MARKERS = frozenset({SENSITIVE, UNKNOWN})

INDENT = "    "
INLINE_LIMIT = 72  # a nested dict or list longer than this gets one line per element
_NESTED = (dict, list, tuple)
_BARE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        # The markers are printed bare so they never read like real quoted values.
        return value if value in MARKERS else encode_basestring(value)
    return str(value)


def key(name: Any) -> str:
    return _key(str(name))


@lru_cache(maxsize=4096)  # attribute and mapping names repeat in every resource of a plan
def _key(text: str) -> str:
    return text if _BARE_KEY.fullmatch(text) else encode_basestring(text)


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
    text, lines = _layout(value, top)
    return [text] if lines is None else lines


def _layout(value: Any, top: bool) -> tuple[str, list[str] | None]:
    """`inline(value)` and, unless it stays on that one line (None), `block(value)`: together,
    so each nested value is laid out once instead of once per level above it."""
    if isinstance(value, dict):
        if not value:
            return "{}", None
        keys = [key(k) for k in value]
        inner = [_layout(v, False) if isinstance(v, _NESTED) else (scalar(v), None)
                 for v in value.values()]
        text = "{ " + ", ".join([f"{k} = {t}" for k, (t, _) in zip(keys, inner, strict=True)]) + " }"
        if len(text) <= INLINE_LIMIT and not (top and _has_nested(value)):
            return text, None
        width = max(map(len, keys))
        lines = ["{"]
        for k, (first, rest) in zip(keys, inner, strict=True):
            if rest is None:
                lines.append(f"{INDENT}{k.ljust(width)} = {first}")
            else:
                lines.append(f"{INDENT}{k.ljust(width)} = {rest[0]}")
                lines.extend([INDENT + line for line in rest[1:]])
        lines.append("}")
        return text, lines
    if isinstance(value, list | tuple):
        if not value:
            return "[]", None
        inner = [_layout(v, False) if isinstance(v, _NESTED) else (scalar(v), None) for v in value]
        text = "[" + ", ".join([t for t, _ in inner]) + "]"
        if len(text) <= INLINE_LIMIT and not (top and _has_nested(value)):
            return text, None
        lines = ["["]
        for first, rest in inner:
            if rest is None:
                lines.append(f"{INDENT}{first},")
            else:
                lines.extend([INDENT + line for line in rest[:-1]])
                lines.append(f"{INDENT}{rest[-1]},")
        lines.append("]")
        return text, lines
    return scalar(value), None


def _has_nested(value: Any) -> bool:
    """An attribute holding dicts (field mappings, schedule, criteria) reads best one per line."""
    items = value.values() if isinstance(value, dict) else value
    return any(isinstance(v, dict) for v in items)
