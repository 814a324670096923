"""How state spells the key of a sub-object's ID: dotted parts, each escaped.

Keys are `field_mapping.NAME`, `field_mapping.NAME.map.VALUE`, `schedule.DAY.N` and
`criterion.N`. A field mapping's name and a mapped value may hold dots (`contact.first_name`),
so each part is written with `%` as `%25` and `.` as `%2E`: `field_mapping.contact%2Efirst_name`
reads back one way only. State version 1 wrote the parts unescaped (`migrated_v1_keys`).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from typing import Any

_ESCAPED = re.compile(r"%(25|2E)")
_PLAIN = {"25": "%", "2E": "."}
FIELD_MAPPING = "field_mapping"
MAP = "map"


def sub_id_key(*parts: str | int) -> str:
    """The key of a sub-object from its parts: `sub_id_key("field_mapping", "a.b")`;
    interned, as state's own keys are: a large network spells the same keys in every method
    it reads (half a million at 10,000 buyers)."""
    return sys.intern(".".join(str(part).replace("%", "%25").replace(".", "%2E")
                               for part in parts))


def sub_id_parts(key: str) -> list[str]:
    """`sub_id_key`'s inverse: the parts, unescaped."""
    return [_ESCAPED.sub(lambda m: _PLAIN[m.group(1)], part) for part in key.split(".")]


def migrated_v1_keys(sub_ids: Mapping[str, int], attributes: Mapping[str, Any]) -> dict[str, int]:
    """A delivery method's sub-IDs as state version 1 spelled them, in today's spelling.

    Version 1 joined the parts with dots unescaped, so `field_mapping.a.map.b` was either the
    setting `a.map.b` or the value `b` of setting `a`. The method's recorded field mappings
    tell which (their names and mapped values); a key they do not explain is read as version
    1 itself read it: the name up to the first `.map.`."""
    mappings = attributes.get("field_mappings")
    mappings = mappings if isinstance(mappings, Mapping) else {}
    names = sorted(mappings, key=len, reverse=True)  # the longest name that fits wins
    out: dict[str, int] = {}
    for key, uid in sub_ids.items():
        head, dot, rest = key.partition(".")
        if head != FIELD_MAPPING or not dot:
            out[sub_id_key(*key.split("."))] = uid  # schedule.DAY.N, criterion.N: no dots inside
            continue
        out[_v1_mapping_key(rest, names, mappings)] = uid
    return out


def _v1_mapping_key(rest: str, names: list[str], mappings: Mapping[str, Any]) -> str:
    if rest in mappings:
        return sub_id_key(FIELD_MAPPING, rest)
    for name in names:
        value = rest[len(name) + len(".map."):]
        entry = mappings[name]
        held = entry.get("map") if isinstance(entry, Mapping) else None
        if rest.startswith(f"{name}.map.") and (not isinstance(held, Mapping) or value in held):
            return sub_id_key(FIELD_MAPPING, name, MAP, value)
    name, found, value = rest.partition(".map.")
    return sub_id_key(FIELD_MAPPING, name, MAP, value) if found else sub_id_key(FIELD_MAPPING, rest)
