"""`[scheduler] forecast_gate`: a run does not start when its task's likely cost to
finish (maos_tui/forecast.py) would push spending past a budget, the workspace's
`budget_usd` or its agent's. The task waits, saying so on its card, until a person allows
it once (`maos-tui task allow ID`) or the budget grows.

It wraps the planner: placements it holds are taken out and the pass is planned again
without them, so a held task does not keep a slot another task could use.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from maos_tui.forecast import HELD, Forecaster, OpenTask, usd
from maos_tui.scheduler.planner import Placement, Plan, plan

if TYPE_CHECKING:
    from maos_tui.config import SchedulerSettings
    from maos_tui.domain import AgentRecord, TaskRecord
    from maos_tui.store import Store

# Plans a pass may make again after holding placements; what is still held after them
# waits for the next pass.
REPLANS = 3
# A history that takes this long to sum (a board with a long run history) is summed again
# at most every HISTORY_SECONDS: a forecast a few seconds old decides as well. A quicker one is
# summed again whenever a run started or ended since.
SLOW_READ_SECONDS = 0.1
HISTORY_SECONDS = 10.0


@dataclass
class _Spend:
    """What the pass has let start so far, on top of what was spent before it."""

    workspace: float
    agents: dict[str, float]


class ForecastGate:
    def __init__(
        self,
        store: Store,
        settings: SchedulerSettings,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.settings = settings
        self._clock = clock
        self._forecaster: Forecaster | None = None
        self._stamp: object = None
        self._read_at = 0.0
        self._slow = False

    def _budgeted(self, agents: Iterable[AgentRecord]) -> bool:
        if not self.settings.forecast_gate:
            return False
        return self.settings.budget_usd is not None or any(a.budget_usd is not None for a in agents)

    async def plan(
        self,
        tasks: list[TaskRecord],
        agents: list[AgentRecord],
        *,
        totals: Mapping[str, Any],
        **options: Any,
    ) -> Plan:
        """The planner's placements, less those the gate holds (recorded on their tasks)."""
        result = plan(tasks, agents, **options)
        if not result.placements or not self._budgeted(agents):
            return result
        forecaster = await self._forecaster_now()
        by_id = {t.id: t for t in tasks}
        held: dict[str, tuple[str, dict[str, Any]]] = {}
        for replan in range(REPLANS + 1):
            newly = await self._check(forecaster, result.placements, totals)
            if not newly:
                break
            held.update(newly)
            if replan == REPLANS:
                result.placements = [p for p in result.placements if p.task.id not in held]
                break
            tasks = [t for t in tasks if t.id not in held]
            result = plan(tasks, agents, **options)
        await self.store.forecasts.hold(by_id, held)
        return result

    async def _forecaster_now(self) -> Forecaster:
        from maos_tui.store.history_views import history_stamp, read_history

        now = self._clock()
        recent = now - self._read_at < HISTORY_SECONDS
        if self._forecaster is not None and self._slow and recent:
            return self._forecaster
        async with self.store.read() as conn:
            stamp = await history_stamp(conn)
            if self._forecaster is None or stamp != self._stamp:
                self._forecaster = Forecaster(await read_history(conn))
                self._stamp, self._read_at = stamp, now
                self._slow = self._clock() - now >= SLOW_READ_SECONDS
        return self._forecaster

    async def _check(
        self, forecaster: Forecaster, placements: list[Placement], totals: Mapping[str, Any]
    ) -> dict[str, tuple[str, dict[str, Any]]]:
        """The placements whose forecast would pass a budget, with the reason and the
        Activity's details; a task allowed once passes (its start uses the allowance up)."""
        spend = _Spend(float(totals["cost_usd"]), {})
        over: dict[str, tuple[str, dict[str, Any]]] = {}
        for placement in placements:
            task, agent = placement.task, placement.agent
            estimate = forecaster.estimate(
                OpenTask(task.id, task.title, task.status.value, agent.name, agent.model)
            )
            likely = estimate.likely_usd
            agent_spent = agent.cost_usd + spend.agents.get(agent.name, 0.0)
            limits = [
                (self.settings.budget_usd, spend.workspace, "budget"),
                (agent.budget_usd, agent_spent, f"{agent.name}'s budget"),
            ]
            passed = next(
                ((b, s, n) for b, s, n in limits if b is not None and s + likely > b), None
            )
            if passed is None:
                spend.workspace += likely
                spend.agents[agent.name] = spend.agents.get(agent.name, 0.0) + likely
                continue
            budget, spent, name = passed
            reason = f"{HELD} {usd(likely)} would pass {name} {usd(budget)}"
            details = {
                "would_run_on": agent.name,
                "forecast_usd": round(likely, 6),
                "spent_usd": round(spent, 6),
                "budget_usd": budget,
                "basis": estimate.note,
            }
            over[task.id] = (reason, details)
        if over:
            async with self.store.read() as conn:
                allowed = await self.store.forecasts.allowed(conn, over)
            for task_id in allowed:
                del over[task_id]
        return over
