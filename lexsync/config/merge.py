"""Merge the documents of a configuration directory into one."""

from __future__ import annotations

from dataclasses import dataclass, field

from lexsync.config.positions import Locator, Positions
from lexsync.errors import Diagnostic

# Top-level mappings whose entries may come from different files.
KEYED_SECTIONS = ("client_groups", "clients")
LIST_SECTIONS = ("lead_types",)


@dataclass
class Document:
    display: str
    data: object
    positions: Locator


@dataclass
class Layout:
    """What the merge decided about positions, so they can be merged later, when asked for."""

    owner: dict[tuple, int] = field(default_factory=dict)  # path -> index of the defining document
    # Per document: list indexes moved by concatenation; None for a document left out.
    shifts: list[dict[tuple, tuple] | None] = field(default_factory=list)


def merge_documents(documents: list[Document]) -> tuple[dict, list[Diagnostic], Layout]:
    merged: dict = {}
    problems: list[Diagnostic] = []
    layout = Layout()
    owner = layout.owner

    for index, doc in enumerate(documents):
        if not isinstance(doc.data, dict):
            problems.append(Diagnostic("the top level of a configuration file must be a mapping",
                                       doc.positions.locate(())))
            layout.shifts.append(None)
            continue
        shifts: dict[tuple, tuple] = {}
        for key, value in doc.data.items():
            if key in KEYED_SECTIONS and isinstance(value, dict) and isinstance(merged.get(key, {}), dict):
                section = merged.setdefault(key, {})
                for name, item in value.items():
                    path = (key, name)
                    if name in section:
                        first = documents[owner[path]].positions.locate_key(path)
                        problems.append(Diagnostic(
                            f"{key}.{name} is defined twice: at {first} and here",
                            doc.positions.locate_key(path)))
                        continue
                    section[name] = item
                    owner[path] = index
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
                first = documents[owner[(key,)]].positions.locate_key((key,))
                problems.append(Diagnostic(
                    f"'{key}' may appear in only one file: at {first} and here",
                    doc.positions.locate_key((key,))))
                continue
            else:
                merged[key] = value
            owner.setdefault((key,), index)
        layout.shifts.append(shifts)
    return merged, problems, layout


def merge_positions(layout: Layout, positions: list[Positions]) -> Positions:
    """The documents' positions (in document order) merged as `merge_documents` merged them."""
    merged = Positions()
    for index, (spots, shifts) in enumerate(zip(positions, layout.shifts, strict=True)):
        if shifts is not None:
            merged.update(_dropping_duplicates(index, spots, layout.owner), shifts)
    return merged


def _dropping_duplicates(index: int, positions: Positions, owner: dict[tuple, int]) -> Positions:
    """The document's positions minus entries another file owns (so locate finds the winner)."""
    kept = Positions()
    for path, spot in positions.spots.items():
        if len(path) >= 2 and path[0] in KEYED_SECTIONS and owner.get(path[:2], index) != index:
            continue
        if len(path) >= 1 and path[0] not in KEYED_SECTIONS + LIST_SECTIONS and owner.get(path[:1], index) != index:
            continue
        kept.spots[path] = spot
    return kept
