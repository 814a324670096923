"""Merge the documents of a configuration directory into one."""

from __future__ import annotations

from dataclasses import dataclass

from lexsync.config.positions import Positions
from lexsync.errors import Diagnostic

# Top-level mappings whose entries may come from different files.
KEYED_SECTIONS = ("client_groups", "clients")
LIST_SECTIONS = ("lead_types",)


@dataclass
class Document:
    display: str
    data: object
    positions: Positions


def merge_documents(documents: list[Document]) -> tuple[dict, Positions, list[Diagnostic]]:
    merged: dict = {}
    positions = Positions()
    problems: list[Diagnostic] = []
    owner: dict[tuple, Document] = {}  # path -> the document that defined it

    for doc in documents:
        if not isinstance(doc.data, dict):
            problems.append(Diagnostic("the top level of a configuration file must be a mapping",
                                       doc.positions.locate(())))
            continue
        shifts: dict[tuple, tuple] = {}
        for key, value in doc.data.items():
            if key in KEYED_SECTIONS and isinstance(value, dict) and isinstance(merged.get(key, {}), dict):
                section = merged.setdefault(key, {})
                for name, item in value.items():
                    path = (key, name)
                    if name in section:
                        first = owner[path].positions.locate_key(path)
                        problems.append(Diagnostic(
                            f"{key}.{name} is defined twice: at {first} and here",
                            doc.positions.locate_key(path)))
                        continue
                    section[name] = item
                    owner[path] = doc
            elif key in LIST_SECTIONS and isinstance(value, list) and isinstance(merged.get(key, []), list):
                section = merged.setdefault(key, [])
                if section:
                    shifts.update({(key, i): (key, len(section) + i) for i in range(len(value))})
                section.extend(value)
            elif key in merged and key in KEYED_SECTIONS + LIST_SECTIONS:
                shape = "a mapping" if key in KEYED_SECTIONS else "a list"
                problems.append(Diagnostic(f"'{key}' must be {shape} in every file to be merged",
                                           doc.positions.locate((key,))))
                continue
            elif key in merged:
                first = owner[(key,)].positions.locate_key((key,))
                problems.append(Diagnostic(
                    f"'{key}' may appear in only one file: at {first} and here",
                    doc.positions.locate_key((key,))))
                continue
            else:
                merged[key] = value
            owner.setdefault((key,), doc)
        positions.update(_dropping_duplicates(doc, merged, owner), shifts)
    return merged, positions, problems


def _dropping_duplicates(doc: Document, merged: dict, owner: dict) -> Positions:
    """The document's positions minus entries another file owns (so locate finds the winner)."""
    kept = Positions()
    for path, spot in doc.positions.spots.items():
        if len(path) >= 2 and path[0] in KEYED_SECTIONS and owner.get(path[:2], doc) is not doc:
            continue
        if len(path) >= 1 and path[0] not in KEYED_SECTIONS + LIST_SECTIONS and owner.get(path[:1], doc) is not doc:
            continue
        kept.spots[path] = spot
    return kept
