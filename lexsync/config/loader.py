"""load_configuration: files -> interpolated, merged, validated, cross-checked Configuration."""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lexsync.config.checks import check_configuration
from lexsync.config.compact import FieldsSets
from lexsync.config.interpolate import Sources, interpolate_unlocated, may_interpolate
from lexsync.config.merge import Document, Layout, merge_documents, merge_positions
from lexsync.config.models import Configuration
from lexsync.config.positions import LazyPositions, Locator, Positions
from lexsync.config.scan import scan_clients
from lexsync.config.validate import surely_sendable, validate_configuration
from lexsync.config.yamlio import parse_values, parse_yaml, read_text
from lexsync.errors import ConfigError, Diagnostic, SourceLocation

YAML_SUFFIXES = (".yaml", ".yml")
DEFAULT_NAMES = ("lexsync.yaml", "lexsync.yml")
ROUTING_TEST_SUFFIXES = (".test.yaml", ".test.yml")  # `lexsync test`'s cases, beside a configuration
# The top-level keys of a configuration file: a YAML file in a configuration folder holding
# none of them (nor a misspelling of one) is some other tool's file, and is left out.
SECTIONS = tuple(Configuration.model_fields)
_TOP_LEVEL_KEY = re.compile(r"""^(?:"([^"]*)"|'([^']*)'|([^\s#'"{}\[\],&*!|>%@`-][^:#]*?))[ \t]*:(?:\s|$)""")
# Secrets the YAML should name through ${env:...} or ${file:...}, never hold.
_SECRET_KEYS = ("password",)
_URL_PASSWORD = re.compile(r"://[^/@\s:]+:[^/@\s]+@")


@dataclass
class LoadedConfig:
    """A validated configuration and where each of its values came from.

    `positions` are computed on the first `locate`/`locate_key` (see `LazyPositions`): a run
    asks only when it reports a problem."""

    model: Configuration
    root: Path
    files: list[Path]
    positions: Locator = field(default_factory=Positions, repr=False)
    # Not errors: a variable `validate` need not know, a password written in the YAML.
    find_warnings: Callable[[], list[Diagnostic]] = field(default=list, repr=False)
    _warnings: list[Diagnostic] | None = field(default=None, repr=False)
    skipped: list[Path] = field(default_factory=list)
    clients_released: bool = False  # see release_clients

    @property
    def warnings(self) -> list[Diagnostic]:
        if self._warnings is None:
            self._warnings = self.find_warnings()
        return self._warnings

    def locate(self, path: tuple[str | int, ...]) -> SourceLocation | None:
        """The value at `path` (YAML keys and list indexes), else its nearest existing ancestor."""
        return self.positions.locate(path)

    def locate_key(self, path: tuple[str | int, ...]) -> SourceLocation | None:
        """Like locate, but the key's position (e.g. the `acme:` line of a client)."""
        return self.positions.locate_key(path)

    def release_clients(self) -> None:
        """Let go of the clients' models (a plan, once it has expanded them into desired
        resources). `model.clients` is then empty and `clients_released` says so; the
        settings, groups, lead types and the positions stay."""
        self.model = self.model.model_copy(update={"clients": {}})
        self.clients_released = True

    def digest(self) -> str:
        """Stable sha256 of the configuration; secrets are left out (the engine hashes those)."""
        data = self.model.model_dump(mode="json", by_alias=True, exclude=_secret_paths(self.model))
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_configuration(path: str | os.PathLike, environ: Mapping[str, str] | None = None,
                       allow_outside_files: bool = False, need_variables: bool = True,
                       clients: Collection[str] | None = None) -> LoadedConfig:
    """Load a YAML file or a directory of them; raise ConfigError with every problem found.

    With `need_variables` false (validate: the configuration, not the secrets), an unset
    `${env:NAME}` is a warning, once per variable, unless the value it leaves empty makes the
    configuration invalid. Else it is an error, once per variable too (a secret forgotten in
    a 10,000-buyer network is one problem, not 10,000).

    With `clients` (a targeted run: the client keys it names), a file whose lines show it
    holds only other clients (`config/scan.py`) is not parsed, interpolated or validated:
    what it holds is neither loaded nor checked (docs/configuration.md, "Targeted runs").
    Every other file is loaded whole, so the clients named, the settings, groups and lead
    types, and any duplicate definition among them, are checked as in a full load."""
    environ = os.environ if environ is None else environ
    root, candidates, folder = find_files(Path(path))
    files: list[Path] = []  # the candidates that are lexsync files
    foreign: list[Diagnostic] = []
    wanted = None if clients is None else frozenset(clients)
    skipped: list[Path] = []
    reads: list[_Read] = []
    documents: list[Document] = []
    problems: list[Diagnostic] = []
    unset: dict[str, list[_Unset]] = {}  # variable -> where it is referenced
    invalid: list[Diagnostic] = []  # what validation found
    fields_sets = FieldsSets()
    written: list[tuple[Locator, tuple, str]] = []  # secrets written in the YAML
    inserted: list[str] = []  # what interpolation put into the values
    for file in candidates:
        display = str(file)
        try:
            text = read_text(file, display)
        except ConfigError as exc:
            if folder and not is_configuration_file(file):
                foreign.append(_foreign(file))
            else:
                files.append(file)
                problems.extend(exc.diagnostics)  # in file order, with the other files' problems
            continue
        # A file that surely holds only other clients is a lexsync file (`clients:` is a
        # section) that a targeted run leaves unread.
        if wanted is not None and len(candidates) > 1 and _only_other_clients(text, wanted):
            files.append(file)
            skipped.append(file)
            continue
        # A folder holds only lexsync files: each file's text, read once, tells.
        if folder and not is_configuration_text(file.name, text):
            foreign.append(_foreign(file))
            continue
        files.append(file)
        try:
            values = parse_values(text, display)
        except ConfigError as exc:
            problems.extend(exc.diagnostics)  # in file order, with the other files' problems
            continue
        read = _Read(display, text)
        reads.append(read)
        # Positions cost a second parse, so they are computed only when a problem is located:
        # `located` for this file's problems found now, let go with the file; `kept` for
        # what may be located later (the warnings, a clash), computed only then. A value
        # invalid in every file of a large network otherwise held every file's positions.
        located, kept = LazyPositions(read.positions), LazyPositions(read.positions)
        written.extend((kept, path, why) for path, why in _written_secrets(values))
        watched = _Watched(environ)
        sources = Sources(watched, file.parent, root, allow_outside_files)
        inserted_before = len(inserted)
        data, missing = interpolate_unlocated(values, sources, inserted=inserted) \
            if may_interpolate(text) else (values, [])
        unset_here: list[tuple[str, _Unset]] = []
        for summary, where in missing:
            name = watched.unset_in(summary)
            if name is None:
                problems.append(Diagnostic(summary, located.locate(where)))
            else:
                unset_here.append((name, _Unset(summary, display, kept, where)))
        read.sendable = surely_sendable([text], inserted[inserted_before:])
        invalid_here = _validate_clients(data, located, read.sendable, fields_sets)
        invalid += invalid_here
        for name, ref in unset_here:
            if invalid_here:  # it may be what left a value invalid: placed with the same parse
                ref.diagnostic(located)
            unset.setdefault(name, []).append(ref)
        documents.append(Document(display, data, kept))
        del text, values, data, located
    if need_variables:
        problems += [_unset_reported(name, refs, error=True) for name, refs in unset.items()]
    merged, clashes, layout = merge_documents(documents)
    del documents  # the clients are models now: the files' values are let go
    positions = LazyPositions(lambda: _merged_positions(reads, layout))
    if foreign or len(reads) + len(skipped) < len(files) or clashes:
        # Unreadable or ambiguous: validating would mislead.
        raise ConfigError(_in_file_order(foreign + problems + clashes))
    # Each file's clients were validated as it was read (`_validate_clients`); the rest of
    # the configuration (settings, groups, lead types) is validated merged.
    clients = merged.pop("clients") if isinstance(merged.get("clients"), dict) else None
    try:
        sendable = all(read.sendable for read in reads)
        rest = validate_configuration(merged, positions, sendable=sendable)
    except ConfigError as exc:
        invalid += exc.diagnostics
    if invalid:
        # A value whose interpolation failed was left empty: don't report it twice. An unset
        # variable whose empty value is invalid is an error after all (without
        # `need_variables`, where it is no error of itself).
        failed = {d.location for d in invalid}
        in_files = {location.file for location in failed if location is not None}
        left_empty = [d for refs in unset.values() for ref in refs if ref.file in in_files
                      for d in [ref.diagnostic()] if d.location in failed]
        if not need_variables:
            problems += left_empty
        unresolved = {p.location for p in problems + left_empty}
        raise ConfigError(_in_file_order(problems + [
            d for d in invalid if d.location not in unresolved]))
    model = rest if clients is None else rest.model_copy(update={"clients": clients})
    problems.extend(check_configuration(model, positions))
    if problems:
        raise ConfigError(_in_file_order(problems))
    unset_warnings = [_unset_reported(name, refs, error=False) for name, refs in unset.items()]

    def warnings() -> list[Diagnostic]:
        return _in_file_order(unset_warnings + [Diagnostic(why, located.locate(path))
                                                for located, path, why in written])

    return LoadedConfig(model=model, root=root, files=files, positions=positions,
                        find_warnings=warnings, skipped=skipped)


def _validate_clients(data: object, positions: Locator, sendable: bool,
                      fields_sets: FieldsSets) -> list[Diagnostic]:
    """Validate one file's clients as it is read, and put their models in its values: its
    values are then let go file by file, never all beside all the models (a large network's
    largest part). What is wrong is returned; those clients' values stay as read."""
    section = data.get("clients") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(section, dict) or not section:
        return []  # no clients, or not a mapping: the merged validation says what is wrong
    try:
        part = validate_configuration({"clients": section}, positions, sendable=sendable)
    except ConfigError as exc:
        return exc.diagnostics
    fields_sets.share(part.clients.values())
    data["clients"] = part.clients
    return []


def _only_other_clients(text: str, wanted: frozenset[str]) -> bool:
    """Whether a file surely holds clients only, none of them `wanted` (else it is read)."""
    found = scan_clients(text)
    return found is not None and found.only_other_clients(wanted)


class _Watched(Mapping[str, str]):
    """The environment, for a load that may go on without some variables: a variable that is
    not set reads as empty, and is remembered."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self.unset: set[str] = set()

    def __getitem__(self, name: str) -> str:
        return self.environ[name]

    def __contains__(self, name: object) -> bool:
        found = name in self.environ
        if not found and isinstance(name, str):
            self.unset.add(name)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self.environ)

    def __len__(self) -> int:
        return len(self.environ)

    def unset_in(self, summary: str) -> str | None:
        """The unset variable a problem reports, if that is what it reports."""
        for name in self.unset:
            if summary == f"environment variable {name} is not set (referenced as ${{env:{name}}})":
                return name
        return None


@dataclass
class _Unset:
    """A reference to a variable that is not set, located only when told: `validate` runs
    without the secrets, whose variables a large network references in every file, and
    locating each took a second parse of every file, all of it held (at 10,000 buyers 20 s
    more, and 1.3 GB)."""

    summary: str
    file: str
    located: Locator
    path: tuple
    _told: Diagnostic | None = None

    def diagnostic(self, located: Locator | None = None) -> Diagnostic:
        """The problem at its place, found once (with `located`, where given)."""
        if self._told is None:
            self._told = Diagnostic(self.summary, (located or self.located).locate(self.path))
        return self._told


def _unset_reported(name: str, references: list[_Unset], *, error: bool) -> Diagnostic:
    """One variable's unset references, told once, at the first: an error where the run needs
    the variable, else a warning."""
    # The first in file order: located among those of the first file that references it.
    first_file = min(ref.file for ref in references)
    first = _in_file_order([ref.diagnostic() for ref in references if ref.file == first_file])[0]
    more = len(references) - 1
    also = f" and {more} more place{'s' if more > 1 else ''}" if more else ""
    if error:
        summary = first.summary if not more else f"{first.summary[:-1]} here{also})"
        return Diagnostic(summary, first.location)
    return Diagnostic(f"environment variable {name} is not set (referenced here{also}); "
                      "plan and apply need it", first.location)


def _written_secrets(values: object) -> Iterator[tuple[tuple, str]]:
    """(path, why) for each password written into the YAML itself, where anyone who reads
    the file or its history reads it too; and for a state database URL carrying one."""

    def written(value: object) -> bool:
        return isinstance(value, str | int | float) and not isinstance(value, bool) \
            and str(value) != "" and "${" not in str(value)

    if not isinstance(values, dict):
        return
    settings = values.get("lexsync")
    state = settings.get("state") if isinstance(settings, dict) else None
    url = state.get("url") if isinstance(state, dict) else None
    if isinstance(url, str) and written(url) and _URL_PASSWORD.search(url):
        yield ("lexsync", "state", "url"), ("this URL carries a password in plain text; write "
                                             "the whole URL as ${env:NAME} instead")
    clients = values.get("clients")
    for key, client in (clients.items() if isinstance(clients, dict) else ()):
        if not isinstance(client, dict):
            continue
        places: list[tuple[tuple[object, ...], object]] = [
            (("clients", key, "password"), client.get("password"))]
        methods = client.get("delivery_methods")
        for name, method in (methods.items() if isinstance(methods, dict) else ()):
            for block in ("smtp", "ftp"):
                settings_block = method.get(block) if isinstance(method, dict) else None
                if isinstance(settings_block, dict):
                    places.append((("clients", key, "delivery_methods", name, block, "password"),
                                   settings_block.get("password")))
        for path, value in places:
            if written(value):
                yield path, (f"{'.'.join(map(str, path))} is written in plain text; keep it out "
                             "of the YAML with ${env:NAME} or ${file:PATH}")


class _Read:
    """One file as read. Its text is kept (not re-read from disk, which may have changed) so
    that positions answer for exactly the bytes the values came from; compressed, as it is
    rarely asked for (a 10,000-buyer network's files are 43 MB of text)."""

    def __init__(self, display: str, text: str) -> None:
        self.display = display
        self._packed = zlib.compress(text.encode("utf-8"), 1)
        self.sendable = True  # see validate.surely_sendable

    @property
    def text(self) -> str:
        return zlib.decompress(self._packed).decode("utf-8")

    def positions(self) -> Positions:
        """Computed each time asked (each asker keeps what it asked for, `LazyPositions`)."""
        return parse_yaml(self.text, self.display)[1]


def _merged_positions(reads: list[_Read], layout: Layout) -> Positions:
    return merge_positions(layout, [read.positions() for read in reads])


def _in_file_order(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    def key(d: Diagnostic) -> tuple:
        loc = d.location
        return (0, loc.file, loc.line, loc.column) if loc else (1, "", 0, 0)

    return sorted(diagnostics, key=key)


def find_files(path: Path) -> tuple[Path, list[Path], bool]:
    """The folder, the YAML files that may be the configuration's (each read tells whether it
    is a lexsync file: `is_configuration_text`), and whether `path` is a folder."""
    if path.is_dir():
        # By name: the order of Paths in one folder, without building their parts to compare.
        # A scan's entries know their type without a stat each (10x faster at 10,000 files).
        with os.scandir(path) as entries:
            listed = [(Path(entry.path), entry) for entry in entries]
        candidates = sorted((file for file, entry in listed
                             if file.suffix in YAML_SUFFIXES
                             and not file.name.endswith(ROUTING_TEST_SUFFIXES)
                             and _is_file(entry)), key=_name)
        if not candidates:
            raise ConfigError([Diagnostic(f"no *.yaml or *.yml files in directory {path}")])
        return path, candidates, True
    if not path.exists():
        raise ConfigError([Diagnostic(f"configuration {path} does not exist")])
    return path.parent, [path], False


def _is_file(entry: os.DirEntry[str]) -> bool:
    """`Path.is_file` of a scanned entry: a broken link (a loop, a path through a file) is
    no file, as pathlib says, rather than an error."""
    try:
        return entry.is_file()
    except OSError:
        return Path(entry.path).is_file()


def _name(path: Path) -> str:
    return path.name


def _foreign(path: Path) -> Diagnostic:
    return Diagnostic(
        "not a lexsync file: none of its top-level keys is a lexsync section ("
        + ", ".join(SECTIONS) + "). A configuration folder holds only lexsync YAML: move "
        "this file, or pass -c with the file you mean", SourceLocation(str(path), 1, 1))


def discover(folder: Path) -> Path | None:
    """The configuration in `folder` when no -c names one. Like Terraform's *.tf, it is the
    folder's lexsync YAML files together: the folder itself when it holds any besides
    lexsync.yaml (or instead of it), lexsync.yaml alone when it is the only one; None when
    there is none."""
    candidates = sorted(p for p in folder.iterdir() if p.suffix in YAML_SUFFIXES and p.is_file())
    named = [p for p in candidates if p.name in DEFAULT_NAMES]
    others = [p for p in candidates if p.name not in DEFAULT_NAMES and is_configuration_file(p)]
    if others:
        return folder
    return named[0] if named else None


def is_configuration_file(path: Path) -> bool:
    """Whether a YAML file is a lexsync file: lexsync.yaml is; another file is when a
    top-level key is a lexsync section or close to one (a misspelt section is read, to be
    reported), or when no top-level key can be seen without parsing it (an empty file, a flow
    mapping). Routing test cases (*.test.yaml) and other tools' files are not."""
    if path.name in DEFAULT_NAMES or path.name.endswith(ROUTING_TEST_SUFFIXES):
        return path.name in DEFAULT_NAMES
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            return _names_a_section(handle)
    except OSError:
        return True  # unreadable: the loader says why


def is_configuration_text(name: str, text: str) -> bool:
    """`is_configuration_file` of a file named `name` whose text is `text`."""
    if name in DEFAULT_NAMES or name.endswith(ROUTING_TEST_SUFFIXES):
        return name in DEFAULT_NAMES
    return _names_a_section(text.splitlines())


def _names_a_section(lines: Iterable[str]) -> bool:
    seen = False
    for line in lines:
        key = _top_level_key(line)
        if key is None:
            continue
        seen = True
        if key in SECTIONS or difflib.get_close_matches(key, SECTIONS, n=1, cutoff=0.8):
            return True
    return not seen


def _top_level_key(line: str) -> str | None:
    match = _TOP_LEVEL_KEY.match(line)
    if match is None:
        return None
    return next(g for g in match.groups() if g is not None).strip()


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
