"""Execute a plan's steps in dependency waves, saving state after every successful call."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lexsync.api.behaviour import WireBehaviour
from lexsync.api.hooks import BEFORE_WRITE_SENT
from lexsync.api.protocol import LeadExecClient, SavedWithoutId
from lexsync.engine import lost_create, wire_limits
from lexsync.engine.plan import Action
from lexsync.engine.planner import PlanBundle
from lexsync.engine.readback import ReadBack
from lexsync.engine.refresh import refresh
from lexsync.engine.steps import Step, previous_as_live
from lexsync.errors import ApiError
from lexsync.resources.base import Context, Live
from lexsync.state import secret_hash
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
    def __init__(self, api: LeadExecClient, bundle: PlanBundle, state: StateDocument,
                 save_state: Callable[[StateDocument], object], parallelism: int = 16,
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
        # What lexsync knows of this LeadExec's open points; the post-apply check adds to it.
        self.behaviour = WireBehaviour.from_state(state.wire)
        self.read_back = ReadBack(
            api, (s for s in bundle.steps if s.change.action is not Action.NOOP), self.ctx,
            early=self.ctx.dialect == "rest")

    async def run(self) -> ApplyResult:
        result = ApplyResult()
        try:
            for wave in self._waves():
                # A step that raises (not an API error: a full disk, a bug) stops the apply
                # only once the rest of its wave is answered and recorded: a write LeadExec
                # took is never left out of state.
                answers = await asyncio.gather(*(self._run_step(step) for step in wave),
                                               return_exceptions=True)
                raised = [a for a in answers if isinstance(a, BaseException)]
                if raised:  # a step's own failure before another's cancellation
                    raise min(raised, key=lambda e: isinstance(e, asyncio.CancelledError))
                result.outcomes += [a for a in answers if not isinstance(a, BaseException)]
                if self.checkpoint is not None:
                    self.checkpoint()
            touched = [o for o in result.succeeded if o.action in (Action.CREATE, Action.UPDATE)]
            if touched:
                result.verify_problems = await self._verify({o.address for o in touched})
        finally:
            await self.read_back.cancel()  # none is left when the check ran
        self._keep_findings()
        return result

    def _keep_findings(self) -> None:
        """Whether each SOAP write answered the saved ID is a finding too: state keeps what
        was seen, so the next plan relies on it (and says so)."""
        for call, answered in self.api.seen.saved_ids.items():
            name = f"saved_id.{call}"
            if name in wire_limits.SAVED_ID_FINDINGS:
                self.behaviour.note(name, "yes" if answered else "no", "apply")
        wire = self.behaviour.to_state()
        if wire != self.state.wire:
            self.state.wire = wire
            self.save_state(self.state)

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
            self._report(step, outcome)
            return outcome
        async with self.semaphore:
            try:
                outcome = await self._execute(step)
            except ApiError as exc:
                self.failed_addresses.add(change.address)
                outcome = StepOutcome(change.address, change.action, False,
                                      error=str(exc.for_resource(change.address)))
        self._report(step, outcome)
        return outcome

    def _report(self, step: Step, outcome: StepOutcome) -> None:
        self.read_back.answered(step, outcome.ok)
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
                target = parent_id or (step.live.parent_id if step.live else None)
                try:
                    await kind.write(self.api, body, target)
                except ApiError as exc:
                    # A retirement only sets a status on an existing object: sending it again
                    # after a lost answer leaves the same result.
                    if not exc.maybe_committed:
                        raise
                    await kind.write(self.api, body, target)
            await self._forget(change.address)
            return StepOutcome(change.address, change.action, True, change.remote_id)

        assert step.desired is not None
        if kind.sensitive and (unhashed := secret_hash.unstored(
                kind.recorded(step.desired, step.live, ctx))):
            # State keeps secrets as scrypt hashes (~50 ms each): made on a worker thread, not
            # on the loop that sends the other steps' requests.
            await asyncio.to_thread(secret_hash.hash_all, unhashed)
        body = kind.build_body(step.desired, step.live, ctx,
                               step.previous.attributes if step.previous else {})
        if change.action is Action.CREATE:
            remote_id = await self._create(step, body, parent_id)
        else:
            remote_id = await self._update(step, body, parent_id)
        ctx.ids[change.address] = remote_id
        await self._record(step, remote_id, parent_id)
        return StepOutcome(change.address, change.action, True, remote_id)

    async def _create(self, step: Step, body: dict[str, Any], parent_id: int | None) -> int:
        """Create once: a create whose answer was lost (or whose run was killed) is looked
        for by natural key before anything is sent again, so no buyer is ever duplicated."""
        kind, address = step.kind, step.change.address
        if address in self.state.pending:
            # An earlier run sent this create and never recorded the answer.
            found = await self._find_created(step)
            if found is not None:
                return found
            if not kind.shown_alone:  # a new one cannot be found by reading
                raise self._unconfirmed(step, "an earlier run sent this create and was interrupted "
                                              "before recording LeadExec's answer")
        marked = False

        def mark() -> None:
            nonlocal marked
            if not marked:
                marked = True
                self._mark_pending(step, parent_id)

        # Marked just before the request goes out, not while it waits for a token, a
        # connection or a retry: a kill during that wait leaves no marker for a create never
        # sent (for a method, one more `state resolve` for someone to do).
        sending = BEFORE_WRITE_SENT.set(mark)
        try:
            return await kind.write(self.api, body, parent_id)
        except SavedWithoutId:
            mark()
            return await self._find_saved(step)
        except ApiError as exc:
            if not exc.maybe_committed:
                await self._unmark_pending(address)
                raise
            mark()  # something went out; the marker stands even were the hook not called
        finally:
            BEFORE_WRITE_SENT.reset(sending)
        # The create may have been saved although its answer was lost: look before retrying.
        found = await self._find_created(step)
        if found is not None:
            return found
        if not kind.shown_alone:
            raise self._unconfirmed(step, "the answer to this create was lost")
        return await kind.write(self.api, body, parent_id)

    async def _find_saved(self, step: Step) -> int:
        """A create LeadExec saved without answering its ID: found by its natural key before
        anything else is sent for it (its dependants wait for this step), never sent again."""
        call = step.change.call
        if not step.kind.shown_alone:
            raise self._unconfirmed(
                step, f"{call} saved it but answered no ID, and LeadExec shows a delivery "
                      "method only through an account that uses it, so lexsync cannot learn "
                      "the ID. Create delivery methods with the rest dialect, whose answer "
                      "carries the ID (docs/wire.md, \"SOAP writes without saved IDs\")",
                saved=True)
        found = await self._find_created(step)
        if found is None:
            assert step.desired is not None
            name = step.kind.natural_key(step.desired.attrs)
            raise ApiError(call, f"{call} saved it but answered no ID, and no new object "
                                 f"named {name!r} is to be found by reading back, so lexsync "
                                 "will not send it again. Look in LeadExec, then run "
                                 f"`{lost_create.resolve_command(step.change.address, 'ID')}`",
                           maybe_committed=True)
        return found

    def _unconfirmed(self, step: Step, why: str, saved: bool = False) -> ApiError:
        assert step.desired is not None
        name = step.kind.natural_key(step.desired.attrs)
        if saved:
            return ApiError(
                step.change.call, f"{why}. It will not be sent again: find {name!r} in LeadExec "
                f"and run `{lost_create.resolve_command(step.change.address, 'ID')}`",
                maybe_committed=True)
        return ApiError(
            step.change.call, f"{why}, so LeadExec may have saved it; {lost_create.UNSEEN_METHOD}. "
            f"Look in LeadExec for {name!r}, then run "
            f"`{lost_create.resolve_command(step.change.address, 'ID')}` if it is there or "
            "`--absent` if it is not", maybe_committed=True)

    async def _update(self, step: Step, body: dict[str, Any], parent_id: int | None) -> int:
        """Send an update; after a lost answer, read the object again and send once more.

        An update is a whole object naming its ID and sub-IDs (read-modify-write), so sending
        it twice leaves what sending it once does -- except for new sub-objects (a field
        mapping with ID 0), which a second send would add again. Rebuilding the body from a
        fresh read picks up the IDs the first send may have created."""
        try:
            return await step.kind.write(self.api, body, parent_id)
        except ApiError as exc:
            if not exc.maybe_committed:
                raise
            first = exc
        assert step.desired is not None and step.change.remote_id is not None
        live = await self._reread(step)
        if live is not None and live.observable:
            body = step.kind.build_body(step.desired, live, self.ctx,
                                        step.previous.attributes if step.previous else {})
        elif _adds_parts(body):
            raise first
        return await step.kind.write(self.api, body, parent_id)

    async def _reread(self, step: Step) -> Live | None:
        assert step.change.remote_id is not None
        parent_id = self.ctx.ids.get(step.parent_address) if step.parent_address else None
        reads = step.kind.reads(step.change.remote_id, parent_id)
        view = await refresh(self.api, read_groups=reads.groups, client_uids=set(reads.clients),
                             field_uids=set(reads.fields))
        previous = step.live or (previous_as_live(step.previous) if step.previous else None)
        return step.kind.find_live(view, step.change.remote_id, self.ctx, previous,
                                   step.desired.client if step.desired else None)

    def _mark_pending(self, step: Step, parent_id: int | None) -> None:
        # Called from within the API's send. No await here, so no other step's state change
        # can interleave (every holder of state_lock changes state without awaiting).
        assert step.desired is not None
        # What is being sent, so `lexsync state resolve --id` can record it as applied.
        self.state.pending[step.change.address] = {
            "kind": step.kind.kind, "parent_id": parent_id,
            "attributes": step.kind.recorded(step.desired, None, self.ctx),
            "depends_on": list(step.desired.depends_on)}
        self.save_state(self.state)

    async def _unmark_pending(self, address: str) -> None:
        async with self.state_lock:
            if address in self.state.pending:
                del self.state.pending[address]
                self.save_state(self.state)

    async def _find_created(self, step: Step) -> int | None:
        assert step.desired is not None
        view = await refresh(self.api, read_groups=step.kind.kind == "client_group",
                             client_uids=self._client_uids_for(step), field_uids=set())
        # The IDs state claims, building no record: a targeted run never built the others.
        owned = lost_create.claimed(step.kind, self.state.resources.remote_ids(), self.ctx.ids)
        lookup = lost_create.look_up(step.kind, step.desired.attrs, step.desired.client, view,
                                     self.ctx, owned)
        if lookup.ambiguous:
            raise ApiError(step.change.call, f"{lost_create.ambiguous_reason(lookup)}. Run "
                           f"`{lost_create.resolve_command(step.change.address, 'ID')}`",
                           maybe_committed=True)
        return lookup.found

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
                parent_id=parent_id, sub_ids=sub_ids,
                attributes=step.kind.recorded(step.desired, step.live, self.ctx),
                depends_on=list(step.desired.depends_on),
            )
            if step.change.address in self.state.pending:  # del, not pop: journals see it
                del self.state.pending[step.change.address]
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
        # The SOAP item names the writes used (before the reads below may teach others).
        item_tags = self.api.item_tags()
        view = await self.read_back.finish()  # the clients read as their writes ended
        early = self.read_back.read_early
        read_groups = any(s.kind.kind == "client_group" for s in steps.values())
        # The lists are read when a group or a client was written (their rows are there) or
        # a client is left to read; a client's methods and accounts read early need neither
        # (GetClientList: 7.6 MB at 10,000 buyers).
        needs_lists = read_groups or bool(client_uids - early) \
            or any(s.kind.kind == "client" for s in steps.values())
        if needs_lists:
            view = await refresh(self.api, read_groups=read_groups,
                                 client_uids=client_uids - early,
                                 field_uids=field_uids - early, view=view)
        statuses = self.api.seen.client_status
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
                explained = wire_limits.explain(
                    step, live.attrs, self.ctx.dialect, item_tags,
                    raw_status=statuses.get(record.remote_id),
                    rest_lists=self.behaviour.get("rest_lists"))
                problems += explained.problems
                for name, (value, detail) in explained.findings.items():
                    self.behaviour.note(name, value, "apply", detail)
            self.save_state(self.state)
        return problems


def _adds_parts(body: Any) -> bool:
    """Whether a write body creates sub-objects that accumulate when sent twice."""
    if isinstance(body, dict):
        if any(body.get(key) in (0, -1) for key in ("DeliverySettingUID", "DeliveryMappingUID")):
            return True
        return any(_adds_parts(v) for v in body.values())
    if isinstance(body, list):
        return any(_adds_parts(v) for v in body)
    return False
