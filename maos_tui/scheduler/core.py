"""The in-process asyncio scheduler: assigns runnable tasks to agents and runs them.

It reacts to the store's events (this process's commits, and other processes' noticed by
the store's change feed) instead of polling in a hot loop. One dispatch pass at a time
decides placements, so a task can never be handed out twice. The open tasks are kept in a
Backlog between passes, which the same events keep current.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from maos_tui.agents.base import Job, RunnerFactory, RunResult
from maos_tui.agents.context import Draft, complete
from maos_tui.agents.factory import runner_for
from maos_tui.agents.mcp_client import McpServers
from maos_tui.agents.secrets import scrub
from maos_tui.domain import AgentStatus
from maos_tui.events import OUTSIDE, Event
from maos_tui.failures import Failures
from maos_tui.scheduler import budgets, starting, worktree_runs
from maos_tui.scheduler.active import ActiveRun, RunHooks, flush_output, stop_moved_runs
from maos_tui.scheduler.backlog import Backlog
from maos_tui.scheduler.batch import Batcher
from maos_tui.scheduler.beats import Heartbeats, stall, stalled_for
from maos_tui.scheduler.clock import Clock, SystemClock
from maos_tui.scheduler.ends import End, record_again, record_ends
from maos_tui.scheduler.forecast_gate import ForecastGate
from maos_tui.scheduler.lock import SchedulerLock
from maos_tui.scheduler.planner import Placement
from maos_tui.scheduler.prewarm import prewarm
from maos_tui.scheduler.seat import Seat
from maos_tui.scheduler.usable import AgentGate
from maos_tui.store import claims

if TYPE_CHECKING:
    from maos_tui.config import Config, Workspace
    from maos_tui.store import Store

log = logging.getLogger(__name__)

# The longest the main loop sleeps: run output is flushed, stalls and due heartbeats are
# looked for, and other processes' changes are taken in, this often.
POLL_SECONDS = 0.5
# Bus topics that can change what is runnable; run-log appends are not among them.
_WAKE_TOPICS = frozenset({"task", "agent", "heartbeat", "message", "notification"})
# Of those, the changes to a task itself or to its thread (a question to the human).
_TASK_TOPICS = frozenset({"task", "message"})
_NO_SPEND = {"tokens_in": 0, "tokens_out": 0, "cost_usd": 0.0}


class Scheduler:
    def __init__(
        self,
        store: Store,
        workspace: Workspace,
        config: Config,
        *,
        clock: Clock | None = None,
        runner_factory: RunnerFactory | None = None,
        rand: Callable[[], float] = random.random,
        worker: str | None = None,
    ) -> None:
        self.store = store
        self.workspace = workspace
        self.config = config
        self.settings = config.scheduler()
        self.clock = clock or SystemClock()
        self.runner_factory = runner_factory or runner_for
        self.rand = rand
        self.active_runs: dict[str, ActiveRun] = {}
        self.reason: str | None = None  # why the scheduler is paused, when it is
        self._lock = SchedulerLock(workspace)
        self.seat = Seat(self, worker)  # this scheduler as one of the database's workers
        self._state = "off"
        self._paused = False
        self._dirty = True
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._pass_done = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._stopping: asyncio.Future[None] | None = None
        self._unsubscribe: Any = None
        self._backlog = Backlog(store)
        self._next_retry: datetime | None = None
        self._heartbeats = Heartbeats(self, self._launch)
        # The events of the runs being started (see _started_here).
        self._starting: list[Event] | None = None
        self._starting_ids: set[int] | None = None
        self.gate = AgentGate(store, config, self.wake)
        self._forecast_gate = ForecastGate(store, self.settings)
        self.mcp = McpServers()  # LLM agents' MCP servers: started by runs, stopped by stop()
        # Runs ending together are recorded in one transaction; those it failed, again.
        self.failures, self.unrecorded = Failures(log), list[End]()
        self._ends: Batcher[End, None] = Batcher(partial(record_ends, self), "maos-run-ends")

    @property
    def state(self) -> str:
        """ "running", "paused" (by a person or a reached budget) or "off"."""
        if self._state == "off":
            return "off"
        return "paused" if self._paused or self.reason else "running"

    async def start(self) -> None:
        """SQLite's workspace lock (else SchedulerBusy), a worker's row, recovery, work."""
        if self._state != "off":
            return
        if not self.store.shared:
            self._lock.acquire()
        try:
            await self.seat.take()  # and recover what dead workers left
            self._unsubscribe = await self.store.changes.subscribe(self._on_event)
            self.gate.start()
            self.seat.start_beating()
        except BaseException:
            self._stop_following()
            await self.seat.leave()
            self._lock.release()
            raise
        self._state, self._stopping = "running", None
        self._loop_task = asyncio.create_task(self._main(), name="maos-scheduler")

    async def stop(self) -> None:
        """Cancel running agents (their tasks go back to the inbox, retry not counted).

        Every caller waits for the one stop: a closed terminal makes both the signal
        handler and the app's exit stop the scheduler, and the first to return may end
        the process."""
        if self._stopping is None:
            if self._state == "off":
                return
            self._stopping = asyncio.ensure_future(self._stop())
        await asyncio.shield(self._stopping)

    async def _stop(self) -> None:
        self._state = "off"
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        handles = []
        for active in list(self.active_runs.values()):
            active.stop("shutdown")
            if active.handle is not None:
                handles.append(active.handle)
        await asyncio.gather(*handles, return_exceptions=True)
        await self.mcp.close()
        await self.gate.stop()
        await self._ends.idle()
        await record_again(self)  # a last try: what is left is requeued by the next start
        await self.seat.leave()
        self._stop_following()
        self._lock.release()

    def _stop_following(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def pause(self) -> None:
        """No new runs start; running ones finish."""
        self._paused = True
        self.wake()

    def resume(self) -> None:
        self._paused = False
        self.wake()

    def wake(self) -> None:
        self._dirty = True
        self._wake.set()

    async def wait_idle(self) -> None:
        """Return once no task can make progress: nothing runnable, running or retrying."""
        await self._idle.wait()

    async def settle(self) -> None:
        """Wake the scheduler and wait until it has finished one full pass (for tests)."""
        self._pass_done.clear()
        self.wake()
        await self._pass_done.wait()

    def _on_event(self, event: Event) -> None:
        if self._started_here(event):
            return
        if event.topic == OUTSIDE:
            # Where the feed says which tasks another process changed (PostgreSQL), only
            # those are read again. Else the whole backlog is, on the loop's next turn
            # (within POLL_SECONDS), not once per commit of a busy CLI script.
            if event.changes is None:
                self._backlog.changed(None)
            else:
                for topic, task_id in event.changes:
                    if topic in _TASK_TOPICS:
                        self._backlog.changed(task_id)
            self._dirty = True
            if self.store.shared:  # another worker's runs ended: its slots are for all
                self._wake.set()
            return
        if event.topic in _TASK_TOPICS:
            self._backlog.changed(event.task_id)
        if event.topic in _WAKE_TOPICS:
            self.wake()

    def _started_here(self, event: Event) -> bool:
        """Is this an event of the runs the current pass is starting? The pass planned
        them and has the records of their tasks as it left them (Backlog.started): they
        change nothing it has not counted, and waking for them would only repeat the pass
        with no free slot."""
        if self._starting is None:
            return False
        if self._starting_ids is None:
            self._starting_ids = {id(e) for e in self._starting}
        return id(event) in self._starting_ids

    async def _main(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self._tick()
            except Exception as exc:
                # A broken pass (database busy, a bug) must not kill the scheduler.
                self.failures.report("scheduler pass failed", exc)
                self._idle.clear()
            self._pass_done.set()
            # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancellation.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(POLL_SECONDS):
                    await self._wake.wait()

    async def _tick(self) -> None:
        await record_again(self)
        loop_now = asyncio.get_running_loop().time()
        if self._next_retry is not None and self._next_retry <= self.clock.now():
            self._dirty = True
        due = await self._heartbeats.beat(loop_now)
        if due:  # claims whose MCP client went quiet go back to the inbox
            await claims.release_stale(self.store)
        for active in list(self.active_runs.values()):
            if active.pending_output:
                await flush_output(self.store, active)
            quiet = stalled_for(active, loop_now)
            if quiet is not None:
                await stall(self.store, active, quiet)
        if self._dirty:
            self._dirty = False
            await self._dispatch()
        # After dispatch, so an agent's own work (which carries its mentions) comes first.
        if due and self.state == "running":
            await self._heartbeats.deliver_mentions(due)

    async def _dispatch(self) -> None:
        # A run that ends while this pass reads leaves its task changed after the read:
        # it counts as running until the next pass (its end wakes one) reads the task again.
        ended_while_read = set(self.active_runs)
        async with self.store.read() as conn:
            reader = await self.store.reader(conn)
            await self._backlog.refresh(reader)
            agents = await self.store.agents.list_in(reader)
            # Spend adds up every run: not read when no workspace budget needs it.
            settings = self.settings
            budgeted = settings.budget_usd is not None or settings.budget_tokens is not None
            totals = await self.store.agents.totals(conn) if budgeted else _NO_SPEND
            mentions = await self.store.notifications.open_mentions(conn)
            # Every worker's runs, and the tasks taken over MCP (never given to an agent).
            open_runs, claimed = await self.store.leases.running(conn)
        self._heartbeats.agents = agents
        await stop_moved_runs(self.store, self._backlog, self.active_runs)
        # A task whose agent asked the human waits for their answer in the thread.
        tasks = self._backlog.tasks()
        agents = await self.seat.runnable(await self.gate.usable(agents))
        self.reason = budgets.workspace_budget_reason(self.settings, totals)
        load, running = self.seat.load(self.active_runs, open_runs, agents)
        running |= ended_while_read
        result = await self._forecast_gate.plan(
            tasks,
            agents if self.state == "running" else [],
            totals=totals,
            load=load,
            running=running | claimed,
            authors=self._backlog.authors,
            free_slots=self.settings.max_parallel - len(running),
            now=self.clock.now(),
        )
        self._next_retry = min((t.retry_at for t in tasks if t.id in result.retrying), default=None)
        if self.state == "running":
            prewarm(result, agents)
            self._backlog.set_reasons(
                await self.store.scheduling.write_reasons(tasks, result.reasons)
            )
            if result.placements:
                await self._launch(result.placements)
        # A mention to an agent that can work is pending work until it is answered.
        mentioned = any(
            a.name in mentions and a.status not in (AgentStatus.PAUSED, AgentStatus.OFFLINE)
            for a in agents
        )
        # A change during this pass (a run ending, a write) means its snapshot is stale:
        # only a pass that saw a quiet world may declare the scheduler idle.
        idle = not (
            self._dirty
            or self.active_runs
            or result.waiting
            or result.retrying
            or mentioned
            or self.gate.waiting
        )
        if idle:
            self._idle.set()
        else:
            self._idle.clear()

    async def _launch(self, placements: list[Placement]) -> None:
        try:
            begun = await starting.begin_runs(self, placements)
        finally:
            self._starting = self._starting_ids = None
        self._backlog.started([placement.task for placement, _, _ in begun])
        # No await from here until the handles exist: stop() must find every run it can
        # cancel, and a run cancelled at any point is handed back by finish_run.
        for placement, (run_id, attempt), draft in begun:
            active = ActiveRun(
                run_id=run_id,
                attempt=attempt,
                task_id=placement.task.id,
                agent=placement.agent.name,
                kind=placement.kind,
                started_at=self.clock.now(),
                heartbeat_seconds=placement.agent.heartbeat_seconds,
                last_progress=asyncio.get_running_loop().time(),
            )
            self.active_runs[active.task_id] = active
            active.handle = asyncio.create_task(
                self._execute(active, placement, draft), name=f"run-{run_id}"
            )

    async def _job(self, active: ActiveRun, placement: Placement, draft: Draft) -> Job:
        task = placement.task
        return Job(
            run_id=active.run_id,
            kind=placement.kind,
            task=task,
            agent=placement.agent,
            workspace=self.workspace.root,
            context=await complete(self.store, draft),
            settings=self.settings,
            config=self.config,
            store=self.store,
            db_url=None if self.store.url == self.workspace.default_db_url() else self.store.url,
            mcp=self.mcp,
        )

    async def _execute(self, active: ActiveRun, placement: Placement, draft: Draft) -> None:
        hooks = RunHooks(self.store, active, self.settings)
        result: RunResult | None = None
        timeout = placement.task.timeout_seconds
        job = None
        try:
            job = await self._job(active, placement, draft)
            job = await worktree_runs.enter(self, active, job, hooks)
            runner = self.runner_factory(job.agent)
            async with asyncio.timeout(timeout):
                result = await runner.run(job, hooks)
        except worktree_runs.RunRefused as exc:
            result = RunResult.failed(str(exc))
        except TimeoutError:
            result = RunResult.failed(f"timed out after {timeout}s")
        except asyncio.CancelledError:
            result = None
        except Exception as exc:  # a runner bug must fail the run, not the scheduler
            self.failures.report(f"runner for {active.agent} failed", exc)
            result = RunResult.failed(scrub(f"runner error: {type(exc).__name__}: {exc}"))
        if job is not None:
            result = await worktree_runs.leave(self, active, job, result)
        if result is not None:  # whatever the agent said, no secret reaches the store
            result = RunResult(result.outcome, scrub(result.text))
        try:
            await self._ends.submit((active, result))
        except BaseException:
            # Cancelled while its end is recorded (which goes on), or the recording was
            # itself cancelled: either way this run no longer holds its slot.
            self._forget(active)
            self.wake()
            raise

    def starting(self, events: list[Event]) -> None:
        """begin_runs hands over its transaction's events, published as it commits."""
        self._starting, self._starting_ids = events, None

    def _forget(self, active: ActiveRun) -> None:
        if self.active_runs.get(active.task_id) is active:
            del self.active_runs[active.task_id]
