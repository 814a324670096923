"""Attribute diffs between normalised desired and live values, with readable paths."""

from __future__ import annotations

import functools
from typing import Any

from lexsync.engine.plan import SENSITIVE, AttributeChange

# Collections the YAML owns whole: live entries it does not list are changes too.
WHOLE_COLLECTIONS = ("field_mappings", "criteria")


def criterion_text(entry: dict[str, Any]) -> str:
    text = f"{entry['field']} {entry['op']} {entry['value']}".rstrip()
    if entry.get("type", "FieldValue") != "FieldValue" or entry.get("expression"):
        text += f" ({entry.get('type')}: {entry.get('expression', '')})"
    return text


def flatten(attrs: dict[str, Any]) -> dict[str, Any]:
    """{'caps': {'day': 5}} → {'caps.day': 5}; keyed collections get [key] paths."""
    flat: dict[str, Any] = {}
    for key, value in attrs.items():
        if key == "field_mappings" and isinstance(value, dict):
            for name, entry in value.items():
                for sub, sub_value in flatten(entry).items():
                    flat[f"field_mappings[{name}].{sub}"] = sub_value
        elif key == "criteria" and isinstance(value, list):
            for index, entry in enumerate(value):
                flat[f"criteria[{index}]"] = criterion_text(entry)
        elif isinstance(value, dict):
            for sub, sub_value in flatten(value).items():
                flat[f"{key}.{sub}"] = sub_value
        else:
            flat[key] = value
    return flat


def _equal(a: Any, b: Any) -> bool:
    """Exactly equal: text with its spaces, numbers to the last digit (25 is 25.0). Only an
    absent value and empty text are alike (a read leaves an empty element out). Python's ==,
    as `_unchanged` uses it: validation keeps booleans and numbers apart."""
    if a in (None, "") and b in (None, ""):
        return True
    return a == b


def is_sensitive(path: str, sensitive: frozenset[str]) -> bool:
    return path in sensitive


def _covers(have: Any, want: dict[str, Any]) -> bool:
    """Whether `have` is a dict holding every value of `want` under the same keys, exactly
    (nested dicts alike): then no flattened path of `want` can differ."""
    if type(have) is not dict:
        return False
    for key, value in want.items():
        if key not in have:
            return False
        held = have[key]
        if held != value and not (type(value) is dict and _covers(held, value)):
            return False
    return True


def _unchanged(desired: dict[str, Any], live: dict[str, Any]) -> bool:
    """True when the managed values are exactly the live ones (nearly every resource of a
    plan), so the flatten-and-compare below cannot find a change. A live block may hold
    more keys than the YAML manages (a client's fields); a whole collection must be equal,
    since its extra live entries are changes."""
    for key, value in desired.items():
        if key not in live:
            return False
        held = live[key]
        if held != value and (type(value) is not dict or key in WHOLE_COLLECTIONS
                              or not _covers(held, value)):
            return False
    return True


def diff(desired: dict[str, Any], live: dict[str, Any], sensitive: frozenset[str]) -> list[AttributeChange]:
    """Changes needed to make live match desired, for the attributes desired manages."""
    if _unchanged(desired, live):
        return []
    return flat_diff(desired, live, sensitive)


def flat_diff(desired: dict[str, Any], live: dict[str, Any], sensitive: frozenset[str]) -> list[AttributeChange]:
    """`diff` without its shortcut for unchanged values: every managed path compared."""
    want, have = flatten(desired), flatten(live)
    paths = list(want)
    for collection in WHOLE_COLLECTIONS:
        if collection in desired:
            paths += [p for p in have if p.startswith(f"{collection}[") and p not in want]
    changes = []
    for path in paths:
        before, after = have.get(path), want.get(path)
        if _equal(before, after):
            continue
        secret = is_sensitive(path, sensitive)
        changes.append(AttributeChange(
            path=path,
            before=SENSITIVE if secret and before is not None else before,
            after=SENSITIVE if secret and after is not None else after,
            sensitive=secret,
        ))
    return changes


def masked(attrs: dict[str, Any] | None, sensitive: frozenset[str]) -> dict[str, Any] | None:
    """`attrs` safe to print or save: a copy with sensitive attributes replaced by SENSITIVE,
    or `attrs` itself when it holds none (plans only read it: never change it in place)."""
    if attrs is None:
        return None
    parts = sensitive_parts(sensitive) if sensitive else {}
    if not any(key in attrs and (not nested or _holds_any(attrs[key], nested))
               for key, nested in parts.items()):
        return attrs  # nothing to hide: plans only read it, so no copy is needed
    out = dict(attrs)
    for key, nested in parts.items():
        if key not in out:
            continue
        if not nested:
            out[key] = SENSITIVE
        elif isinstance(out[key], dict):
            block = out[key] = dict(out[key])
            for name in nested:
                if name in block:
                    block[name] = SENSITIVE
    return out


def _holds_any(block: Any, names: frozenset[str]) -> bool:
    return isinstance(block, dict) and not names.isdisjoint(block)


@functools.lru_cache(maxsize=64)
def sensitive_parts(sensitive: frozenset[str]) -> dict[str, frozenset[str]]:
    """{"password", "ftp.password"} → {"password": {}, "ftp": {"password"}}: a whole attribute
    (empty set) or the named keys inside it."""
    parts: dict[str, set[str]] = {}
    for path in sensitive:
        key, _, rest = path.partition(".")
        parts.setdefault(key, set())
    for path in sensitive:
        key, _, rest = path.partition(".")
        if rest and key not in sensitive:
            parts[key].add(rest)
    return {key: frozenset(rest) for key, rest in parts.items()}
