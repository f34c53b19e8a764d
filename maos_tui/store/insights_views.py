"""The insights read view: throughput, time spent, agents' figures and the costliest tasks,
read in four statements on one snapshot (see maos_tui/insights.py for what each figure
means). Everything is summed in SQL; only the time spans' median and p90 are ranked here,
from the spans of at most TIMED_RUNS runs.

Durations and days are the one dialect difference: SQLite keeps times as UTC text (its
`julianday` gives seconds apart), PostgreSQL as timestamptz (`extract(epoch ...)`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Float, Integer, and_, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from maos_tui.domain import DomainError, TaskStatus, utcnow
from maos_tui.insights import (
    TOOL_LINE,
    AgentInsight,
    CostlyTask,
    Insights,
    RunCost,
    Spread,
    TaskCost,
    tool_calls_in,
)
from maos_tui.store.models import Activity, Run, Task

if TYPE_CHECKING:
    from maos_tui.store.core import Store

COSTLIEST = 10
# The time figures (waits, runs, reviews) are over at most this many of the window's newest
# runs: ranking spans is the costliest part of the figures, and this bounds it.
TIMED_RUNS = 10_000
_RUNS = Run.__table__  # type: ignore[attr-defined]
_TASKS = Task.__table__  # type: ignore[attr-defined]
_ACTIVITIES = Activity.__table__  # type: ignore[attr-defined]


def _seconds(sqlite: bool, start: Any, end: Any) -> Any:
    if sqlite:
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return cast(func.extract("epoch", end - start), Float)


def _day(sqlite: bool, moment: Any) -> Any:
    if sqlite:
        return func.substr(moment, 1, 10)
    return func.to_char(func.timezone("UTC", moment), "YYYY-MM-DD")


def _spans_statement(sqlite: bool, since: datetime) -> Any:
    """(kind, wait, length) of each of the window's newest TIMED_RUNS runs, in seconds (the
    length None while it runs). Ranked in Python: ranking 20,000 spans with window
    functions cost SQLite twice what reading them out does."""
    earlier = _RUNS.alias("earlier")
    # The end of the task's run before this one (it may have started before the window),
    # found in ix_runs_figures.
    previous_end = (
        select(earlier.c.ended_at)
        .where(earlier.c.task_id == _RUNS.c.task_id, earlier.c.id < _RUNS.c.id)
        .order_by(earlier.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    created = select(_TASKS.c.created_at).where(_TASKS.c.id == _RUNS.c.task_id).scalar_subquery()
    runs = (
        select(
            _RUNS.c.kind,
            _RUNS.c.started_at,
            _RUNS.c.ended_at,
            # A task's first run waited from its creation (looked up only for those runs).
            func.coalesce(previous_end, created).label("ready_at"),
        )
        .where(_RUNS.c.started_at >= since)
        .order_by(_RUNS.c.id.desc())
        .limit(TIMED_RUNS)
        .subquery("timed_runs")
    )
    return select(
        runs.c.kind,
        _seconds(sqlite, runs.c.ready_at, runs.c.started_at),
        _seconds(sqlite, runs.c.started_at, runs.c.ended_at),
    )


def _spreads(rows: Sequence[Any]) -> tuple[Spread, Spread, Spread]:
    """Waits, runs and reviews: nearest-rank median and p90 of each."""
    waits: list[float] = []
    lengths: dict[bool, list[float]] = {False: [], True: []}
    for kind, wait, length in rows:
        # A run that started before the previous one ended waited for nothing.
        waits.append(max(float(wait), 0.0))
        if length is not None:
            lengths[kind == "review"].append(max(float(length), 0.0))
    return _spread(waits), _spread(lengths[False]), _spread(lengths[True])


def _spread(spans: list[float]) -> Spread:
    if not spans:
        return Spread(0, None, None)
    spans.sort()
    n = len(spans)
    return Spread(n, _rounded(spans[(n + 1) // 2 - 1]), _rounded(spans[(n * 9 + 9) // 10 - 1]))


def _agents_statement(since: datetime) -> Any:
    """Per agent: its runs' sums in one pass over ix_runs_agents, and the tasks it worked on
    (each read once) from a second pass over the same index. Summing per (agent, task)
    pair first, as one pass, cost half as much again."""
    runs = _RUNS.c
    work = runs.kind == "work"
    in_window = runs.started_at >= since

    def count(*conditions: Any) -> Any:
        return func.sum(case((and_(*conditions), 1), else_=0))

    sums = (
        select(
            runs.agent_name,
            count(work, runs.ended_at.is_not(None)).label("finished"),
            count(work, runs.outcome == "done").label("ok"),
            func.sum(runs.cost_usd).label("cost"),
            count(work).label("work_runs"),
        )
        .where(in_window)
        .group_by(runs.agent_name)
        .subquery("sums")
    )
    worked = select(runs.agent_name, runs.task_id).where(work, in_window).distinct().subquery()
    tasks = (
        select(
            worked.c.agent_name,
            func.count().label("tasks"),
            count(_TASKS.c.status == TaskStatus.DONE.value).label("done"),
            func.sum(_TASKS.c.review_rounds).label("rounds"),
        )
        .join(_TASKS, _TASKS.c.id == worked.c.task_id)
        .group_by(worked.c.agent_name)
        .subquery("tasks")
    )
    return (
        select(
            sums.c.agent_name,
            sums.c.finished,
            sums.c.ok,
            func.coalesce(tasks.c.done, 0),
            sums.c.cost,
            # Retries: its work runs on a task after its first one there.
            sums.c.work_runs - func.coalesce(tasks.c.tasks, 0),
            func.coalesce(tasks.c.rounds, 0),
        )
        .outerjoin(tasks, tasks.c.agent_name == sums.c.agent_name)
        .order_by(sums.c.cost.desc(), sums.c.agent_name)
    )


def _costliest_statement(since: datetime, limit: int) -> Any:
    """The `limit` costliest tasks: the pass over every run sums only the cost; the other
    sums are over the runs of those few tasks (found in ix_runs_figures)."""
    cost = func.sum(_RUNS.c.cost_usd)
    top = (
        select(_RUNS.c.task_id, cost.label("cost"))
        .where(_RUNS.c.started_at >= since)
        .group_by(_RUNS.c.task_id)
        .order_by(cost.desc(), _RUNS.c.task_id)
        .limit(limit)
        .subquery("top")
    )
    sums = (
        select(
            top.c.task_id,
            top.c.cost,
            func.count().label("runs"),
            func.sum(_RUNS.c.tokens_in).label("tokens_in"),
            func.sum(_RUNS.c.tokens_out).label("tokens_out"),
        )
        .join(_RUNS, and_(_RUNS.c.task_id == top.c.task_id, _RUNS.c.started_at >= since))
        .group_by(top.c.task_id, top.c.cost)
        .subquery("sums")
    )
    return (
        select(sums, _TASKS.c.title, _TASKS.c.status, _TASKS.c.retry_count, _TASKS.c.review_rounds)
        .join(_TASKS, _TASKS.c.id == sums.c.task_id)
        .order_by(sums.c.cost.desc(), sums.c.task_id)
    )


def _tool_calls_statement(task_ids: Sequence[str], since: datetime) -> Any:
    """Tool lines per task, counted in the database: the logs stay there."""
    log = _RUNS.c.output_log
    marks = (func.length(log) - func.length(func.replace(log, TOOL_LINE, ""))) / len(TOOL_LINE)
    return (
        select(_RUNS.c.task_id, cast(func.sum(marks), Integer))
        .where(_RUNS.c.task_id.in_(list(task_ids)), _RUNS.c.started_at >= since)
        .group_by(_RUNS.c.task_id)
    )


def _throughput_statement(sqlite: bool, since: datetime) -> Any:
    day = _day(sqlite, _ACTIVITIES.c.created_at)
    return (
        select(day, func.count())
        .where(_ACTIVITIES.c.verb == "completed", _ACTIVITIES.c.created_at >= since)
        .group_by(day)
    )


def _days(since: datetime, until: datetime) -> list[str]:
    first, last = since.date(), until.date()
    return [str(first + timedelta(days=n)) for n in range((last - first).days + 1)]


async def read_insights(
    store: Store, window: timedelta, *, now: datetime | None = None, costliest: int = COSTLIEST
) -> Insights:
    """Every figure of the insights screen for the runs started in the last `window`."""
    until = now or utcnow()
    since = until - window
    async with store.read() as conn:
        sqlite = conn.dialect.name == "sqlite"
        waits, runs, reviews = _spreads((await conn.execute(_spans_statement(sqlite, since))).all())
        agents = [
            AgentInsight(
                name, int(runs), int(ok), int(done), float(cost), int(retries), int(rounds)
            )
            for name, runs, ok, done, cost, retries, rounds in await conn.execute(
                _agents_statement(since)
            )
        ]
        top = (await conn.execute(_costliest_statement(since, costliest))).mappings().all()
        calls = await _tool_calls(conn, [row["task_id"] for row in top], since)
        per_day = dict((await conn.execute(_throughput_statement(sqlite, since))).all())
    return Insights(
        since=since,
        until=until,
        throughput=[(day, int(per_day.get(day, 0))) for day in _days(since, until)],
        waits=waits,
        runs=runs,
        reviews=reviews,
        agents=agents,
        costliest=[
            CostlyTask(
                task_id=row["task_id"],
                title=row["title"],
                status=row["status"],
                cost_usd=float(row["cost"]),
                runs=int(row["runs"]),
                retries=int(row["retry_count"]),
                review_rounds=int(row["review_rounds"]),
                tokens_in=int(row["tokens_in"]),
                tokens_out=int(row["tokens_out"]),
                tool_calls=calls.get(row["task_id"], 0),
            )
            for row in top
        ],
    )


async def _tool_calls(
    conn: AsyncConnection, task_ids: list[str], since: datetime
) -> dict[str, int]:
    if not task_ids:
        return {}
    rows = await conn.execute(_tool_calls_statement(task_ids, since))
    return {task_id: int(n or 0) for task_id, n in rows.all()}


def _rounded(seconds: float | None) -> float | None:
    # julianday's doubles carry noise below the millisecond.
    return None if seconds is None else round(float(seconds), 3)


async def read_task_cost(store: Store, task_id: str) -> TaskCost:
    """Every run of one task, oldest first, with its tool calls: what made up its cost."""
    async with store.read() as conn:
        sqlite = conn.dialect.name == "sqlite"
        title = (
            await conn.execute(select(_TASKS.c.title).where(_TASKS.c.id == task_id))
        ).scalar_one_or_none()
        if title is None:
            raise DomainError(f"no task {task_id}")
        rows = await conn.execute(
            select(
                _RUNS.c.id,
                _RUNS.c.agent_name,
                _RUNS.c.kind,
                _RUNS.c.started_at,
                _seconds(sqlite, _RUNS.c.started_at, _RUNS.c.ended_at),
                _RUNS.c.outcome,
                _RUNS.c.tokens_in,
                _RUNS.c.tokens_out,
                _RUNS.c.cost_usd,
                _RUNS.c.output_log,
            )
            .where(_RUNS.c.task_id == task_id)
            .order_by(_RUNS.c.id)
        )
        runs = [
            RunCost(
                run_id,
                agent,
                kind,
                started,
                _rounded(seconds),
                outcome,
                int(t_in),
                int(t_out),
                float(cost),
                tool_calls_in(log or ""),
            )
            for run_id, agent, kind, started, seconds, outcome, t_in, t_out, cost, log in rows
        ]
    return TaskCost(task_id, title, runs)
