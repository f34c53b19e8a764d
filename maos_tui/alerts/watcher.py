"""The alerts' loop, in the process that runs the scheduler.

Woken by every event on the store's bus (this process's commits, and other processes'
through the change feed), and at least every TICK seconds for the digest's timers, it
reads the watched Activities after its position (store/alerts.py), turns them into alerts
(rules.py), skips those already sent, queues the rest in the digest and hands what is due
to delivery. The position is saved with each alert sent, and on stop: a scheduler that
starts again reads on from there, so an alert is neither lost nor sent twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from maos_tui.alerts.delivery import Delivery
from maos_tui.alerts.digest import Digest, RatePolicy
from maos_tui.alerts.model import Alert, Message
from maos_tui.alerts.rules import alerts_for, budget_alert
from maos_tui.domain import AgentRecord, DomainError
from maos_tui.failures import Failures

if TYPE_CHECKING:
    from maos_tui.events import Event
    from maos_tui.store import Store
    from maos_tui.store.alerts import AlertLog

log = logging.getLogger(__name__)

TICK = 1.0
# A busy board commits many times a second: the Activities are read at most this often.
MIN_STEP_SECONDS = 0.25
# Time for the last alerts to go out when the scheduler stops.
STOP_GRACE = 3.0


class _Lookup:
    """What the rules read, once per pass."""

    def __init__(self, store: Store, alert_log: AlertLog) -> None:
        self.store = store
        self.alert_log = alert_log
        self._agents: list[AgentRecord] | None = None

    async def question_text(self, task_id: str, message_id: int | None) -> str | None:
        return await self.alert_log.question_text(task_id, message_id)

    async def title(self, task_id: str) -> str:
        try:
            return (await self.store.tasks.get(task_id)).title
        except DomainError:
            return ""

    async def agents(self) -> list[AgentRecord]:
        if self._agents is None:
            self._agents = await self.store.agents.list()
        return self._agents


class AlertWatcher:
    def __init__(
        self,
        store: Store,
        delivery: Delivery,
        *,
        workspace: str = "",
        policy: RatePolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        budget_reason: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.store = store
        self.delivery = delivery
        self.workspace = workspace
        self.alert_log = store.alerts
        self.digest = Digest(policy or RatePolicy(), clock)
        self._clock = clock
        self._budget_reason = budget_reason
        self._position = 0
        self._known: set[str] = set()
        self._wake = asyncio.Event()
        self._step_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self.failures = Failures(log)

    async def start(self) -> None:
        self._position = await self.alert_log.position()
        self._unsubscribe = await self.store.changes.subscribe(self._on_event)
        self.delivery.start()
        self._task = asyncio.create_task(self._run(), name="maos-alerts")

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        try:
            await self.step(last=True)
        except Exception as exc:
            self.failures.report("alerts pass failed", exc)
        try:
            await self.alert_log.save_position(self._safe_position())
        except Exception as exc:
            log.warning("alerts: cannot save where they stopped: %s", exc)
        await self.delivery.drain(STOP_GRACE)

    def wake(self) -> None:
        self._wake.set()

    def _on_event(self, event: Event) -> None:
        if event.topic != "alert":  # its own records call for nothing
            self._wake.set()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(MIN_STEP_SECONDS)
            self._wake.clear()
            try:
                await self.step()
            except Exception as exc:  # the database busy, a bug: the next pass tries again
                self.failures.report("alerts pass failed", exc)
            wait = TICK
            due = self.digest.next_due()
            if due is not None:
                wait = min(TICK, max(0.0, due - self._clock()))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._wake.wait()

    async def step(self, *, last: bool = False) -> None:
        """One pass: read on, queue new alerts, send what is due (`last`: what can go)."""
        async with self._step_lock:
            scan = await self.alert_log.scan(self._position)
            found = await alerts_for(scan.activities, _Lookup(self.store, self.alert_log))
            budget = budget_alert(self._budget_reason())
            if budget is not None:
                found.append(budget)
            fresh = await self._unsent(found)
            self.digest.offer(fresh)
            self._position = scan.position
            if scan.more:
                self._wake.set()
            await self._send_due(last)

    async def _unsent(self, alerts: list[Alert]) -> list[Alert]:
        alerts = [a for a in alerts if a.key not in self._known]
        if not alerts:
            return []
        self._known |= {a.key for a in alerts}
        since = min(a.source for a in alerts)
        sent = await self.alert_log.sent_among([a.key for a in alerts], max(since - 1, 0))
        return [a for a in alerts if a.key not in sent]

    async def _send_due(self, last: bool) -> None:
        taken = self.digest.take(now_or_never=last)
        if not taken:
            return
        message = Message.of(taken, self.workspace)
        await self.alert_log.record_sent(
            message.task_id,
            [a.key for a in taken],
            self._safe_position(),
            kinds=sorted({a.kind.value for a in taken}),
            title=message.title,
            text=message.body,
        )
        self.delivery.send(message)

    def _safe_position(self) -> int:
        """Before the oldest alert still waiting in the digest: a restart finds it again."""
        waiting = [a.source for a in self.digest.pending if a.source]
        return min([self._position, *(s - 1 for s in waiting)])
