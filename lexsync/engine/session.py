"""One run: configuration → names → refresh → plan, and apply. The CLI drives this."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx

from lexsync.api.client import LeadExecApi
from lexsync.api.settings import ApiSettings
from lexsync.config.loader import LoadedConfig, load_configuration
from lexsync.engine.applier import Applier, ApplyResult, StepOutcome
from lexsync.engine.importer import record_adopted
from lexsync.engine.observe import EarlyObserver
from lexsync.engine.plan import Plan
from lexsync.engine.planner import PlanBundle, PlanProblems, build_plan
from lexsync.engine.refresh import refresh
from lexsync.errors import ConfigError, Diagnostic, LexsyncError, PlanStaleError
from lexsync.resources.base import Context, Desired, ResolutionError
from lexsync.resources.catalog import Catalog
from lexsync.resources.live import LiveView
from lexsync.resources.registry import KINDS
from lexsync.state.document import StateDocument
from lexsync.state.factory import open_backend, state_exists
from lexsync.state.journal import JournalWriter, journal_path
from lexsync.state.local import LocalBackend

DEFAULT_API_URL = "https://api.leadexec.net"


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
    """Loads the configuration and state once; plans and applies against one API client."""

    def __init__(self, options: RunOptions) -> None:
        self.options = options
        self.environ = os.environ if options.environ is None else options.environ
        self.loaded: LoadedConfig = load_configuration(options.config_path, self.environ)
        settings = self.loaded.model.lexsync
        self.backend = open_backend(settings.state, self.loaded.root, self.environ,
                                    options.state_path)
        self.dialect = settings.dialect
        self.last_view: LiveView | None = None
        self.adopted: list[str] = []

    # --- plumbing ------------------------------------------------------------------------
    def api_settings(self) -> ApiSettings:
        settings = self.loaded.model.lexsync
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
        model = self.loaded.model
        ctx = Context(catalog=Catalog(), dialect=self.dialect, hash_secret=state.hash_secret)
        ctx.ids = {address: record.remote_id for address, record in state.resources.items()}
        lead_types = {m.lead_type for c in model.clients.values() for m in c.delivery_methods.values()}
        lead_types |= {str(r.attributes.get("lead_type")) for r in state.resources.values()
                       if r.kind == "delivery_method" and r.attributes.get("lead_type")}
        need_states = any(a.criteria for c in model.clients.values() for a in c.delivery_accounts.values()) \
            or any(r.attributes.get("criteria") for r in state.resources.values())
        client_uids = {r.remote_id for r in state.resources.values() if r.kind == "client"}
        field_uids = {state.resources[f"client.{k}"].remote_id for k, c in model.clients.items()
                      if c.fields and f"client.{k}" in state.resources}
        adoptable = None
        if self.options.adopt:
            # Live clients whose username the YAML names are read whole, to be matched.
            usernames = {c.username.lower() for c in model.clients.values()}
            field_uids = set(client_uids)

            def adoptable(row: dict[str, Any]) -> bool:
                return str(row.get("Username", "")).lower() in usernames
        if self.options.targets and not self.options.adopt:
            # A targeted plan reads only the clients its targets name (or sit under).
            named = {f"client.{t.split('.')[1]}" for t in self.options.targets
                     if t.startswith("client.")}
            wanted = {ctx.ids[a] for a in named if a in ctx.ids}
            client_uids &= wanted
            field_uids &= wanted
        read_groups = bool(model.client_groups) or any(
            r.kind == "client_group" for r in state.resources.values())

        # The catalog, the clients' reads and the configuration's expansion all run at once:
        # a plan is bounded by waiting for answers, so the CPU work is done inside that wait.
        self._progress(f"reading lead types, lead fields, states and {len(client_uids)} clients")
        catalog_loaded = asyncio.ensure_future(ctx.catalog.load(api, lead_types, need_states))
        observer = None if self.options.adopt else EarlyObserver(state, ctx, catalog_loaded)
        reading = asyncio.ensure_future(refresh(
            api, read_groups=read_groups, client_uids=client_uids, field_uids=field_uids,
            also_read=adoptable, client_read=observer.client_read if observer else None))
        try:
            await catalog_loaded
            # In a thread, so the event loop keeps sending reads while it runs.
            desired = await asyncio.to_thread(self._expand, ctx)
            view = await reading
        finally:
            await _settle(catalog_loaded, reading)
        for method in desired.get("delivery_method", []):
            ctx.method_lead_types[method.address] = method.attrs["lead_type"]
        for address, record in state.resources.items():
            if record.kind == "delivery_method" and record.attributes.get("lead_type"):
                ctx.method_lead_types.setdefault(address, record.attributes["lead_type"])
        self.last_view = view  # drift lists the live objects nothing claims
        try:
            return build_plan(desired, state, view, ctx, adopt=self.options.adopt,
                              targets=self.options.targets,
                              observed=observer.observed if observer else None)
        except PlanProblems as exc:
            raise ConfigError([
                replace(p, location=self._locate_address(p.address.split(".") if p.address else []))
                for p in exc.problems
            ]) from None

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
        state = self.backend.load()
        if saving and not state_exists(self.backend):
            state = self.backend.write(state)
        async with self.open_api() as api:
            return await self.make_plan(api, state), state

    # --- apply ---------------------------------------------------------------------------
    async def apply(self, confirm: Callable[[Plan], bool], saved_plan: Plan | None = None,
                    on_step: Callable[[StepOutcome], None] | None = None,
                    lock_timeout: float = 0) -> tuple[Plan, ApplyResult | None]:
        """Plan under the state lock; apply when `confirm` says yes. A saved plan must still match."""
        with self.backend.lock("apply", timeout=lock_timeout):
            state = self.backend.load()
            async with self.open_api() as api:
                bundle = await self.make_plan(api, state)
                if saved_plan is not None:
                    check_not_stale(saved_plan, bundle.plan)
                if not bundle.plan.has_changes:
                    self._record_adopted(bundle, state)
                    return bundle.plan, None
                if not confirm(bundle.plan):
                    return bundle.plan, None
                # Each result goes to an append-only journal, folded into the state at the end
                # (docs/performance.md): rewriting the whole file per call is quadratic.
                journal = JournalWriter(journal_path(self.backend.path), state, self.backend.write) \
                    if isinstance(self.backend, LocalBackend) else None
                applier = Applier(api, bundle, state, journal.save if journal else self.backend.write,
                                  parallelism=self.options.parallelism or self.loaded.model.lexsync.parallelism,
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


async def _settle(*tasks: asyncio.Future[Any]) -> None:
    """Cancel what is still running after a failure and wait for it, so no read outlives the
    plan and no task's error goes unretrieved."""
    for task in tasks:
        if not task.done():
            task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def check_not_stale(saved: Plan, fresh: Plan) -> None:
    """A saved plan applies only while state and the live values it was made from are unchanged."""
    reasons = []
    if saved.state_lineage != fresh.state_lineage:
        reasons.append("it was made for a different state (lineage differs)")
    elif saved.state_serial != fresh.state_serial:
        reasons.append(f"state changed since (serial {saved.state_serial} → {fresh.state_serial})")
    if saved.live_digest != fresh.live_digest:
        reasons.append("LeadExec's live values changed since")
    if saved.desired_digest != fresh.desired_digest:
        reasons.append("the configuration changed since")
    if saved.dialect != fresh.dialect:
        reasons.append(f"it was made for the {saved.dialect} dialect")
    if reasons:
        raise PlanStaleError("saved plan is stale: " + "; ".join(reasons) + ". Run plan again.")


def save_plan(plan: Plan, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(plan.to_dict(), handle, indent=2, sort_keys=True)
        handle.write("\n")


def load_plan(path: Path) -> Plan:
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
        return Plan.from_dict(data)
    except FileNotFoundError:
        raise LexsyncError(f"plan file {path} does not exist") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise LexsyncError(f"plan file {path} is not a lexsync plan: {exc}") from None
