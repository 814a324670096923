"""Adopt a live LeadExec account: live objects → YAML files plus the matching state.

`import_keys.py` picks the live objects and their YAML keys, each kind writes its own YAML
(`ResourceKind.to_yaml`, the inverse of `expand`), and this module lays that out in files.
The result is loaded back through the real loader and `expand` and planned against the same
live view before anything is written, so a round-trip gap shows up as a note at import time
instead of a surprise in the next plan.
"""

from __future__ import annotations

import functools
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap

from lexsync.api.protocol import LeadExecClient, LeadExecReads
from lexsync.config.interpolate import Sources, interpolate
from lexsync.config.loader import LoadedConfig, load_configuration
from lexsync.config.models import Settings
from lexsync.config.positions import Positions
from lexsync.config.writer import SecretRef, dump, escaped, merge_into, plain, styled, yaml_writer
from lexsync.engine import endpoint as endpoints
from lexsync.engine import wire_limits
from lexsync.engine.expand import expand, targeted_model
from lexsync.engine.import_keys import (
    ENV_REF,
    FILE_PER,
    Existing,
    Imported,
    ImportFailed,
    KeyWalk,
    Picked,
    env_name,
    read_existing,
    settings_docs,
)
from lexsync.engine.plan import Action
from lexsync.engine.planner import PlanBundle, build_plan
from lexsync.engine.refresh import gather_all, in_turn, read_client, read_client_fields, refresh
from lexsync.errors import ConfigError
from lexsync.resources.base import Context, Live
from lexsync.resources.catalog import Catalog, name_key
from lexsync.resources.live import LiveView
from lexsync.resources.registry import BY_NAME, KINDS, children_of, kind_name, kind_of_address
from lexsync.resources.wirefields import without_unknown
from lexsync.state.backend import StateBackend
from lexsync.state.document import ResourceState, StateDocument

SETTINGS_FILE = "lexsync.yaml"
SHARED_FILE = "groups.yaml"
ROOT_FILE = "{kind}-{key}.yaml"
SHARED_HEADER = "Client groups and lead types, imported from LeadExec by `lexsync import`."
PLACEHOLDER_HEADER = "LeadExec cannot show these; declare them before lexsync writes this {word}:"
# What a re-import leaves in place when the generated YAML omits it (see merge_into).
YAML_DEFAULTS: dict[str, Any] = {key: value for kind in KINDS for key, value in kind.yaml_defaults.items()}
YAML_KEPT: frozenset[str] = frozenset().union(*(kind.yaml_kept for kind in KINDS))

ApiOpener = Callable[[], AbstractAsyncContextManager[LeadExecClient]]


@dataclass
class ImportResult:
    files: dict[Path, str]  # path → new text (only files whose text changed)
    unchanged: list[Path]
    state: StateDocument
    env_vars: dict[str, str]  # variable → what it holds (never the value)
    counts: dict[str, int]
    notes: list[str] = field(default_factory=list)
    residual: list[str] = field(default_factory=list)  # differences the next plan would show
    clients: list[str] = field(default_factory=list)
    # "address: key, key" for each object with write-only values lexsync does not know
    unknown: list[str] = field(default_factory=list)


async def read_for_import(api: LeadExecReads, catalog: Catalog, wanted: tuple[str, ...],
                          everything: bool, keys_by_uid: Mapping[int, str]
                          ) -> tuple[LiveView, list[int]]:
    """What import reads, and the clients it imports. `--all`: everything (the groups, every
    client's accounts, which carry the methods, and field data). `--client`: the groups, the
    client list, and the chosen clients' accounts and field data only (`select_clients`:
    every client's field data only for a name that is nobody's ID, key or username)."""

    async def read_clients() -> tuple[LiveView, list[int]]:
        if everything:
            view = await refresh(api, read_groups=True, client_uids=set(), field_uids=set(),
                                 also_read=_every_client)
            return view, sorted(view.clients)
        view = await refresh(api, read_groups=True, client_uids=set(), field_uids=set())
        chosen = await select_clients(api, view, wanted, keys_by_uid)
        await in_turn(chosen, lambda place, uid: read_client(api, view, uid,
                                                             uid not in view.client_fields))
        return view, chosen

    async def read_catalog() -> None:
        await catalog.load(api, set(), need_states=False)
        lead_type_names = {name for _, name in catalog.lead_types.values()}
        await catalog.load(api, lead_type_names, need_states=True)

    # The catalog's two round trips beside the clients' reads, not after them.
    (view, chosen), _ = await gather_all(read_clients(), read_catalog())
    return view, chosen


def _every_client(row: dict[str, Any]) -> bool:
    return True


async def select_clients(api: LeadExecReads, view: LiveView, wanted: tuple[str, ...],
                         keys_by_uid: Mapping[int, str]) -> list[int]:
    """The clients `--client` names. Each name is looked for as a ClientUID, then a YAML key
    (state's), then a username (in any case), then a company: the first that any client has
    decides, and more than one client there is an error. Companies are in each client's
    field data, read (one GetClientData per client) only when a name is none of the rest."""
    chosen: list[int] = []
    unknown: list[str] = []
    for name in wanted:
        matches: list[int] = []
        for tier in _TIERS:
            if tier == "company":
                await read_client_fields(api, view, [uid for uid in view.clients
                                                     if uid not in view.client_fields])
            matches = _matches(view, name, tier, keys_by_uid)
            if matches:
                break
        if len(matches) > 1:
            raise ImportFailed(f"--client {name!r} matches {len(matches)} clients (IDs "
                               f"{', '.join(map(str, sorted(matches)))}); pass the ID")
        if not matches:
            unknown.append(name)
        chosen += matches
    if unknown:
        raise ImportFailed("no live client matches " + ", ".join(repr(u) for u in unknown)
                           + " (give a username, company, YAML key or ClientUID)")
    return sorted(set(chosen))


_TIERS = ("ClientUID", "YAML key", "username", "company")


def _matches(view: LiveView, name: str, tier: str, keys_by_uid: Mapping[int, str]) -> list[int]:
    """The clients whose `tier` is `name` (a username in any case, a company as a key)."""
    if tier == "ClientUID":
        return [uid for uid in view.clients if name == str(uid)]
    if tier == "YAML key":
        return [uid for uid in view.clients if name == keys_by_uid.get(uid)]
    if tier == "username":
        folded = name.lower()
        return [uid for uid, row in view.clients.items()
                if folded == str(row.get("Username", "")).lower()]
    key = name_key(name)
    return [uid for uid in view.clients if key == name_key(_company(view, uid) or "\0")]


def _company(view: LiveView, uid: int) -> str | None:
    for row in view.client_fields.get(uid, []):
        if int(row.get("ClientFieldUID", 0)) == 1 and str(row.get("FieldValue") or "").strip():
            return str(row["FieldValue"]).strip()
    return None


# --- live objects → keyed YAML -----------------------------------------------------------
@dataclass
class _Secrets:
    """The variables import asks for: what each holds, and its value (for the check only)."""

    what: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)


def _secret_refs(item: Imported, existing: Existing, secrets: _Secrets) -> dict[str, str]:
    """A `${env:...}` reference for each secret LeadExec holds for the object (never its value)."""
    refs: dict[str, str] = {}
    keys = item.address.split(".")[1::2]
    for path, secret in item.kind.secrets.items():
        raw = str(item.live.wire.get(secret.wire_key) or "")
        if not raw:
            continue
        prefix = "LEXSYNC_" + "".join(f"{part.upper()}_" for part in path.split(".")[:-1]) + "PW"
        ref = existing.secret_refs.get((item.address, path)) or f"${{env:{env_name(prefix, *keys)}}}"
        refs[path] = SecretRef(ref)
        match = ENV_REF.match(ref)
        if match:
            secrets.what[match.group(1)] = f"{secret.what} of {item.address}"
            secrets.values[match.group(1)] = raw
    return refs


@dataclass
class _Placeholders:
    """Commented placeholders for the write-only values import cannot know, by YAML path."""

    by_path: dict[tuple[str, ...], list[tuple[str, str]]] = field(default_factory=dict)
    words: dict[tuple[str, ...], str] = field(default_factory=dict)
    addresses: dict[tuple[str, ...], str] = field(default_factory=dict)
    # (section, key) -> the paths under that top-level object: placing one object looks at
    # its own, not at every object's (quadratic in a 10,000-buyer import).
    under: dict[tuple[str, ...], list[tuple[str, ...]]] = field(default_factory=dict)

    def add(self, path: tuple[str, ...], missing: list[tuple[str, str]], word: str,
            address: str) -> None:
        self.by_path[path] = missing
        self.words[path] = word
        self.addresses[path] = address
        self.under.setdefault(path[:2], []).append(path)

    def summary(self) -> list[str]:
        return [f"{self.addresses[path]}: {', '.join(key for key, _ in keys)}"
                for path, keys in self.by_path.items()]


def _known(item: Imported, ctx: Context, known: Mapping[tuple[str, int], dict[str, Any]]) -> Live:
    """The live object with what state last applied for the fields no read shows (a
    re-import writes the write-only values lexsync knows)."""
    previous = known.get((item.kind.kind, item.live.remote_id))
    if previous is None:
        return item.live
    client_key = item.parent.key if item.parent is not None else None
    attrs = item.kind.observe(item.live.wire, ctx, previous, client_key)
    return Live(item.live.remote_id, item.live.wire, attrs, item.live.parent_id,
                item.live.sub_ids, item.live.observable)


def _yaml_of(item: Imported, ctx: Context, existing: Existing, secrets: _Secrets,
             known: Mapping[tuple[str, int], dict[str, Any]], placeholders: _Placeholders,
             path: tuple[str, ...]) -> dict[str, Any]:
    """The object's YAML with its children's under their sections."""
    refs = _secret_refs(item, existing, secrets)
    live = _known(item, ctx, known)
    item.live = live
    body: dict[str, Any] = escaped(item.kind.to_yaml(item.key, live.attrs, ctx, refs))
    missing = item.kind.unknown_placeholders(live.attrs, ctx)
    if missing:
        placeholders.add(path, missing, item.kind.kind.replace("_", " ").removeprefix("delivery "),
                         item.address)
    for kind in children_of(item.kind):
        section = {c.key: _yaml_of(c, ctx, existing, secrets, known, placeholders,
                                   (*path, kind.section, c.key))
                   for c in item.children if c.kind is kind}
        if section:
            body[kind.section] = section
    return body


def _referenced(items: list[Imported]) -> set[str]:
    """Addresses of the top-level objects these objects refer to."""
    out = set()
    for item in items:
        for attr, target in item.kind.references.items():
            if BY_NAME[target].parent is None and item.live.attrs.get(attr):
                out.add(BY_NAME[target].address(str(item.live.attrs[attr])))
    return out


class _LastApplied(Mapping[tuple[str, int], dict[str, Any]]):
    """(kind, remote ID) → the attributes state last recorded, each record built only when
    asked for (a large state's records are not all built to import one client)."""

    def __init__(self, state: StateDocument) -> None:
        self.records = state.resources
        self.addresses = {(kind_name(address), remote_id): address
                          for address, remote_id in state.resources.remote_ids().items()}

    def __getitem__(self, key: tuple[str, int]) -> dict[str, Any]:
        record = self.records.peek(self.addresses[key])
        assert record is not None
        return record.attributes

    def __iter__(self) -> Iterator[tuple[str, int]]:
        return iter(self.addresses)

    def __len__(self) -> int:
        return len(self.addresses)


def _picked(view: LiveView, state: StateDocument, client_uids: list[int]) -> Picked:
    """The clients a `--client` import writes, as the output directory's files may name them."""
    chosen = set(client_uids)
    return Picked(
        usernames=frozenset(str(view.clients[uid].get("Username") or "") for uid in chosen) - {""},
        keys=frozenset(address.split(".")[1]
                       for address, remote_id in state.resources.remote_ids().items()
                       if remote_id in chosen and kind_name(address) == FILE_PER))


def plan_import(view: LiveView, catalog: Catalog, state: StateDocument, settings: Settings,
                out: Path, client_uids: list[int], everything: bool, write_settings: bool,
                environ: Mapping[str, str]) -> ImportResult:
    """Build the files and state for the chosen clients; writes nothing."""
    existing = read_existing(out, None if everything else _picked(view, state, client_uids))
    ctx = Context(catalog=catalog, dialect=settings.dialect, hash_secret=state.hash_secret)
    notes: list[str] = []
    top = KeyWalk(view, ctx, existing, state, notes).top_level(client_uids)
    roots = [item for item in top if item.kind.kind == FILE_PER]
    chosen = [item for root in roots for item in root.walk()]
    # Top-level objects of other kinds: all with --all, else those the chosen ones refer to.
    wanted = _referenced(chosen)
    chosen += [item for item in top
               if item.kind.kind != FILE_PER and (everything or item.address in wanted)]
    chosen_tops = {item.address for item in chosen if item.parent is None}
    secrets = _Secrets()
    placeholders = _Placeholders()
    known = _LastApplied(state)
    sections: dict[str, dict[str, Any]] = {}  # YAML section → key → body
    for item in top:
        if item.address in chosen_tops:
            sections.setdefault(item.kind.section, {})[item.key] = _yaml_of(
                item, ctx, existing, secrets, known, placeholders, (item.kind.section, item.key))
    counts = {kind.kind: sum(1 for item in chosen if item.kind is kind) for kind in KINDS}
    for kind in KINDS:
        notes += kind.import_notes(ctx, counts[kind.kind])
    lead_types = sorted({str(item.live.attrs["lead_type"]) for item in chosen
                         if item.live.attrs.get("lead_type")})
    files, unchanged = _render_files(out, existing, sections, lead_types, settings,
                                     write_settings and not existing.has_settings, placeholders)
    result = ImportResult(files=files, unchanged=unchanged, state=state, env_vars=secrets.what,
                          counts=counts, notes=notes,
                          clients=sorted(item.key for item in roots),
                          unknown=placeholders.summary())
    origin = {item.address: (item.live.remote_id, item.parent.live.remote_id if item.parent else None)
              for item in chosen}
    _reconcile(result, out, view, catalog, state, settings.dialect,
               {**environ, **secrets.values}, origin, {item.address for item in roots})
    return result


def _render_files(out: Path, existing: Existing, sections: dict[str, dict[str, Any]],
                  lead_types: list[str], settings: Settings, write_settings: bool,
                  placeholders: _Placeholders | None = None) -> tuple[dict[Path, str], list[Path]]:
    """One file per object of the kind `--client` picks; the other kinds' sections and the
    lead types in a shared file; settings in their own. Files already there are updated in
    place (merge_into), so comments and order survive."""
    docs = existing.docs
    touched: dict[Path, Any] = {}

    def doc_for(path: Path, header: str) -> Any:
        if path not in touched:
            doc = existing.doc(path)  # (a file left unread is parsed once it is written)
            if isinstance(doc, CommentedMap):
                touched[path] = doc
            else:
                fresh = CommentedMap()
                fresh.yaml_set_start_comment(header)
                touched[path] = fresh
        return touched[path]

    def place(doc: Any, section: str, key: str, body: dict[str, Any]) -> None:
        mapping = doc.setdefault(section, CommentedMap())
        if key in mapping and isinstance(mapping[key], CommentedMap):
            merge_into(mapping[key], body, YAML_DEFAULTS, YAML_KEPT)
        else:
            mapping[key] = styled(body)
        if placeholders is None:
            return
        for path in placeholders.under.get((section, key), []):
            _comment_placeholders(doc, path, placeholders.by_path[path], placeholders.words[path])

    per_file = BY_NAME[FILE_PER]
    for key, body in sections.pop(per_file.section, {}).items():
        address = per_file.address(key)
        path = existing.file_of.get(address) or out / ROOT_FILE.format(kind=per_file.kind, key=key)
        place(doc_for(path, f"Client {key}, imported from LeadExec by `lexsync import`."),
              per_file.section, key, body)
    holding = {p: d for p, d in docs.items() if isinstance(d, CommentedMap)}
    shared = [k.section for k in KINDS if k.parent is None and k.kind != FILE_PER]
    shared_path = next((p for p, d in holding.items() if any(s in d for s in shared)), out / SHARED_FILE)
    for section, objects in sections.items():
        path = next((p for p, d in holding.items() if section in d), shared_path)
        for key, body in objects.items():
            place(doc_for(path, SHARED_HEADER), section, key, body)
    types_path = next((p for p, d in holding.items() if "lead_types" in d), None)
    present = {name_key(str(t)) for d in holding.values() for t in (d.get("lead_types") or [])}
    missing = [t for t in lead_types if name_key(t) not in present]
    if missing:
        doc = doc_for(types_path or shared_path, SHARED_HEADER)
        if "lead_types" in doc:
            doc["lead_types"].extend(missing)
        else:
            doc.insert(0, "lead_types", styled(missing, "lead_types"))
    if write_settings:
        doc = doc_for(out / SETTINGS_FILE, "lexsync settings, written by `lexsync import`.")
        doc["lexsync"] = styled({"dialect": settings.dialect})

    yaml = yaml_writer()
    texts: dict[Path, str] = {}
    unchanged = []
    for path, doc in sorted(touched.items()):
        text = dump(yaml, doc)
        if path.exists() and path.read_text(encoding="utf-8") == text:
            unchanged.append(path)
        else:
            texts[path] = text
    return texts, unchanged


def _comment_placeholders(doc: Any, path: tuple[str, ...], missing: list[tuple[str, str]],
                          word: str) -> None:
    """A comment above the object's keys naming each value to declare; none where the file
    already has one or declares the key (a re-import leaves the file as it is)."""
    target = doc
    for part in path:
        target = target.get(part) if isinstance(target, CommentedMap) else None
    if not isinstance(target, CommentedMap) or target.ca.comment:
        return
    plain_target = plain(target)
    wanted = [(key, how) for key, how in missing
              if not _declared(plain_target, key)]
    if not wanted:
        return
    width = max(len(key) for key, _ in wanted)
    lines = [PLACEHOLDER_HEADER.format(word=word)]
    lines += [f"  {key + ':':<{width + 1}} {how}" for key, how in wanted]
    target.yaml_set_start_comment("\n".join(lines), indent=2 * len(path))


def _declared(mapping: Any, path: str) -> bool:
    for part in path.split("."):
        if not isinstance(mapping, dict) or part not in mapping:
            return False
        mapping = mapping[part]
    return True


def _reconcile(result: ImportResult, out: Path, view: LiveView, catalog: Catalog,
               state: StateDocument, dialect: str, environ: Mapping[str, str],
               origin: Mapping[str, tuple[int, int | None]], roots: set[str]) -> None:
    """Load the would-be directory through the real loader, record state from `expand`,
    and plan it against the live view: whatever that plan still changes is reported."""
    with tempfile.TemporaryDirectory(prefix="lexsync-import-") as tmp:
        root = Path(tmp)
        if out.is_dir():
            for path in out.iterdir():
                if path.suffix in (".yaml", ".yml") and path.is_file():
                    shutil.copyfile(path, root / path.name)
        for path, text in result.files.items():
            (root / path.name).write_text(text, encoding="utf-8")
        # Clients not being imported may name variables this shell lacks; their values do not
        # matter here (only imported resources are checked), so they stand in as empty.
        referenced = {m.group(1) for p in root.iterdir()
                      for m in re.finditer(r"\$\{env:([^}]+)\}", p.read_text(encoding="utf-8"))}
        environ = {**{name: "" for name in referenced}, **environ}
        # Only the imported clients' files and those holding settings or groups are read
        # whole: the files of other clients only are left as they are (config/scan.py).
        clients = {address.split(".")[1] for address in roots if address.startswith("client.")}
        try:
            loaded = load_configuration(root, environ, clients=clients)
        except ConfigError as exc:
            raise ImportFailed("the generated configuration does not load; nothing was written:\n"
                               + "\n".join(f"  {d}" for d in exc.diagnostics)) from None
    if loaded.model.lexsync.dialect != dialect:
        raise ImportFailed(f"the configuration in {out} uses the {loaded.model.lexsync.dialect} dialect")
    ctx = Context(catalog=catalog, dialect=dialect, hash_secret=state.hash_secret)
    ctx.ids = state.resources.remote_ids()  # builds no record
    ctx.ids.update({a: i for a, (i, _) in origin.items()})
    desired = expand(loaded, ctx)
    scoped = {kind: [d for d in items if d.address in origin] for kind, items in desired.items()}
    trial = StateDocument(lineage=state.lineage, secret_salt=state.secret_salt)
    for items in scoped.values():
        for d in items:
            remote_id, parent_id = origin[d.address]
            trial.resources[d.address] = ResourceState(
                address=d.address, kind=d.kind, remote_id=remote_id, parent_id=parent_id,
                attributes=dict(d.attrs), depends_on=list(d.depends_on))
    plan_ctx = Context(catalog=catalog, dialect=dialect, hash_secret=state.hash_secret,
                       ids={a: r.remote_id for a, r in trial.resources.items()})
    bundle = build_plan(scoped, trial, view, plan_ctx)
    for step in bundle.steps:
        if step.live is not None and step.live.observable and step.change.address in trial.resources:
            record = trial.resources[step.change.address]
            record.sub_ids = dict(step.live.sub_ids)
            if step.desired is not None:
                # What LeadExec holds counts as applied, with what no read shows left unknown.
                record.attributes = step.kind.recorded(step.desired, step.live, plan_ctx)
        if step.change.action is Action.NOOP:
            continue
        if not step.change.changes:
            result.residual.append(f"{step.change.address}: {step.change.reason or step.change.action.value}")
        for change in step.change.changes:
            result.residual.append(f"{step.change.address}: {change.path}: {change.before!r} in LeadExec, "
                                   f"{change.after!r} in YAML")
    # What state held under a re-imported client but LeadExec no longer shows is forgotten.
    for address in list(state.resources):
        if ".".join(address.split(".")[:2]) in roots and address not in trial.resources:
            del state.resources[address]
    state.resources.update(trial.resources)


# --- running it --------------------------------------------------------------------------
def settings_in(out: Path, dialect: str | None, environ: Mapping[str, str]) -> tuple[Settings, bool]:
    """The `lexsync:` block of the output directory, or a new one; and whether one exists."""
    for path, data in settings_docs(out).items():
        if isinstance(data, dict) and "lexsync" in data:
            # Interpolated like the loader does, e.g. state.url: ${env:LEXSYNC_STATE_URL}.
            block, missing = interpolate(plain(data["lexsync"]), Positions(), Sources(environ, out, out))
            if missing:
                raise ImportFailed(f"{path}: " + "; ".join(d.summary for d in missing))
            try:
                settings = Settings.model_validate(block)
            except ValueError as exc:
                raise ImportFailed(f"the lexsync: settings in {out} are invalid ({exc}); "
                                   "run lexsync validate") from None
            if dialect and dialect != settings.dialect:
                raise ImportFailed(f"--dialect {dialect} differs from the {settings.dialect} dialect "
                                   f"configured in {out}")
            return settings, True
    return Settings(dialect=dialect or "rest"), False  # type: ignore[arg-type]


def write_files(files: Mapping[Path, str]) -> None:
    for path, text in sorted(files.items()):
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False,
                                         prefix=f".{path.name}.", suffix=".tmp") as handle:
            handle.write(text)
            temp = Path(handle.name)
        temp.replace(path)


async def run_import(out: Path, settings: Settings, backend: StateBackend, open_api: ApiOpener, *,
                     clients: tuple[str, ...], everything: bool, write_settings: bool,
                     environ: Mapping[str, str],
                     endpoint: endpoints.Endpoint | None = None) -> ImportResult:
    """Read the whole account, then write the YAML files and the state; nothing is written
    unless every read and the round-trip check succeeded."""
    if not clients and not everything:
        raise ImportFailed("say what to import: --all, or --client NAME_OR_ID (repeatable)")
    with backend.lock("import"):
        async with open_api() as api:
            state = await wire_limits.load_state_prefetching(
                api, functools.partial(backend.load, by_index=True))
            # (From the remote IDs, which build no record: state/records.py.)
            keys_by_uid = {remote_id: address.split(".")[1]
                           for address, remote_id in state.resources.remote_ids().items()
                           if kind_name(address) == "client"}
            catalog = Catalog()
            # Reads, like a plan's, go out while the state's endpoint is checked; nothing is
            # written unless it passes.
            view, uids = await endpoints.checked_beside(
                state, endpoint, read_for_import(api, catalog, clients, everything, keys_by_uid))
        result = plan_import(view, catalog, state, settings, out, uids, everything, write_settings, environ)
        endpoints.record(state, endpoint)
        write_files(result.files)
        backend.write(state)
    return result


def record_adopted(bundle: PlanBundle, state: StateDocument) -> list[str]:
    """Put resources that `--adopt` matched and that need no write into state (apply skips
    no-op steps, so without this an adopted, unchanged resource would stay unrecorded)."""
    adopted = []
    for step in bundle.steps:
        if step.change.action is not Action.NOOP or step.previous is not None or step.live is None \
                or step.desired is None:
            continue
        parent = bundle.ctx.ids.get(step.parent_address) if step.parent_address else None
        state.resources[step.change.address] = ResourceState(
            address=step.change.address, kind=step.kind.kind, remote_id=step.live.remote_id,
            parent_id=parent, sub_ids=dict(step.live.sub_ids),
            attributes=step.kind.recorded(step.desired, step.live, bundle.ctx),
            depends_on=list(step.desired.depends_on))
        adopted.append(step.change.address)
    return adopted


async def adopt_one(loaded: LoadedConfig, backend: StateBackend, open_api: ApiOpener, address: str,
                    remote_id: int, endpoint: endpoints.Endpoint | None = None) -> ResourceState:
    """`lexsync import ADDRESS ID`: record one live object in state for a resource in the YAML."""
    try:
        kind = kind_of_address(address)
    except KeyError:
        raise ImportFailed(f"{address!r} is not a resource address (client_group.NAME, client.NAME, "
                           "client.NAME.delivery_method.NAME, client.NAME.delivery_account.NAME)") from None
    dialect = loaded.model.lexsync.dialect
    with backend.lock("import"):
        state = backend.load(by_index=True)
        await endpoints.check_in_thread(state, endpoint)
        remote_ids = state.resources.remote_ids()  # builds no record
        if address in remote_ids:
            raise ImportFailed(f"{address} is already in state (ID {remote_ids[address]}); "
                               f"run `lexsync state rm {address}` first to adopt another object")
        for other, other_id in remote_ids.items():
            if kind_name(other) == kind.kind and other_id == remote_id:
                raise ImportFailed(f"{kind.kind} {remote_id} is already managed as {other}")
        ctx = Context(catalog=Catalog(), dialect=dialect, hash_secret=state.hash_secret)
        ctx.ids = remote_ids
        # Only the client the address is under (or none, for a group) is expanded.
        loaded = replace(loaded, model=targeted_model(loaded.model, (address,)))
        lead_types = {m.lead_type for c in loaded.model.clients.values() for m in c.delivery_methods.values()}
        async with open_api() as api:
            await ctx.catalog.load(api, lead_types, need_states=True)
            desired = {d.address: d for items in expand(loaded, ctx).values() for d in items}
            wanted = desired.get(address)
            if wanted is None:
                raise ImportFailed(f"{address} is not in the configuration; add it to the YAML first")
            parent_id = None
            if kind.parent is not None:
                parent = address.rsplit(".", 2)[0]
                parent_id = ctx.ids.get(parent)
                if parent_id is None:
                    raise ImportFailed(f"{parent} is not in state: import it first "
                                       f"(lexsync import {parent} {kind.parent.upper()}_ID)")
            reads = kind.reads(remote_id, parent_id)
            view = await refresh(api, read_groups=reads.groups, client_uids=set(reads.clients),
                                 field_uids=set(reads.fields))
        live = kind.find_live(view, remote_id, ctx, None, wanted.client)
        if live is None:
            where = f" under client.{wanted.client}" if wanted.client else ""
            hint = "" if kind.shown_alone else \
                f" (LeadExec shows a {kind.kind.replace('_', ' ')} only through an account that uses it)"
            raise ImportFailed(f"LeadExec has no {kind.kind} with ID {remote_id}{where}{hint}")
        record = ResourceState(
            address=address, kind=kind.kind, remote_id=remote_id, parent_id=live.parent_id,
            sub_ids=dict(live.sub_ids),
            # What LeadExec holds now counts as last applied: YAML differences show as
            # unapplied. What no read shows stays unknown.
            attributes=without_unknown(live.attrs), depends_on=list(wanted.depends_on))
        state.resources[address] = record
        endpoints.record(state, endpoint)
        backend.write(state)
    return record
