"""An in-process runner that finishes at once: for scheduling tests and benchmarks.

Not an agent kind users can choose: it is injected through Scheduler(runner_factory=...).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from maos_tui.agents.base import Job, Outcome, RunHooks, RunResult
from maos_tui.domain import AgentRecord


@dataclass
class InstantRunner:
    """Completes every job with "done <task id>"; `decide` may return another result.

    `log` records (event, task id, agent) in order; `running` tracks overlaps so tests can
    assert that no task ever ran twice at once and limits were respected.
    """

    decide: Callable[[Job], RunResult | None] | None = None
    delay: float = 0.0
    tokens: tuple[int, int] = (0, 0)  # reported as usage on every run (budget tests)
    cost_usd: float = 0.0  # likewise
    log: list[tuple[str, str, str]] = field(default_factory=list)
    running: dict[str, int] = field(default_factory=dict)
    peak: int = 0
    overlaps: list[str] = field(default_factory=list)

    async def run(self, job: Job, hooks: RunHooks) -> RunResult:
        task_id = job.task.id
        if self.running.get(task_id):
            self.overlaps.append(task_id)
        self.running[task_id] = self.running.get(task_id, 0) + 1
        self.peak = max(self.peak, sum(self.running.values()))
        self.log.append(("start", task_id, job.agent.name))
        try:
            await hooks.output(f"working on {task_id}\n")
            if any(self.tokens) or self.cost_usd:
                await hooks.usage(*self.tokens, self.cost_usd)
            if self.delay:
                await asyncio.sleep(self.delay)
            decided = self.decide(job) if self.decide else None
            return decided or RunResult(Outcome.DONE, f"done {task_id}")
        finally:
            self.running[task_id] -= 1
            self.log.append(("end", task_id, job.agent.name))

    def factory(self, _agent: AgentRecord) -> InstantRunner:
        return self
