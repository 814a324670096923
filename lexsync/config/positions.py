"""Where every key and value of a configuration came from, by path."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from lexsync.errors import SourceLocation

# A mapping key is any plain YAML value (a string mostly; also a number, a date, true...).
Path = tuple[Hashable, ...]


@dataclass(frozen=True)
class Spot:
    """The key (absent for list items and the document root) and the value at one path."""

    value: SourceLocation
    key: SourceLocation | None = None


@dataclass
class Positions:
    """Path -> Spot. Paths use the raw YAML keys and list indexes."""

    spots: dict[Path, Spot] = field(default_factory=dict)

    def add(self, path: Path, spot: Spot) -> None:
        # An alias reuses a node: keep the first place it was seen.
        self.spots.setdefault(path, spot)

    def _nearest(self, path: Path) -> Spot | None:
        for end in range(len(path), -1, -1):
            spot = self.spots.get(tuple(path[:end]))
            if spot is not None:
                return spot
        return None

    def locate(self, path: Iterable[Hashable]) -> SourceLocation | None:
        """The value at `path`, else the nearest ancestor that exists."""
        spot = self._nearest(tuple(path))
        return spot.value if spot else None

    def locate_key(self, path: Iterable[Hashable]) -> SourceLocation | None:
        """The key at `path` (the value for list items), else the nearest ancestor's."""
        spot = self._nearest(tuple(path))
        if spot is None:
            return None
        return spot.key or spot.value

    def has(self, path: Path) -> bool:
        return path in self.spots

    def update(self, other: Positions, prefix_map: dict[Path, Path] | None = None) -> None:
        """Take `other`'s spots, renaming path prefixes (used to shift concatenated lists)."""
        for path, spot in other.spots.items():
            self.add(_rename(path, prefix_map or {}), spot)


class Locator(Protocol):
    """Answers where a path came from: `Positions`, or `LazyPositions` until first asked."""

    def locate(self, path: Iterable[Hashable]) -> SourceLocation | None: ...

    def locate_key(self, path: Iterable[Hashable]) -> SourceLocation | None: ...


class LazyPositions:
    """Positions computed on the first question.

    A configuration that loads without a problem is never asked where a value came from, and
    recording every value's position (hundreds of thousands for a large network) cost more
    time and memory than the parse; `compute` reads the files again, with positions."""

    def __init__(self, compute: Callable[[], Positions]) -> None:
        self._compute: Callable[[], Positions] | None = compute
        self._positions: Positions | None = None

    @property
    def positions(self) -> Positions:
        if self._positions is None:
            assert self._compute is not None
            self._positions, self._compute = self._compute(), None
        return self._positions

    def locate(self, path: Iterable[Hashable]) -> SourceLocation | None:
        return self.positions.locate(path)

    def locate_key(self, path: Iterable[Hashable]) -> SourceLocation | None:
        return self.positions.locate_key(path)


def _rename(path: Path, prefix_map: dict[Path, Path]) -> Path:
    for old, new in prefix_map.items():
        if path[: len(old)] == old:
            return new + path[len(old):]
    return path
