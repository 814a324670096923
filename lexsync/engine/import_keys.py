"""Which live objects `lexsync import` writes, and under which YAML keys.

Keys are readable and stable: a key state or the output directory's YAML already gives an
object is kept; a new one is made from the object's label (`ResourceKind.import_label`); a
kind whose key is its name in LeadExec (`key_is_name`) keeps that name where it can.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap

from lexsync.config.scan import scan_clients
from lexsync.config.writer import yaml_writer
from lexsync.errors import LexsyncError
from lexsync.resources.base import Context, Live, ResourceKind
from lexsync.resources.live import LiveView
from lexsync.resources.registry import KINDS, children_of, kind_name
from lexsync.state.document import StateDocument

ENV_REF = re.compile(r"^\$\{env:([^}]+)\}$")
# The kind `--client` picks: its chosen objects are walked, with what lives under them.
FILE_PER = "client"


class ImportFailed(LexsyncError):
    """Import could not read or reconcile the account; nothing was written."""


# --- names -------------------------------------------------------------------------------
def slug(text: str, fallback: str) -> str:
    """A readable YAML key: lower case, runs of other characters → '-', no dots."""
    out = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48].strip("-")
    return out or fallback


def env_name(*parts: str) -> str:
    return "_".join(re.sub(r"[^A-Z0-9]", "_", p.upper()) for p in parts)


def unique(base: str, taken: set[str]) -> str:
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    taken.add(candidate)
    return candidate


def word_of(kind: ResourceKind) -> str:
    """delivery_account → account: how notes and fallback keys name a kind."""
    return kind.kind.rsplit("_", 1)[-1]


def with_article(word: str) -> str:
    return f"{'an' if word[0] in 'aeiou' else 'a'} {word}"


# --- what the output directory already holds ---------------------------------------------
@dataclass
class Existing:
    """The output directory's files (round-trip), and the keys and references they use."""

    docs: dict[Path, Any] = field(default_factory=dict)
    file_of: dict[str, Path] = field(default_factory=dict)  # top-level address → its file
    keys: dict[tuple[str, str | None], set[str]] = field(default_factory=dict)  # (kind, parent address)
    key_by_natural: dict[tuple[str, str | None, str], str] = field(default_factory=dict)
    secret_refs: dict[tuple[str, str], str] = field(default_factory=dict)  # (address, path) → ref
    has_settings: bool = False
    # Files holding only clients not imported (their keys are in `keys`): parsed only if one
    # is written after all (`doc`).
    unread: set[Path] = field(default_factory=set)

    def doc(self, path: Path) -> Any:
        """The file's document, round-trip; parsed now if it was left unread."""
        if path in self.unread:
            self.unread.discard(path)
            self.docs[path] = _parse(path, path.read_text(encoding="utf-8"))
        return self.docs.get(path)


@dataclass(frozen=True)
class Picked:
    """The clients a `--client` import writes: their usernames, and the keys state gives
    them. A file that surely holds only other clients (`config/scan.py`) and names none of
    these is not parsed: at 10,000 buyers, parsing every file round-trip took minutes and
    gigabytes to import one client."""

    usernames: frozenset[str]
    keys: frozenset[str]

    def other_clients(self, text: str) -> frozenset[str] | None:
        """The client keys of a file that surely holds none of the picked clients (it is not
        parsed), or None when it may hold one (it is). A username is looked for in the text
        folded to lower case with its whitespace runs made one space (YAML folds a plain
        scalar's lines); a text with an escape, or a username with a quote (which YAML may
        write doubled or escaped), is always parsed."""
        found = scan_clients(text)
        if found is None or found.sections != {"clients"} or found.clients & self.keys \
                or "\\" in text or any(q in u for u in self.usernames for q in "'\""):
            return None
        folded = " ".join(text.lower().split())
        if any(" ".join(u.lower().split()) in folded for u in self.usernames):
            return None
        return found.clients


def _yaml_files(out: Path) -> list[Path]:
    return sorted(p for p in out.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def _parse(path: Path, text: str) -> Any:
    try:
        return yaml_writer().load(text)
    except Exception as exc:  # ruamel raises many types; the loader gives the located message
        raise ImportFailed(f"cannot read {path} to update it: {exc}") from None


def settings_docs(out: Path) -> dict[Path, Any]:
    """The output directory's files that may hold the `lexsync:` settings, round-trip (a file
    whose lines show other sections alone is not parsed)."""
    docs: dict[Path, Any] = {}
    if not out.is_dir():
        return docs
    for path in _yaml_files(out):
        text = path.read_text(encoding="utf-8")
        found = scan_clients(text)
        if found is None or "lexsync" in found.sections:
            docs[path] = _parse(path, text)
    return docs


def _yaml_objects(section_owner: Any, kinds: list[ResourceKind], parent: str | None
                  ) -> Iterator[tuple[ResourceKind, str, str, Any]]:
    """(kind, address, key, mapping) for every resource written in a YAML document."""
    for kind in kinds:
        for key, body in (section_owner.get(kind.section) or {}).items():
            address = kind.address(str(key), parent)
            yield kind, address, str(key), body
            if isinstance(body, dict):
                yield from _yaml_objects(body, children_of(kind), address)


def _secret_at(body: Any, path: str) -> Any:
    for part in path.split("."):
        body = body.get(part) if isinstance(body, dict) else None
    return body


def read_existing(out: Path, picked: Picked | None = None) -> Existing:
    """What the output directory holds; with `picked` (a `--client` import), the files that
    may hold none of the picked clients are not parsed (`Picked`)."""
    found = Existing()
    if not out.is_dir():
        return found
    top_level = [kind for kind in KINDS if kind.parent is None]
    for path in _yaml_files(out):
        text = path.read_text(encoding="utf-8")
        others = None if picked is None else picked.other_clients(text)
        if others is not None:
            found.unread.add(path)
            for key in others:
                found.file_of[f"{FILE_PER}.{key}"] = path
                found.keys.setdefault((FILE_PER, None), set()).add(key)
            continue
        data = _parse(path, text)
        found.docs[path] = data
        if not isinstance(data, CommentedMap):
            continue
        found.has_settings |= "lexsync" in data
        for kind, address, key, body in _yaml_objects(data, top_level, None):
            parent = address.rsplit(".", 2)[0] if kind.parent else None
            if parent is None:
                found.file_of[address] = path
            found.keys.setdefault((kind.kind, parent), set()).add(key)
            if not isinstance(body, dict):
                continue
            natural = str(body.get(kind.natural_attr) or key).lower()
            found.key_by_natural.setdefault((kind.kind, parent, natural), key)
            for secret in kind.secrets:
                ref = _secret_at(body, secret)
                if isinstance(ref, str) and ENV_REF.match(ref):
                    found.secret_refs[(address, secret)] = ref
    return found


@dataclass
class Imported:
    """One live object on its way into the YAML, under the key it will have there."""

    kind: ResourceKind
    key: str
    address: str
    live: Live
    parent: Imported | None
    children: list[Imported] = field(default_factory=list)

    def walk(self) -> Iterator[Imported]:
        yield self
        for child in self.children:
            yield from child.walk()


class KeyWalk:
    """Gives each live object its YAML key, kind by kind in dependency order, so that what an
    object refers to (a client's group, an account's method) is named before it is observed."""

    def __init__(self, view: LiveView, ctx: Context, existing: Existing, state: StateDocument,
                 notes: list[str]) -> None:
        self.view, self.ctx, self.existing, self.notes = view, ctx, existing, notes
        # From the remote IDs and addresses alone, which build no record (state/records.py).
        remote_ids = state.resources.remote_ids()
        self.state_key = {(kind_name(a), remote_id): a.rsplit(".", 1)[1]
                          for a, remote_id in remote_ids.items()}
        self.state_keys: dict[tuple[str, str | None], set[str]] = {}
        for address in remote_ids:
            parent = address.rsplit(".", 2)[0] if "." in address.split(".", 2)[-1] else None
            self.state_keys.setdefault((kind_name(address), parent), set()).add(address.rsplit(".", 1)[1])

    def top_level(self, roots: list[int]) -> list[Imported]:
        """Every top-level object (the chosen ones of the kind `--client` picks), with their
        children."""
        out: list[Imported] = []
        for kind in KINDS:
            if kind.parent is not None:
                continue
            if kind.kind == FILE_PER:
                lives = [live for uid in roots
                         if (live := kind.find_live(self.view, uid, self.ctx, None, None)) is not None]
            else:
                lives = kind.live_candidates(self.view, self.ctx, None)
            for item in self.keyed(kind, lives, None):
                self.add_children(item)
                out.append(item)
        return out

    def add_children(self, item: Imported) -> None:
        self._note_references(item)
        for kind in children_of(item.kind):
            lives = kind.live_candidates(self.view, self.ctx, item.key)
            item.children += self.keyed(kind, lives, item)
        for child in item.children:
            self.add_children(child)

    def _note_references(self, item: Imported) -> None:
        for attr in item.kind.references:
            value = item.live.attrs.get(attr)
            if isinstance(value, str) and value.startswith("#"):
                self.notes.append(f"{item.address}: its {attr} {value[1:]} does not exist in "
                                  "LeadExec; left out")

    def keyed(self, kind: ResourceKind, lives: list[Live], parent: Imported | None) -> list[Imported]:
        owner = parent.address if parent else None
        taken = self.existing.keys.get((kind.kind, owner), set()) | self.state_keys.get((kind.kind, owner), set())
        assigned: set[str] = set()
        naturals: set[str] = set()
        out = []
        for live in sorted(lives, key=lambda live: live.remote_id):
            key = self._name_key(kind, live, owner, assigned) if kind.key_is_name \
                else self._chosen_key(kind, live, owner, taken, assigned, naturals)
            if key is None:
                continue
            assigned.add(key)
            address = kind.address(key, owner)
            self.ctx.ids[address] = live.remote_id
            out.append(Imported(kind, key, address, live, parent))
        return out

    def _name_key(self, kind: ResourceKind, live: Live, owner: str | None, assigned: set[str]) -> str:
        """The object's own name, unless it cannot be a key (empty, repeated, with a dot)."""
        name = kind.import_label(live)
        if name and name not in assigned and "." not in name:
            return name
        key = unique(slug(name, word_of(kind)), set(assigned)) + f"-{live.remote_id}"
        self.notes.append(f"{owner or kind.kind}: {word_of(kind)} {live.remote_id} named {name!r} imported "
                          f"as {key!r}; the next plan renames it ({word_of(kind)} names must be unique keys)")
        return key

    def _chosen_key(self, kind: ResourceKind, live: Live, owner: str | None, taken: set[str],
                    assigned: set[str], naturals: set[str]) -> str | None:
        """The key state or the YAML already gives it, else one made from its label."""
        natural = kind.natural_key(live.attrs)
        if kind.one_per_natural_key and natural in naturals:
            self.notes.append(
                f"{owner or kind.kind}: {word_of(kind)} {live.remote_id} has the same {kind.natural_attr} "
                f"as another ({kind.import_label(live)!r}); the {kind.natural_attr} is {with_article(word_of(kind))}'s "
                "key, so it was left out: rename it in LeadExec and import again")
            return None
        naturals.add(natural)
        known = self.state_key.get((kind.kind, live.remote_id)) \
            or self.existing.key_by_natural.get((kind.kind, owner, natural))
        if known and known not in assigned:
            taken.add(known)
            return known
        return unique(slug(kind.import_label(live), f"{word_of(kind)}-{live.remote_id}"), taken)
