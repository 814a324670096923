"""One run: configuration → names → refresh → plan, and apply. The CLI drives this."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import httpx

from lexsync.api.client import LeadExecApi
from lexsync.api.settings import ApiSettings
from lexsync.config.loader import LoadedConfig, load_configuration
from lexsync.config.models import Configuration
from lexsync.config.parse_ahead import ParseAhead
from lexsync.config.preview import preview_settings
from lexsync.engine import wire_limits
from lexsync.engine.applier import Applier, ApplyResult, StepOutcome
from lexsync.engine.importer import record_adopted
from lexsync.engine.observe import EarlyObserver
from lexsync.engine.plan import Plan
from lexsync.engine.planfile import check_not_stale
from lexsync.engine.planner import PlanBundle, PlanProblems, build_plan
from lexsync.engine.refresh import FirstReads, Reads, settle
from lexsync.errors import ConfigError, Diagnostic, LexsyncError
from lexsync.resources.base import Context, Desired, ResolutionError
from lexsync.resources.catalog import Catalog
from lexsync.resources.live import LiveView
from lexsync.resources.registry import KINDS
from lexsync.state.document import StateDocument
from lexsync.state.factory import open_backend, state_exists
from lexsync.state.journal import JournalWriter, journal_path
from lexsync.state.local import LocalBackend

DEFAULT_API_URL = "https://api.leadexec.net"
_T = TypeVar("_T")


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
    api_factory: Callable[[], Any] | None = None  # replaces the HTTP client (engine unit tests)


class Session:
    """Loads the configuration and state once; plans and applies against one API client.

    When the configuration's `lexsync:` block can be read ahead (config/preview.py), the rest
    of the configuration loads on a worker thread while a plan's reads are already running.
    """

    def __init__(self, options: RunOptions) -> None:
        self.options = options
        self.environ = os.environ if options.environ is None else options.environ
        self._loaded: LoadedConfig | None = None
        self._loading: asyncio.Future[LoadedConfig] | None = None  # the load on its thread
        preview = preview_settings(options.config_path, self.environ)
        self._parse_ahead: ParseAhead | None = None
        if preview is None:
            self._loaded = self._load_configuration()
            root, settings = self._loaded.root, self._loaded.model.lexsync
        else:
            root, settings = preview.root, preview.settings
            # A large configuration is parsed on another core from now on (parse_ahead.py).
            self._parse_ahead = ParseAhead.start(preview.texts)
        self.settings = settings
        self.backend = open_backend(settings.state, root, self.environ, options.state_path)
        self.dialect = settings.dialect
        self.last_view: LiveView | None = None
        self.adopted: list[str] = []

    @property
    def loaded(self) -> LoadedConfig:
        """The whole configuration, loaded now if no plan has loaded it yet."""
        if self._loaded is None:
            loaded = self._load_configuration()
            if loaded.model.lexsync != self.settings:
                self._settle_on(loaded)  # the preview was wrong: use the loaded block
            self._loaded = loaded
        return self._loaded

    def _load_configuration(self) -> LoadedConfig:
        parse_ahead, self._parse_ahead = self._parse_ahead, None
        return load_configuration(self.options.config_path, self.environ, parse_ahead=parse_ahead)

    def _settle_on(self, loaded: LoadedConfig) -> None:
        """Use the loaded configuration's own `lexsync:` block from now on."""
        self._loaded = loaded
        self.settings = loaded.model.lexsync
        self.backend = open_backend(self.settings.state, loaded.root, self.environ,
                                    self.options.state_path)
        self.dialect = self.settings.dialect

    def _start_loading(self) -> asyncio.Future[LoadedConfig]:
        if self._loading is None:
            self._loading = asyncio.ensure_future(asyncio.to_thread(self._load_configuration))
        return self._loading

    async def _configuration(self) -> LoadedConfig:
        """The whole configuration; loaded on a worker thread, so reads go on meanwhile."""
        if self._loaded is None:
            loaded = await asyncio.shield(self._start_loading())
            if loaded.model.lexsync != self.settings:
                # Not expected (the preview reads the block as the load does). Were it to
                # happen, nothing read with the previewed settings may stand: start over.
                raise _PreviewMismatch(loaded)
            self._loaded = loaded
        return self._loaded

    # --- plumbing ------------------------------------------------------------------------
    def api_settings(self) -> ApiSettings:
        settings = self.settings
        creds = settings.credentials

        def credential(env_name: str, default_key: str) -> str | None:
            return self.environ.get(env_name) or self.options.default_credentials.get(default_key)

        api_key = credential(creds.api_key_env, "api_key")
        client_id = credential(creds.client_id_env, "client_id")
        client_secret = credential(creds.client_secret_env, "client_secret")
        missing = [name for name, value in ((creds.api_key_env, api_key),) if not value]
        if settings.dialect == "rest":
            missing += [n for n, v in ((creds.client_id_env, client_id),
                                       (creds.client_secret_env, client_secret)) if not v]
        if missing:
            raise LexsyncError(
                "missing LeadExec credentials: set " + ", ".join(missing)
                + " in the environment (credentials are never read from the command line)")
        return ApiSettings(
            base_url=self.options.api_url or settings.api_url or DEFAULT_API_URL,
            dialect=settings.dialect, api_key=api_key, client_id=client_id,
            client_secret=client_secret, namespace=settings.soap_namespace,
            parallelism=self.options.parallelism or settings.parallelism,
            ca_bundle=settings.ca_bundle,
        )

    def open_api(self) -> Any:
        if self.options.api_factory is not None:
            return self.options.api_factory()
        return LeadExecApi(self.api_settings(), transport=self.options.transport)

    def _progress(self, text: str) -> None:
        if self.options.on_progress:
            self.options.on_progress(text)

    # --- plan ----------------------------------------------------------------------------
    async def make_plan(self, api: Any, state: StateDocument) -> PlanBundle:
        ctx = Context(catalog=Catalog(), dialect=self.dialect, hash_secret=state.hash_secret)
        ctx.ids = {address: record.remote_id for address, record in state.resources.items()}
        client_uids = {r.remote_id for r in state.resources.values() if r.kind == "client"}
        adopt = self.options.adopt
        if self.options.targets and not adopt:
            # A targeted plan reads only the clients its targets name (or sit under).
            named = {f"client.{t.split('.')[1]}" for t in self.options.targets
                     if t.startswith("client.")}
            client_uids &= {ctx.ids[a] for a in named if a in ctx.ids}
        catalog_ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        observer = None if adopt else EarlyObserver(state, ctx, catalog_ready)
        reads = Reads(api, client_read=observer.client_read if observer else None,
                      clients_at_once=2 * (self.options.parallelism or self.settings.parallelism))
        running: list[asyncio.Future[Any]] = []
        try:
            # Read what state names while the configuration may still be loading (once it has
            # loaded, exactly what it asks for); what it adds is read once it has loaded. The
            # catalog goes first, so observing answers can start with the first of them.
            guess = self._guess_reads(state, client_uids)
            catalog_first = asyncio.ensure_future(
                ctx.catalog.load(api, guess.lead_types, guess.need_states))
            catalog_first.add_done_callback(lambda done: _pass_success(done, catalog_ready))
            running.append(catalog_first)
            if not adopt:
                reads.start(client_uids=client_uids, read_groups=guess.read_groups,
                            field_uids=guess.field_uids)
                # The load starts once the clients' reads are queued: on its thread it holds
                # the interpreter for whole switch intervals, which would hold up opening
                # connections and the first requests.
                await reads.listed()
            model = (await self._configuration()).model
            wanted = _reads_wanted(model, state, client_uids, adopt)
            if adopt:
                reads.start(client_uids=client_uids, read_groups=wanted.read_groups,
                            field_uids=wanted.field_uids, also_read=wanted.also_read)
            self._progress(f"reading lead types, lead fields, states and {len(client_uids)} clients")
            catalog_loaded = asyncio.ensure_future(
                _complete_catalog(api, ctx, catalog_first, wanted, observer))
            reading = asyncio.ensure_future(
                reads.finish(read_groups=wanted.read_groups, field_uids=wanted.field_uids))
            running += [catalog_loaded, reading]
            await catalog_loaded
            # In a thread, so the event loop keeps sending reads while it runs.
            desired = await asyncio.to_thread(self._expand, ctx)
            if observer is not None:
                observer.prepare_steps(d for kind in desired.values() for d in kind)
            view = await reading
        finally:
            await settle(*running)
            await reads.aclose()
        for method in desired.get("delivery_method", []):
            ctx.method_lead_types[method.address] = method.attrs["lead_type"]
        for address, record in state.resources.items():
            if record.kind == "delivery_method" and record.attributes.get("lead_type"):
                ctx.method_lead_types.setdefault(address, record.attributes["lead_type"])
        self.last_view = view  # drift lists the live objects nothing claims
        try:
            bundle = build_plan(desired, state, view, ctx, adopt=adopt,
                                targets=self.options.targets,
                                observed=observer.observed if observer else None,
                                prepared=observer.prepared if observer else None)
            wire_limits.check_plan(bundle, api)  # what the measured LeadExec behaviour allows
            return bundle
        except PlanProblems as exc:
            raise ConfigError([
                replace(p, location=self._locate_address(p.address.split(".") if p.address else []))
                for p in exc.problems
            ]) from None

    def _guess_reads(self, state: StateDocument, client_uids: set[int]) -> _Wanted:
        """What to read before the configuration has loaded: what state recorded as managed
        (once it has loaded, exactly what it asks for)."""
        if self._loaded is not None:
            return _reads_wanted(self._loaded.model, state, client_uids, adopt=False)
        resources = state.resources.values()
        return _Wanted(
            lead_types={str(r.attributes["lead_type"]) for r in resources
                        if r.kind == "delivery_method" and r.attributes.get("lead_type")},
            need_states=any(r.attributes.get("criteria") for r in resources),
            field_uids={r.remote_id for r in resources if r.kind == "client"
                        and r.remote_id in client_uids and r.attributes.get("fields")},
            read_groups=any(r.kind == "client_group" for r in resources),
        )

    def _locate_address(self, parts: list[str]) -> Any:
        """client.acme.delivery_account.x → the YAML key clients.acme.delivery_accounts.x."""
        if not parts:
            return None
        if parts[0] == "client_group":
            return self.loaded.locate_key(("client_groups", *parts[1:2]))
        path: tuple[str, ...] = ("clients", parts[1])
        if len(parts) >= 4:
            path += (parts[2] + "s", parts[3])
        return self.loaded.locate_key(path)

    def _expand(self, ctx: Context) -> dict[str, list[Desired]]:
        problems: list[Diagnostic] = []
        desired: dict[str, list[Desired]] = {}
        for kind in KINDS:
            try:
                desired[kind.kind] = kind.expand(self.loaded.model, ctx)
            except ResolutionError as exc:
                problems.append(Diagnostic(summary=str(exc), location=self.loaded.locate(exc.path)))
        if problems:
            raise ConfigError(problems)
        return desired

    async def plan(self, saving: bool = False) -> tuple[PlanBundle, StateDocument]:
        """Plan without the lock. A plan being saved needs a state with a fixed lineage and
        salt to be checked against later, so a missing state file is created first."""
        async def run() -> tuple[PlanBundle, StateDocument]:
            async with self.open_api() as api, FirstReads(wire_limits.expecting(api)) as first:
                state = await asyncio.to_thread(self.backend.load)
                wire_limits.use_state_behaviour(api, state)
                if saving and not state_exists(self.backend):
                    state = self.backend.write(state)
                return await self.make_plan(first, state), state

        return await self._with_configuration(run)

    # --- apply ---------------------------------------------------------------------------
    async def apply(self, confirm: Callable[[Plan], bool], saved_plan: Plan | None = None,
                    on_step: Callable[[StepOutcome], None] | None = None,
                    lock_timeout: float = 0) -> tuple[Plan, ApplyResult | None]:
        """Plan under the state lock; apply when `confirm` says yes. A saved plan must still match."""
        async def run() -> tuple[Plan, ApplyResult | None]:
            with self.backend.lock("apply", timeout=lock_timeout):
                async with self.open_api() as api, FirstReads(wire_limits.expecting(api)) as first:
                    state = await asyncio.to_thread(self.backend.load)
                    wire_limits.use_state_behaviour(api, state)
                    return await self._apply_under_lock(api, first, state, confirm, saved_plan,
                                                        on_step)

        return await self._with_configuration(run)

    async def _apply_under_lock(self, api: Any, first: FirstReads, state: StateDocument,
                                confirm: Callable[[Plan], bool], saved_plan: Plan | None,
                                on_step: Callable[[StepOutcome], None] | None
                                ) -> tuple[Plan, ApplyResult | None]:
        bundle = await self.make_plan(first, state)
        if saved_plan is not None:
            check_not_stale(saved_plan, bundle.plan)
        if not bundle.plan.has_changes:
            self._record_adopted(bundle, state)
            if state.has_legacy_hashes_to_rewrite():  # an older lexsync's SHA-256 hashes
                self.backend.write(state)
            return bundle.plan, None
        if not confirm(bundle.plan):
            return bundle.plan, None
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

    async def _with_configuration(self, run: Callable[[], Awaitable[_T]]) -> _T:
        """Run a plan or apply while the configuration loads on a worker thread.

        The configuration's errors come first, as when it loaded before anything else: a
        failure to read state or reach LeadExec meanwhile gives way to them."""
        try:
            return await run()
        except _PreviewMismatch as mismatch:
            self._settle_on(mismatch.loaded)
            return await run()
        except Exception:
            if self._loaded is None:
                loading = self._start_loading()
                await asyncio.wait([loading])
                if isinstance(loading.exception(), ConfigError):
                    raise loading.exception() from None  # type: ignore[misc]
            raise

    def _record_adopted(self, bundle: PlanBundle, state: StateDocument) -> None:
        """`--adopt`: objects matched by natural key that needed no write still go into state."""
        if self.options.adopt:
            self.adopted = record_adopted(bundle, state)
            if self.adopted:
                self.backend.write(state)


class _PreviewMismatch(Exception):
    """The full load's `lexsync:` block differs from the one previewed."""

    def __init__(self, loaded: LoadedConfig) -> None:
        super().__init__("the lexsync block differs from its preview")
        self.loaded = loaded


@dataclass
class _Wanted:
    """What a plan must read, from the configuration and state."""

    lead_types: set[str]
    need_states: bool
    field_uids: set[int]
    read_groups: bool
    also_read: Callable[[dict[str, Any]], bool] | None = None


def _reads_wanted(model: Configuration, state: StateDocument, client_uids: set[int],
                  adopt: bool) -> _Wanted:
    resources = state.resources
    lead_types = {m.lead_type for c in model.clients.values() for m in c.delivery_methods.values()}
    lead_types |= {str(r.attributes.get("lead_type")) for r in resources.values()
                   if r.kind == "delivery_method" and r.attributes.get("lead_type")}
    need_states = any(a.criteria for c in model.clients.values() for a in c.delivery_accounts.values()) \
        or any(r.attributes.get("criteria") for r in resources.values())
    read_groups = bool(model.client_groups) or any(r.kind == "client_group" for r in resources.values())
    if adopt:
        # Live clients whose username the YAML names are read whole, to be matched.
        usernames = {c.username.lower() for c in model.clients.values()}

        def adoptable(row: dict[str, Any]) -> bool:
            return str(row.get("Username", "")).lower() in usernames

        return _Wanted(lead_types, need_states, set(client_uids), read_groups, adoptable)
    field_uids = {resources[f"client.{k}"].remote_id for k, c in model.clients.items()
                  if c.fields and f"client.{k}" in resources}
    return _Wanted(lead_types, need_states, field_uids & client_uids, read_groups)


async def _complete_catalog(api: Any, ctx: Context, first: asyncio.Future[Any], wanted: _Wanted,
                            observer: EarlyObserver | None) -> None:
    """The catalog the configuration needs, after the one state needed."""
    await first
    if await ctx.catalog.load(api, wanted.lead_types, wanted.need_states) and observer is not None:
        observer.forget()  # what it observed so far used a catalog that has grown since


def _pass_success(done: asyncio.Future[Any], waiting: asyncio.Future[None]) -> None:
    """Release the observers once the catalog has loaded; on a failure they are cancelled
    with the rest of the plan's reads."""
    if not done.cancelled() and done.exception() is None and not waiting.done():
        waiting.set_result(None)
