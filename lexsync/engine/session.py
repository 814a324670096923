"""One run: configuration → state → refresh → expand → plan, and apply. The CLI drives this.

A plan reads as its steps (`make_plan`): the configuration is loaded when the session opens
(its errors come first), then state is loaded (on a thread, while the client list and the
lead types, read by every plan, travel), the live objects and the catalog are read
concurrently, the configuration is expanded into desired resources as soon as the catalog
is read (on a thread, while the clients are still read), and the plan is built.
"""

from __future__ import annotations

import asyncio
import functools
import os
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx

from lexsync.api.client import LeadExecApi
from lexsync.api.protocol import LeadExecClient
from lexsync.api.settings import ApiSettings
from lexsync.collector import keep_until_the_end
from lexsync.config.loader import (
    YAML_SUFFIXES,
    LoadedConfig,
    is_configuration_file,
    load_configuration,
)
from lexsync.config.models import Configuration, Settings
from lexsync.engine import endpoint as endpoints
from lexsync.engine import wire_limits
from lexsync.engine.applier import Applier, ApplyResult, StepOutcome
from lexsync.engine.expand import (
    expand,
    record_method_lead_types,
    targeted_clients,
    targeted_model,
    unused_unknown_lead_types,
)
from lexsync.engine.importer import record_adopted
from lexsync.engine.plan import Action, Plan
from lexsync.engine.planfile import check_not_stale
from lexsync.engine.planner import (
    PlanBuilder,
    PlanBundle,
    PlanProblems,
    build_plan,
    refuse_targets_naming_nothing,
    under_targets,
)
from lexsync.engine.ready import Ahead, PartsWaiting, ReadsAhead, note_need
from lexsync.engine.refresh import AlsoRead, gather_all, refresh
from lexsync.engine.unmanaged import refuse_unknown_writes, remember_live
from lexsync.errors import ConfigError, Diagnostic, LexsyncError, SourceLocation
from lexsync.resources.base import Context, Desired
from lexsync.resources.catalog import Catalog
from lexsync.resources.live import LiveView
from lexsync.state.document import StateDocument
from lexsync.state.factory import open_backend, state_exists
from lexsync.state.journal import JournalWriter, journal_path
from lexsync.state.local import LocalBackend

DEFAULT_API_URL = "https://api.leadexec.net"
# How state records an in-process sandbox: its database's path from the configuration's
# folder, so a folder import wrote plans against the sandbox it was imported from.
SANDBOX_PREFIX = "sandbox://local/"
LEGACY_SANDBOX_URL = "http://127.0.0.1"  # what states recorded for every in-process sandbox
SANDBOX_DATABASE = Path(".lexsync") / "sandbox.db"
# How many clients' desired resources a plan made as answers come may hold ahead of their
# answers: enough that the reads (16 at once, in the configuration's order) never wait for
# the expansion, few enough to be a few megabytes.
PARTS_AHEAD = 256
# How many clients' reads may run ahead of the expansion (`ready.ReadsAhead`): as many as
# the parts it may hold, so neither waits on the other in a plan that flows.
READS_AHEAD = 256


@dataclass
class RunOptions:
    config_path: Path
    api_url: str | None = None  # overrides the config's lexsync.api_url
    transport: httpx.AsyncBaseTransport | None = None  # in-process sandbox
    default_credentials: Mapping[str, str] = field(default_factory=dict)  # used when env lacks them
    state_path: Path | None = None
    environ: Mapping[str, str] | None = None
    adopt: bool = False
    targets: tuple[str, ...] = ()
    parallelism: int | None = None
    on_progress: Callable[[str], None] | None = None
    api_factory: Callable[[], LeadExecClient] | None = None  # replaces the HTTP client (engine unit tests)
    refuse_unknown: bool = True  # refuse a plan that writes a value nothing knows (not for drift)
    api_source: str | None = None  # where api_url came from, for messages: "--api", "LEXSYNC_API"
    sandbox: Path | None = None  # the in-process sandbox's database, with --api sandbox
    retire_all: bool = False  # allow a plan that retires everything state manages (drift: reports it)
    # Work on the whole configuration's models done on a thread while the clients are read
    # (plan's lint), before the plan lets go of the clients' models as it expands them. Its
    # answer is `Session.read_aside`.
    while_reading: Callable[[LoadedConfig], Any] | None = None


class Session:
    """Loads the configuration once; plans and applies against one API client."""

    def __init__(self, options: RunOptions) -> None:
        self.options = options
        self.environ = os.environ if options.environ is None else options.environ
        self.loaded = self._load_configuration()
        self.settings = self.loaded.model.lexsync
        self.backend = open_backend(self.settings.state, self.loaded.root, self.environ,
                                    options.state_path)
        self.dialect = self.settings.dialect
        self.last_view: LiveView | None = None
        self.adopted: list[str] = []
        self.warnings: list[Diagnostic] = []  # found while planning; the CLI prints them
        self.read_aside: Any = None  # what `options.while_reading` answered
        self._sandbox_url: str | None = None

    # --- plumbing ------------------------------------------------------------------------
    def _load_configuration(self) -> LoadedConfig:
        # A targeted run loads only the files that may hold what it names (config/loader.py).
        loaded = load_configuration(self.options.config_path, self.environ,
                                    clients=targeted_clients(self.options.targets))
        keep_until_the_end()
        return loaded

    def api_url(self) -> tuple[str, str]:
        """The LeadExec base URL this run reaches, and where that choice came from."""
        if self.options.sandbox is not None:
            return self.options.api_url or LEGACY_SANDBOX_URL, "--api sandbox"
        if self.options.api_url:
            return self.options.api_url, self.options.api_source or "--api"
        if self.settings.api_url:
            return self.settings.api_url, "lexsync.api_url in the configuration"
        return DEFAULT_API_URL, "the default"

    def api_settings(self) -> ApiSettings:
        settings = self.settings
        url, source = self.api_url()
        check_api_url(url, source)  # before the credentials: a bad URL is the first problem
        api_key, client_id, client_secret = credentials_for(
            settings, self.environ, self.options.default_credentials, url, source)
        return ApiSettings(
            base_url=url, dialect=settings.dialect, api_key=api_key, client_id=client_id,
            client_secret=client_secret, namespace=settings.soap_namespace,
            parallelism=self.options.parallelism or settings.parallelism,
            ca_bundle=settings.ca_bundle,
        )

    def sandbox_database(self) -> Path:
        """Where `--api sandbox`'s database is: the sandbox this configuration's state was
        made against, else `.lexsync/sandbox.db` beside the configuration."""
        recorded = self.backend.load(lazily=True).endpoint if state_exists(self.backend) else None
        self._sandbox_url, database = sandbox_location(self.loaded.root, recorded)
        return database

    def where(self) -> str:
        """The LeadExec this run reaches, in words (no secrets)."""
        if self.options.sandbox is not None:
            return f"the sandbox at {display_path(self.options.sandbox)}"
        return f"LeadExec at {self.api_url()[0]}"

    def open_api(self) -> LeadExecClient:
        if self.options.api_factory is not None:
            return self.options.api_factory()
        return LeadExecApi(self.api_settings(), transport=self.options.transport)

    def endpoint(self) -> endpoints.Endpoint | None:
        """The LeadExec this run reaches, for state to be checked against (engine/endpoint.py)."""
        if self.options.api_factory is not None:
            return None
        settings = self.api_settings()
        url = settings.root
        if self.options.sandbox is not None:
            url = self._sandbox_url or sandbox_location(self.loaded.root, None)[0]
        return endpoints.Endpoint(url, settings.api_key, settings.client_id)

    def _progress(self, text: str) -> None:
        if self.options.on_progress:
            self.options.on_progress(text)

    # --- plan ----------------------------------------------------------------------------
    def load_state(self, create: bool = False, lazily: bool = False,
                   by_index: bool = False) -> StateDocument:
        """The state. A plan being saved needs a state with a fixed lineage and salt to be
        checked against later, so with `create` a missing state file is written first.
        `lazily`: records not parsed until asked for (a targeted plan, which writes none);
        `by_index`: read where they are stored as each is asked for, where a record index
        says where (a whole plan, an apply: `StateBackend.load`)."""
        state = self.backend.load(lazily=lazily, by_index=by_index)
        keep_until_the_end()
        if create and not state_exists(self.backend):
            state = self.backend.write(state)
        return state

    async def plan(self, saving: bool = False) -> tuple[PlanBundle, StateDocument]:
        """Plan without the lock. The state's records are read as the plan asks for them
        where the state has a record index: a large state is never all in memory (at 10,000
        buyers its packed records were ~100 MB of the plan's peak)."""
        how = {"create": saving, "lazily": bool(self.options.targets), "by_index": True}
        async with self._open_api_state_first(**how) as api:
            state = await wire_limits.load_state_prefetching(
                api, functools.partial(self.load_state, **how))
            return await self.make_plan(api, state), state

    def _open_api_state_first(self, **how: bool) -> LeadExecClient:
        """The API client. Where its settings are wrong (the URL, the credentials), state is
        loaded first all the same: a broken state, the more urgent problem, is told first."""
        try:
            return self.open_api()
        except LexsyncError:
            self.load_state(**how)
            raise

    async def make_plan(self, api: LeadExecClient, state: StateDocument) -> PlanBundle:
        options = self.options
        if self.loaded.clients_released:  # planned once already: the models are needed again
            self.loaded = self._load_configuration()
        ctx = new_context(state, self.dialect)
        model = targeted_model(self.loaded.model, options.targets)
        reads = reads_for(model, state, ctx, options.targets, options.adopt)
        self._progress(f"reading lead types, lead fields, states and {len(reads.client_uids)} clients")
        client_order = list(model.clients)
        try:
            if options.targets or options.adopt:
                bundle = await self._plan_whole(api, state, ctx, model, reads)
            else:
                bundle = await self._plan_as_answers_come(api, state, ctx, model, reads,
                                                          client_order)
            refuse_targets_naming_nothing(bundle.steps, options.targets)
            if not options.retire_all:
                refuse_retiring_everything(bundle.plan, state, self.loaded)
            wire_limits.check_plan(bundle, api)  # what the measured LeadExec behaviour allows
            if options.refuse_unknown:
                refuse_unknown_writes(bundle)
        except PlanProblems as exc:
            raise ConfigError([replace(p, location=locate_address(self.loaded, p.address))
                               for p in exc.problems]) from None
        return bundle

    def _expand_models(self, ctx: Context, model: Configuration,
                       on_part: Callable[[str | None, list[Desired]], None] | None = None
                       ) -> dict[str, list[Desired]]:
        """On a thread while the clients are read: what needs the models whole first (the
        plan's lint), then the desired resources, each client's models let go as it is
        expanded: the models, the largest part of a large configuration, are gone before the
        answers pile up."""
        if self.options.while_reading is not None:
            self.read_aside = self.options.while_reading(self.loaded)
        self.warnings = unused_unknown_lead_types(self.loaded, ctx.catalog)
        try:
            return expand(self.loaded, ctx, model, release=True, on_part=on_part)
        finally:  # expanding empties the models' clients, even when it fails part-way
            self.loaded.release_clients()

    async def _plan_whole(self, api: LeadExecClient, state: StateDocument, ctx: Context,
                          model: Configuration, reads: Reads) -> PlanBundle:
        """Expand everything and read everything, then plan (a targeted plan, --adopt)."""

        async def desired_once_the_catalog_is_read() -> dict[str, list[Desired]]:
            await ctx.catalog.load(api, reads.lead_types, reads.need_states)
            return await asyncio.to_thread(self._expand_models, ctx, model)

        desired, view = await endpoints.checked_beside(state, self.endpoint(), gather_all(
            desired_once_the_catalog_is_read(),
            refresh(api, read_groups=reads.groups, client_uids=reads.client_uids,
                    field_uids=reads.field_uids, also_read=reads.also_read)))
        keep_until_the_end()
        self.last_view = view  # drift lists the live objects nothing claims
        record_method_lead_types(desired, reads.recorded_lead_types, ctx)
        return build_plan(desired, state, view, ctx, adopt=self.options.adopt,
                          targets=self.options.targets, release=True)

    async def _plan_as_answers_come(self, api: LeadExecClient, state: StateDocument,
                                    ctx: Context, model: Configuration, reads: Reads,
                                    client_order: list[str]) -> PlanBundle:
        """Plan each client as soon as it is expanded (on a thread) and its answers are read,
        letting go of the answers it will not write from: a large network's answers are never
        all in memory at once, and planning overlaps the reads."""
        loop = asyncio.get_running_loop()
        view = LiveView()
        self.last_view = view  # drift lists the live objects nothing claims
        builder = PlanBuilder(state, view, ctx, release=True, client_order=client_order)
        record_method_lead_types({}, reads.recorded_lead_types, ctx)
        waiting = PartsWaiting(reads.needs)
        events: asyncio.Queue[tuple[str, Any, Any]] = asyncio.Queue()

        ahead = Ahead(PARTS_AHEAD)
        reads_ahead = ReadsAhead(READS_AHEAD, waiting)

        def expanded(key: str | None, desired: list[Desired]) -> None:  # on the thread
            ahead.enter()
            loop.call_soon_threadsafe(events.put_nowait, ("part", key, desired))

        async def expand_once_the_catalog_is_read() -> None:
            await ctx.catalog.load(api, reads.lead_types, reads.need_states)
            await asyncio.to_thread(self._expand_models, ctx, model, expanded)
            events.put_nowait(("expanded", None, None))

        async def read() -> None:
            await refresh(api, read_groups=reads.groups, client_uids=reads.client_uids,
                          field_uids=reads.field_uids, view=view,
                          on_read=lambda uid: events.put_nowait(("read", uid, None)),
                          order=in_order(client_order, ctx), admit=reads_ahead.admit)
            events.put_nowait(("read all", None, None))

        async def plan_as_parts_are_ready() -> None:
            done = read_all = 0
            while done < 2:
                what, key, desired = await events.get()
                if what == "part":
                    methods = [d for d in desired if d.kind == "delivery_method"]
                    record_method_lead_types({"delivery_method": methods}, {}, ctx)
                    waiting.add(key, desired)
                elif what == "read":
                    waiting.read(key, view)
                else:
                    done += 1
                    read_all |= what == "read all"
                    if what == "expanded":
                        keep_until_the_end()  # the desired resources, whole now
                # Once every read is done, whatever waits can be planned.
                for part in waiting.rest() if read_all else waiting.ready():
                    builder.add(part)
                    ahead.leave()
                if what != "read" or key is None:  # what may let a read start
                    await reads_ahead.changed(expanded=int(what == "part"),
                                              all_expanded=what == "expanded")

        try:
            await endpoints.checked_beside(state, self.endpoint(), gather_all(
                expand_once_the_catalog_is_read(), read(), plan_as_parts_are_ready()))
        finally:
            ahead.close()
        keep_until_the_end()
        return builder.finish()

    # --- apply ---------------------------------------------------------------------------
    async def apply(self, confirm: Callable[[Plan], bool], saved_plan: Plan | None = None,
                    on_step: Callable[[StepOutcome], None] | None = None,
                    lock_timeout: float = 0) -> tuple[Plan, ApplyResult | None]:
        """Plan under the state lock; apply when `confirm` says yes. A saved plan must still match."""
        with self.backend.lock("apply", timeout=lock_timeout):
            # Records read where they are stored as the plan asks for them, as a plan reads
            # them: the write then takes an untouched record's text from that same file.
            async with self._open_api_state_first(by_index=True) as api:
                state = await wire_limits.load_state_prefetching(
                    api, functools.partial(self.load_state, by_index=True))
                return await self._apply_under_lock(api, state, confirm, saved_plan, on_step)

    async def _apply_under_lock(self, api: LeadExecClient, state: StateDocument,
                                confirm: Callable[[Plan], bool], saved_plan: Plan | None,
                                on_step: Callable[[StepOutcome], None] | None
                                ) -> tuple[Plan, ApplyResult | None]:
        bundle = await self.make_plan(api, state)
        if saved_plan is not None:
            check_not_stale(saved_plan, bundle.plan)
        if not bundle.plan.has_changes:
            self._record_adopted(bundle, state)
            # What LeadExec shows for values the YAML leaves alone, which LeadExec this is, and
            # an older lexsync's SHA-256 hashes to rewrite.
            recorded = await asyncio.to_thread(endpoints.record, state, self.endpoint())
            if remember_live(bundle, state) | recorded or state.has_legacy_hashes_to_rewrite():
                self.backend.write(state)
            return bundle.plan, None
        if not confirm(bundle.plan):
            return bundle.plan, None
        remember_live(bundle, state)
        await asyncio.to_thread(endpoints.record, state, self.endpoint())  # slow hashes
        # Each result goes to an append-only journal, folded into the state at the end
        # (docs/performance.md): rewriting the whole file per call is quadratic.
        journal = JournalWriter(journal_path(self.backend.path), state, self.backend.write) \
            if isinstance(self.backend, LocalBackend) else None
        applier = Applier(api, bundle, state, journal.save if journal else self.backend.write,
                          parallelism=self.options.parallelism or self.settings.parallelism,
                          on_step=on_step, checkpoint=journal.checkpoint if journal else None)
        try:
            result = await applier.run()
        finally:
            if journal is not None:
                journal.close()
        self._record_adopted(bundle, state)
        return bundle.plan, result

    def _record_adopted(self, bundle: PlanBundle, state: StateDocument) -> None:
        """`--adopt`: objects matched by natural key that needed no write still go into state."""
        if self.options.adopt:
            self.adopted = record_adopted(bundle, state)
            if self.adopted:
                self.backend.write(state)


def new_context(state: StateDocument, dialect: str) -> Context:
    """What expanding and observing share: the catalog (filled by the refresh), the dialect,
    the state's secret salt and the remote IDs it records."""
    ctx = Context(catalog=Catalog(), dialect=dialect, hash_secret=state.hash_secret)
    ctx.ids = state.resources.remote_ids()  # builds no record (state/records.py)
    return ctx


@dataclass
class Reads:
    """What a plan must read, from the configuration and state."""

    lead_types: set[str]
    need_states: bool
    groups: bool
    client_uids: set[int]  # clients whose accounts are read
    field_uids: set[int]  # clients whose field data are read
    # From the records under what is planned: client key -> the client IDs whose answers
    # they are found in (engine/ready.py), and each recorded method's lead type.
    needs: dict[str, set[int]]
    recorded_lead_types: dict[str, str]
    also_read: AlsoRead | None = None  # further clients, picked from the client list


def reads_for(model: Configuration, state: StateDocument, ctx: Context,
              targets: tuple[str, ...], adopt: bool) -> Reads:
    """The clients state records (with --target, only those the targets name or sit under),
    their field data where the configuration manages fields, the groups when any are managed,
    and the lead types and states the configuration and state name. With --adopt, also every
    live client whose username the configuration names, whole, to be matched. Each record is
    read once here and let go (a state read lazily builds it again when it is planned: at
    10,000 buyers, all of them at once are ~500 MB); a targeted plan reads only the records
    under the clients it names (state/records.py)."""
    named = targeted_clients(targets)
    resources = state.resources
    records = resources.walk() if named is None or adopt \
        else resources.under(f"client.{key}" for key in sorted(named))
    lead_types = {m.lead_type for c in model.clients.values() for m in c.delivery_methods.values()}
    need_states = any(a.criteria for c in model.clients.values() for a in c.delivery_accounts.values())
    client_uids: set[int] = set()
    needs: dict[str, set[int]] = {}
    recorded_lead_types: dict[str, str] = {}
    for address, record in records:
        note_need(needs, address, record)
        if record.kind == "client":
            client_uids.add(record.remote_id)
        elif record.kind == "delivery_method" and record.attributes.get("lead_type"):
            recorded_lead_types[address] = str(record.attributes["lead_type"])
        need_states = need_states or bool(record.attributes.get("criteria"))
    lead_types |= set(recorded_lead_types.values())
    groups = bool(model.client_groups) or any(a.startswith("client_group.") for a in resources)
    if adopt:
        usernames = {c.username.lower() for c in model.clients.values()}

        def adoptable(row: dict[str, Any]) -> bool:
            return str(row.get("Username", "")).lower() in usernames

        return Reads(lead_types, need_states, groups, client_uids, set(client_uids), needs,
                     recorded_lead_types, adoptable)
    if targets:
        # A targeted plan reads the groups only when one is targeted (state records the
        # others: see planner._under_targets).
        groups = any(a.startswith("client_group.") for a in under_targets(resources, targets))
    ids = ctx.ids  # the state's remote IDs (new_context), which build no record
    field_uids = {ids[f"client.{k}"] for k, c in model.clients.items()
                  if c.fields and f"client.{k}" in ids}
    return Reads(lead_types, need_states, groups, client_uids, field_uids & client_uids, needs,
                 recorded_lead_types)


def in_order(client_order: list[str], ctx: Context) -> list[int]:
    """The remote IDs of the clients state records, in the configuration's order: the order
    their parts are expanded, so each client's answers come about when its part does."""
    ids = ctx.ids
    return [ids[f"client.{key}"] for key in client_order if f"client.{key}" in ids]


def locate_address(loaded: LoadedConfig, address: str | None) -> SourceLocation | None:
    """client.acme.delivery_account.x → the YAML key clients.acme.delivery_accounts.x."""
    parts = address.split(".") if address else []
    if not parts:
        return None
    if parts[0] == "client_group":
        return loaded.locate_key(("client_groups", *parts[1:2]))
    path: tuple[str, ...] = ("clients", parts[1])
    if len(parts) >= 4:
        path += (parts[2] + "s", parts[3])
    return loaded.locate_key(path)


def refuse_retiring_everything(plan: Plan, state: StateDocument, loaded: LoadedConfig) -> None:
    """A plan that retires every resource state manages is far more often the wrong
    configuration than an intended shutdown: stop and say why it looks wrong."""
    managed = len(state.resources)
    retiring = [c for c in plan.changes if c.action is Action.RETIRE]
    if not managed or len(retiring) < managed:
        return
    files = ", ".join(display_path(f) for f in loaded.files)
    kinds = ", ".join(f"{n} {k.replace('_', ' ')}(s)" for k, n in
                      sorted(Counter(c.kind for c in retiring).items()))
    folder = loaded.root
    beside = sorted(p.name for p in folder.iterdir() if p.suffix in YAML_SUFFIXES
                    and p not in loaded.files and is_configuration_file(p)) if folder.is_dir() else []
    hint = (f" The folder also holds {', '.join(beside)}: if those are part of the "
            f"configuration, pass -c {display_path(folder)} (the folder), or no -c from "
            "inside it.") if beside else ""
    raise LexsyncError(
        f"this plan retires all {managed} resources the state manages ({kinds}): the "
        f"configuration read ({files}) names none of them. That usually means the wrong "
        "configuration or state, not an intended shutdown: a -c naming one file of a folder of "
        "files, or a --state belonging to another configuration." + hint
        + " If retiring everything is meant, pass --retire-all.")


def sandbox_location(root: Path, recorded: Mapping[str, Any] | None) -> tuple[str, Path]:
    """The URL state records for an in-process sandbox, and its database: the one `recorded`
    names, else `.lexsync/sandbox.db` in `root`."""
    url = str((recorded or {}).get("url") or "")
    if url.startswith(SANDBOX_PREFIX):
        database = Path(os.path.normpath(root / url[len(SANDBOX_PREFIX):]))
        if not database.exists():
            raise LexsyncError(
                f"the state of this configuration was made against the sandbox at "
                f"{display_path(database)}, which no longer exists. Use --state with another "
                "path (or remove this state) to start again in a new sandbox")
        return url, database
    database = root / SANDBOX_DATABASE
    if url == LEGACY_SANDBOX_URL:
        return url, database  # recorded before sandboxes were told apart: the one beside it
    return sandbox_url(database, root), database


def sandbox_url(database: Path, root: Path) -> str:
    """How the state of the configuration in `root` records the sandbox `database`."""
    return SANDBOX_PREFIX + Path(os.path.relpath(database.resolve(), root.resolve())).as_posix()


def display_path(path: Path) -> str:
    """A path as a person in the current folder would type it."""
    try:
        return str(Path(os.path.relpath(path)))
    except ValueError:  # another drive
        return str(path)


def check_api_url(url: str, source: str) -> None:
    """Refuse what cannot be a LeadExec base URL, naming where it came from."""
    try:
        ApiSettings(base_url=url)
    except LexsyncError as exc:
        raise LexsyncError(f"{source}: {exc.message}. Pass an https:// URL, or 'sandbox' for "
                           "the built-in sandbox") from None


def credentials_for(settings: Settings, environ: Mapping[str, str], defaults: Mapping[str, str],
                    url: str, source: str) -> tuple[str | None, str | None, str | None]:
    """The API key, client id and client secret from the environment (or `defaults`, the
    sandbox's); a clear message naming every variable to set when one is missing."""
    creds = settings.credentials

    def credential(env_name: str, default_key: str) -> str | None:
        return environ.get(env_name) or defaults.get(default_key)

    api_key = credential(creds.api_key_env, "api_key")
    client_id = credential(creds.client_id_env, "client_id")
    client_secret = credential(creds.client_secret_env, "client_secret")
    missing = [name for name, value in ((creds.api_key_env, api_key),) if not value]
    if settings.dialect == "rest":
        missing += [n for n, v in ((creds.client_id_env, client_id),
                                   (creds.client_secret_env, client_secret)) if not v]
    if missing:
        where = "the real LeadExec, the default" if source == "the default" else \
            f"from {source}"
        raise LexsyncError(
            f"missing LeadExec credentials for {url} ({where}): set " + ", ".join(missing)
            + " in the environment (credentials are never read from the command line or the "
            "YAML). To try lexsync without a LeadExec account, pass --api sandbox")
    return api_key, client_id, client_secret
