"""Execute a plan's steps in dependency waves, saving state after every successful call."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lexsync.engine.diff import diff
from lexsync.engine.plan import Action
from lexsync.engine.planner import PlanBundle, Step
from lexsync.engine.refresh import refresh
from lexsync.errors import ApiError
from lexsync.resources.base import Context, Live
from lexsync.state.document import ResourceState, StateDocument


@dataclass
class StepOutcome:
    address: str
    action: Action
    ok: bool
    remote_id: int | None = None
    error: str | None = None
    skipped: bool = False  # not attempted because something it depends on failed


@dataclass
class ApplyResult:
    outcomes: list[StepOutcome] = field(default_factory=list)
    verify_problems: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[StepOutcome]:
        return [o for o in self.outcomes if not o.ok and not o.skipped]

    @property
    def skipped(self) -> list[StepOutcome]:
        return [o for o in self.outcomes if o.skipped]

    @property
    def succeeded(self) -> list[StepOutcome]:
        return [o for o in self.outcomes if o.ok]


class Applier:
    def __init__(self, api: Any, bundle: PlanBundle, state: StateDocument,
                 save_state: Callable[[StateDocument], None], parallelism: int = 16,
                 on_step: Callable[[StepOutcome], None] | None = None,
                 checkpoint: Callable[[], None] | None = None) -> None:
        self.api = api
        self.bundle = bundle
        self.ctx: Context = bundle.ctx
        self.state = state
        self.save_state = save_state
        self.semaphore = asyncio.Semaphore(parallelism)
        self.state_lock = asyncio.Lock()
        self.on_step = on_step
        # Called between waves: what a wave recorded is durable before its dependants are sent.
        self.checkpoint = checkpoint
        self.failed_addresses: set[str] = set()

    async def run(self) -> ApplyResult:
        result = ApplyResult()
        for wave in self._waves():
            outcomes = await asyncio.gather(*(self._run_step(step) for step in wave))
            result.outcomes += outcomes
            if self.checkpoint is not None:
                self.checkpoint()
        touched = [o for o in result.succeeded if o.action in (Action.CREATE, Action.UPDATE)]
        if touched:
            result.verify_problems = await self._verify({o.address for o in touched})
        return result

    def _waves(self) -> list[list[Step]]:
        """Creates and updates top-down by level, then retirements bottom-up, one wave per level."""
        waves: dict[tuple[int, int], list[Step]] = {}
        for step in self.bundle.steps:
            if step.change.action is Action.NOOP:
                continue
            retiring = step.change.action is Action.RETIRE
            key = (1, -step.kind.level) if retiring else (0, step.kind.level)
            waves.setdefault(key, []).append(step)
        return [waves[k] for k in sorted(waves)]

    async def _run_step(self, step: Step) -> StepOutcome:
        change = step.change
        blocked = [d for d in change.depends_on if d in self.failed_addresses]
        if step.parent_address in self.failed_addresses and step.parent_address not in blocked:
            blocked.append(step.parent_address)
        if blocked:
            self.failed_addresses.add(change.address)
            outcome = StepOutcome(change.address, change.action, False, skipped=True,
                                  error=f"not attempted: {', '.join(blocked)} failed")
            self._report(outcome)
            return outcome
        async with self.semaphore:
            try:
                outcome = await self._execute(step)
            except ApiError as exc:
                self.failed_addresses.add(change.address)
                outcome = StepOutcome(change.address, change.action, False,
                                      error=str(exc.for_resource(change.address)))
        self._report(outcome)
        return outcome

    def _report(self, outcome: StepOutcome) -> None:
        if self.on_step:
            self.on_step(outcome)

    async def _execute(self, step: Step) -> StepOutcome:
        change, kind, ctx = step.change, step.kind, self.ctx
        parent_id = ctx.ids.get(step.parent_address) if step.parent_address else None
        if change.action is Action.RETIRE:
            body = kind.retire_body(step.live, ctx) if step.live is not None else None
            if body is not None and change.call.startswith("none"):
                body = None
            if body is not None:
                await kind.write(self.api, body, parent_id or (step.live.parent_id if step.live else None))
            await self._forget(change.address)
            return StepOutcome(change.address, change.action, True, change.remote_id)

        assert step.desired is not None
        body = kind.build_body(step.desired, step.live, ctx,
                               step.previous.attributes if step.previous else {})
        try:
            remote_id = await kind.write(self.api, body, parent_id)
        except ApiError as exc:
            if not (exc.maybe_committed and change.action is Action.CREATE):
                raise
            # The create may have been saved although its answer was lost: look before retrying.
            remote_id = await self._find_created(step)
            if remote_id is None:
                remote_id = await kind.write(self.api, body, parent_id)
        ctx.ids[change.address] = remote_id
        await self._record(step, remote_id, parent_id)
        return StepOutcome(change.address, change.action, True, remote_id)

    async def _find_created(self, step: Step) -> int | None:
        assert step.desired is not None
        view = await refresh(self.api, read_groups=step.kind.kind == "client_group",
                             client_uids=self._client_uids_for(step), field_uids=set())
        key = step.kind.natural_key(step.desired.attrs)
        known = {r.remote_id for r in self.state.resources.values() if r.kind == step.kind.kind}
        for candidate in step.kind.live_candidates(view, self.ctx, step.desired.client):
            if step.kind.natural_key(candidate.attrs) == key and candidate.remote_id not in known:
                return candidate.remote_id
        return None

    def _client_uids_for(self, step: Step) -> set[int]:
        if step.parent_address and step.parent_address in self.ctx.ids:
            return {self.ctx.ids[step.parent_address]}
        return set()

    async def _record(self, step: Step, remote_id: int, parent_id: int | None) -> None:
        assert step.desired is not None
        previous = step.previous
        sub_ids = dict(step.live.sub_ids) if step.live else (dict(previous.sub_ids) if previous else {})
        async with self.state_lock:
            self.state.resources[step.change.address] = ResourceState(
                address=step.change.address, kind=step.kind.kind, remote_id=remote_id,
                parent_id=parent_id, sub_ids=sub_ids, attributes=dict(step.desired.attrs),
                depends_on=list(step.desired.depends_on),
            )
            self.save_state(self.state)

    async def _forget(self, address: str) -> None:
        async with self.state_lock:
            self.state.resources.pop(address, None)
            self.save_state(self.state)

    async def _verify(self, addresses: set[str]) -> list[str]:
        """Read back what changed: record sub-IDs, and report any value that did not stick."""
        steps = {s.change.address: s for s in self.bundle.steps if s.change.address in addresses}
        client_uids = {self.ctx.ids[f"client.{s.desired.client}"] for s in steps.values()
                       if s.desired and s.desired.client} | {
            self.ctx.ids[a] for a, s in steps.items() if s.kind.kind == "client"}
        field_uids = {self.ctx.ids[a] for a, s in steps.items()
                      if s.kind.kind == "client" and s.desired and "fields" in s.desired.attrs}
        view = await refresh(self.api, read_groups=any(s.kind.kind == "client_group" for s in steps.values()),
                             client_uids=client_uids, field_uids=field_uids)
        problems = []
        async with self.state_lock:
            for address, step in steps.items():
                record = self.state.resources.get(address)
                if record is None or step.desired is None:
                    continue
                live = step.kind.find_live(view, record.remote_id, self.ctx,
                                           Live(record.remote_id, {}, dict(record.attributes),
                                                parent_id=record.parent_id, sub_ids=dict(record.sub_ids),
                                                observable=False),
                                           step.desired.client)
                if live is None:
                    problems.append(f"{address}: not found in LeadExec after it was written")
                    continue
                if not live.observable:
                    continue
                record.sub_ids = dict(live.sub_ids)
                for change in diff(step.desired.attrs, live.attrs, step.kind.sensitive):
                    problems.append(f"{address}: {change.path} is {change.before!r} in LeadExec "
                                    f"after apply, expected {change.after!r}")
            self.save_state(self.state)
        return problems
