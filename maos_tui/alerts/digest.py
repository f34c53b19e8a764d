"""How often the person is told: at most one message per task per 5 minutes, and alerts
that come together (a burst) go out as one digest.

An alert waits `gather` seconds for company, and a message follows the one before it by
at least `gap` seconds; whatever came meanwhile goes out together. An alert on a task
that had a message less than `per_task` seconds ago waits for that to pass, unless it
asks what was just asked (a question, then the task parked for its answer): that one is
dropped. The clock is given, so tests need not wait five minutes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from maos_tui.alerts.model import Alert

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class RatePolicy:
    per_task: float = 300.0
    gather: float = 2.0
    gap: float = 30.0


class Digest:
    def __init__(self, policy: RatePolicy, clock: Clock) -> None:
        self.policy = policy
        self.clock = clock
        self._pending: list[tuple[float, Alert]] = []
        self._task_sent: dict[str, tuple[float, set[str]]] = {}
        self._last_sent: float | None = None

    @property
    def pending(self) -> list[Alert]:
        return [alert for _, alert in self._pending]

    def offer(self, alerts: list[Alert]) -> list[Alert]:
        """Queue these; returns the ones dropped as repeats of what the person was told."""
        now = self.clock()
        dropped = []
        for alert in alerts:
            if self._repeats(alert, now):
                dropped.append(alert)
            else:
                self._pending.append((now, alert))
        return dropped

    def take(self, *, now_or_never: bool = False) -> list[Alert]:
        """The alerts due to go out now, together (empty when none is). `now_or_never`
        (the scheduler stops) waits for no company and no gap; a task's 5 minutes hold."""
        now = self.clock()
        ready = [(at, a) for at, a in self._pending if self._task_free(a, now)]
        if not ready or now_or_never:
            return [a for _, a in self._commit(ready, now)]
        if now < min(at for at, _ in ready) + self.policy.gather:
            return []
        if self._last_sent is not None and now < self._last_sent + self.policy.gap:
            return []
        return [a for _, a in self._commit(ready, now)]

    def _commit(self, ready: list[tuple[float, Alert]], now: float) -> list[tuple[float, Alert]]:
        if not ready:
            return []
        taken = {id(a) for _, a in ready}
        self._pending = [(at, a) for at, a in self._pending if id(a) not in taken]
        self._last_sent = now
        needs: dict[str, set[str]] = {}
        for _, alert in ready:
            if alert.task_id is not None:
                needs.setdefault(alert.task_id, set()).add(alert.need)
        self._task_sent.update({task_id: (now, told) for task_id, told in needs.items()})
        return ready

    def next_due(self) -> float | None:
        """When `take` may next return something (the clock's time), if anything waits."""
        times = []
        for at, alert in self._pending:
            due = at + self.policy.gather
            if alert.task_id in self._task_sent:
                due = max(due, self._task_sent[alert.task_id][0] + self.policy.per_task)
            times.append(due)
        if not times:
            return None
        due = min(times)
        if self._last_sent is not None:
            due = max(due, self._last_sent + self.policy.gap)
        return due

    def _task_free(self, alert: Alert, now: float) -> bool:
        sent = self._task_sent.get(alert.task_id or "")
        return alert.task_id is None or sent is None or now >= sent[0] + self.policy.per_task

    def _repeats(self, alert: Alert, now: float) -> bool:
        if alert.task_id is None:
            return False
        sent = self._task_sent.get(alert.task_id)
        if sent is not None and now < sent[0] + self.policy.per_task and alert.need in sent[1]:
            return True
        return any(a.task_id == alert.task_id and a.need == alert.need for _, a in self._pending)
