"""load_configuration: files -> interpolated, merged, validated, cross-checked Configuration."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lexsync.config.checks import check_configuration
from lexsync.config.interpolate import Sources, interpolate
from lexsync.config.merge import Document, Layout, merge_documents, merge_positions
from lexsync.config.models import Configuration
from lexsync.config.positions import LazyPositions, Locator, Positions
from lexsync.config.validate import validate_configuration
from lexsync.config.yamlio import parse_values, parse_yaml, read_text
from lexsync.errors import ConfigError, Diagnostic, SourceLocation

YAML_SUFFIXES = (".yaml", ".yml")


@dataclass
class LoadedConfig:
    """A validated configuration and where each of its values came from.

    `positions` are computed on the first `locate`/`locate_key` (see `LazyPositions`): a run
    asks only when it reports a problem."""

    model: Configuration
    root: Path
    files: list[Path]
    positions: Locator = field(default_factory=Positions, repr=False)

    def locate(self, path: tuple[str | int, ...]) -> SourceLocation | None:
        """The value at `path` (YAML keys and list indexes), else its nearest existing ancestor."""
        return self.positions.locate(path)

    def locate_key(self, path: tuple[str | int, ...]) -> SourceLocation | None:
        """Like locate, but the key's position (e.g. the `acme:` line of a client)."""
        return self.positions.locate_key(path)

    def digest(self) -> str:
        """Stable sha256 of the configuration; secrets are left out (the engine hashes those)."""
        data = self.model.model_dump(mode="json", by_alias=True, exclude=_secret_paths(self.model))
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_configuration(path: str | os.PathLike, environ: Mapping[str, str] | None = None,
                       allow_outside_files: bool = False) -> LoadedConfig:
    """Load a YAML file or a directory of them; raise ConfigError with every problem found."""
    environ = os.environ if environ is None else environ
    root, files = find_files(Path(path))
    reads: list[_Read] = []
    documents: list[Document] = []
    problems: list[Diagnostic] = []
    for file in files:
        display = str(file)
        try:
            text = read_text(file, display)
            values = parse_values(text, display)
        except ConfigError as exc:
            problems.extend(exc.diagnostics)  # in file order, with the other files' problems
            continue
        read = _Read(display, text)
        reads.append(read)
        located = LazyPositions(read.positions)
        sources = Sources(environ, file.parent, root, allow_outside_files)
        data, missing = interpolate(values, located, sources)
        problems.extend(missing)
        documents.append(Document(display, data, located))
    merged, clashes, layout = merge_documents(documents)
    positions = LazyPositions(lambda: _merged_positions(reads, layout))
    if len(reads) < len(files) or clashes:
        raise ConfigError(problems + clashes)  # unreadable or ambiguous: validating would mislead
    try:
        model = validate_configuration(merged, positions)
    except ConfigError as exc:
        # A value whose interpolation failed was left empty: don't report it twice.
        unresolved = {p.location for p in problems}
        raise ConfigError(_in_file_order(problems + [
            d for d in exc.diagnostics if d.location not in unresolved])) from None
    problems.extend(check_configuration(model, positions))
    if problems:
        raise ConfigError(_in_file_order(problems))
    return LoadedConfig(model=model, root=root, files=files, positions=positions)


@dataclass
class _Read:
    """One file as read. Its text is kept (not re-read from disk, which may have changed) so
    that positions answer for exactly the bytes the values came from."""

    display: str
    text: str
    _positions: Positions | None = None

    def positions(self) -> Positions:
        if self._positions is None:
            self._positions = parse_yaml(self.text, self.display)[1]
        return self._positions


def _merged_positions(reads: list[_Read], layout: Layout) -> Positions:
    return merge_positions(layout, [read.positions() for read in reads])


def _in_file_order(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    def key(d: Diagnostic) -> tuple:
        loc = d.location
        return (0, loc.file, loc.line, loc.column) if loc else (1, "", 0, 0)

    return sorted(diagnostics, key=key)


def find_files(path: Path) -> tuple[Path, list[Path]]:
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in YAML_SUFFIXES and p.is_file())
        if not files:
            raise ConfigError([Diagnostic(f"no *.yaml or *.yml files in directory {path}")])
        return path, files
    if not path.exists():
        raise ConfigError([Diagnostic(f"configuration {path} does not exist")])
    return path.parent, [path]


def _secret_paths(model: Configuration) -> dict:
    """A pydantic `exclude` spec for every SecretStr in the model."""
    clients: dict = {}
    for key, client in model.clients.items():
        spec: dict = {}
        if client.password is not None:
            spec["password"] = True
        methods = {name: {"smtp": {"password"}, "ftp": {"password"}}
                   for name in client.delivery_methods}
        if methods:
            spec["delivery_methods"] = methods
        if spec:
            clients[key] = spec
    return {"clients": clients} if clients else {}
