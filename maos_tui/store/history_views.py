"""What the cost-to-finish forecast (maos_tui/forecast.py) reads: the run history, summed
in SQL per task, agent and kind, and the open tasks with who works them.

A handful of statements whatever the size of the board: at 100,000 runs the database
adds them up and Python sees one row per task and agent, never one per run. An agent's
runs count for the model it has now (runs do not record theirs); a removed agent's runs
count with no model.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from maos_tui.forecast import OPEN_STATUSES, REVIEW, WORK, History, OpenTask, RunTally
from maos_tui.store.agents import TOTALS
from maos_tui.store.models import Agent, Run, Task, TaskAssignee, TaskDependency
from maos_tui.store.records import totals_of

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from maos_tui.store.core import Store

_OPEN = sorted(OPEN_STATUSES)
_LIVE = Task.archived == False  # noqa: E712 - SQL expression

# No join to agents for the model: at 100,000 runs the join costs a third more, and the
# few agents' models are mapped in Python.
TALLIES = (
    select(
        Run.task_id,
        Run.agent_name,
        Run.kind,
        func.count(),
        func.coalesce(func.sum(Run.cost_usd), 0.0),
        func.coalesce(func.sum(Run.tokens_in + Run.tokens_out), 0),
    )
    .where(Run.ended_at.is_not(None), Run.kind.in_((WORK, REVIEW)))
    .group_by(Run.task_id, Run.agent_name, Run.kind)
)
DONE = select(Task.id).where(Task.status == "done")
OPEN_TASKS = select(Task.id, Task.title, Task.status, Task.parent_id).where(
    _LIVE, Task.status.in_(_OPEN)
)
PARENTS = select(Task.id, Task.parent_id).where(_LIVE, Task.parent_id.is_not(None))
OPEN_DEPENDENCIES = (
    select(TaskDependency.task_id, TaskDependency.depends_on)
    .join(Task, Task.id == TaskDependency.task_id)
    .where(_LIVE, Task.status.in_(_OPEN))
)
OPEN_ASSIGNEES = (
    select(TaskAssignee.task_id, TaskAssignee.agent_name)
    .join(Task, Task.id == TaskAssignee.task_id)
    .where(_LIVE, Task.status.in_(_OPEN))
    .order_by(TaskAssignee.task_id, TaskAssignee.agent_name)
)
MODELS = select(Agent.name, Agent.model)
# Changes when a run starts or ends, or a task is done: what the history is made of.
STAMP = select(
    select(func.max(Run.id)).scalar_subquery(),
    select(func.count()).select_from(Run).where(Run.ended_at.is_(None)).scalar_subquery(),
    select(func.count()).select_from(Task).where(Task.status == "done").scalar_subquery(),
)


@dataclass(frozen=True, slots=True)
class ForecastInputs:
    history: History
    tasks: list[OpenTask]  # the open (live, unfinished) tasks, in ID order
    parents: dict[str, str | None]  # every live task with a parent → that parent
    models: dict[str, str | None]  # agent → its model


async def read_history(conn: AsyncConnection) -> History:
    """Finished runs summed per task, agent and kind; the done tasks; what runs cost."""
    models = await _models(conn)
    tallies = [
        RunTally(task, agent, models.get(agent), kind, int(runs), float(cost), int(tokens))
        for task, agent, kind, runs, cost, tokens in (await conn.execute(TALLIES)).all()
    ]
    done = frozenset((await conn.scalars(DONE)).all())
    spent = totals_of((await conn.execute(TOTALS)).one())["cost_usd"]
    return History(tallies, done, spent)


async def history_stamp(conn: AsyncConnection) -> tuple[int, int, int]:
    """A cheap fingerprint of the history: read it again only when this changes."""
    newest, running, done = (await conn.execute(STAMP)).one()
    return int(newest or 0), int(running), int(done)


async def read_inputs(conn: AsyncConnection, history: History | None = None) -> ForecastInputs:
    """The history (unless given: it changes less often than the board) and the open
    tasks, each with who works it: its first assignee, or the agent that made most of its
    work runs."""
    history = history or await read_history(conn)
    models = await _models(conn)
    after: dict[str, list[str]] = defaultdict(list)
    for task_id, depends_on in (await conn.execute(OPEN_DEPENDENCIES)).all():
        after[task_id].append(depends_on)
    workers: dict[str, str] = {}
    for task_id, agent in (await conn.execute(OPEN_ASSIGNEES)).all():
        workers.setdefault(task_id, agent)
    most: dict[str, tuple[int, str]] = {}
    for tally in history.tallies:
        if tally.kind == WORK and tally.task_id not in workers:
            best = most.get(tally.task_id)
            if best is None or (tally.runs, tally.agent) > best:
                most[tally.task_id] = (tally.runs, tally.agent)
    workers.update({task_id: agent for task_id, (_, agent) in most.items()})
    rows = (await conn.execute(OPEN_TASKS.order_by(Task.seq))).all()
    tasks = []
    for task_id, title, status, parent in rows:
        worker = workers.get(task_id)
        model = models.get(worker) if worker is not None else None
        deps = tuple(sorted(after.get(task_id, ())))
        tasks.append(OpenTask(task_id, title, status, worker, model, parent, deps))
    parents = {task_id: parent for task_id, parent in (await conn.execute(PARENTS)).all()}
    return ForecastInputs(history, tasks, parents, models)


async def forecast_inputs(store: Store) -> ForecastInputs:
    """Everything the forecast reads, on one snapshot."""
    async with store.read() as conn:
        return await read_inputs(conn)


async def _models(conn: AsyncConnection) -> dict[str, str | None]:
    return {name: model for name, model in (await conn.execute(MODELS)).all()}
