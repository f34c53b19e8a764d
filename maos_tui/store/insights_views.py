"""The insights read view: throughput, time spent, agents' figures and the costliest tasks,
aggregated in SQL in four statements on one snapshot (see maos_tui/insights.py for what
each figure means).

Durations and days are the one dialect difference: SQLite keeps times as UTC text (its
`julianday` gives seconds apart), PostgreSQL as timestamptz (`extract(epoch ...)`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Float, Integer, and_, case, cast, func, literal, select, union_all
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


def _spreads_statement(sqlite: bool, since: datetime) -> Any:
    """(what, count, median, p90) for `wait`, `run` and `review` over the window's newest
    TIMED_RUNS runs; nearest-rank percentiles from each span's rank among its kind, so only
    three rows leave the database."""
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
        .cte("timed_runs")
    )
    waits = select(
        literal("wait").label("what"),
        _seconds(sqlite, runs.c.ready_at, runs.c.started_at).label("span"),
    )
    lengths = select(
        case((runs.c.kind == "review", literal("review")), else_=literal("run")).label("what"),
        _seconds(sqlite, runs.c.started_at, runs.c.ended_at).label("span"),
    ).where(runs.c.ended_at.is_not(None))
    spans = union_all(waits, lengths).cte("spans")
    ranked = select(
        spans.c.what,
        # A run that started before the previous one ended waited for nothing.
        case((spans.c.span < 0, 0.0), else_=spans.c.span).label("span"),
        func.row_number().over(partition_by=spans.c.what, order_by=spans.c.span).label("rank"),
        func.count().over(partition_by=spans.c.what).label("n"),
    ).cte("ranked")
    n = ranked.c.n
    return select(
        ranked.c.what,
        n,
        func.max(case((ranked.c.rank == (n + 1) // 2, ranked.c.span))),
        func.max(case((ranked.c.rank == (n * 9 + 9) // 10, ranked.c.span))),
    ).group_by(ranked.c.what, n)


def _agents_statement(since: datetime) -> Any:
    """Per agent, from its (agent, task) pairs: ix_runs_agents hands the runs over in that
    order, so the pairs are summed without a sort, and each pair's task is read once."""
    runs = _RUNS.c
    work = runs.kind == "work"

    def count(*conditions: Any) -> Any:
        return func.sum(case((and_(*conditions), 1), else_=0))

    pairs = (
        select(
            runs.agent_name,
            runs.task_id,
            count(work, runs.ended_at.is_not(None)).label("finished"),
            count(work, runs.outcome == "done").label("ok"),
            func.sum(runs.cost_usd).label("cost"),
            count(work).label("work_runs"),
        )
        .where(runs.started_at >= since)
        .group_by(runs.agent_name, runs.task_id)
        .subquery("pairs")
    )
    worked = pairs.c.work_runs > 0
    done = _TASKS.c.status == TaskStatus.DONE.value
    cost = func.sum(pairs.c.cost)
    return (
        select(
            pairs.c.agent_name,
            func.sum(pairs.c.finished),
            func.sum(pairs.c.ok),
            count(worked, done),
            cost,
            # Retries: its work runs on a task after its first one there.
            func.sum(pairs.c.work_runs) - count(worked),
            func.sum(case((worked, _TASKS.c.review_rounds), else_=0)),
        )
        .join(_TASKS, _TASKS.c.id == pairs.c.task_id)
        .group_by(pairs.c.agent_name)
        .order_by(cost.desc(), pairs.c.agent_name)
    )


def _costliest_statement(since: datetime, limit: int) -> Any:
    cost = func.sum(_RUNS.c.cost_usd)
    top = (
        select(
            _RUNS.c.task_id,
            cost.label("cost"),
            func.count().label("runs"),
            func.sum(_RUNS.c.tokens_in).label("tokens_in"),
            func.sum(_RUNS.c.tokens_out).label("tokens_out"),
        )
        .where(_RUNS.c.started_at >= since)
        .group_by(_RUNS.c.task_id)
        .order_by(cost.desc(), _RUNS.c.task_id)
        .limit(limit)
        .subquery("top")
    )
    return (
        select(top, _TASKS.c.title, _TASKS.c.status, _TASKS.c.retry_count, _TASKS.c.review_rounds)
        .join(_TASKS, _TASKS.c.id == top.c.task_id)
        .order_by(top.c.cost.desc(), top.c.task_id)
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


def _spread(rows: dict[str, tuple[int, float | None, float | None]], what: str) -> Spread:
    count, median, p90 = rows.get(what, (0, None, None))
    return Spread(count, median, p90)


async def read_insights(
    store: Store, window: timedelta, *, now: datetime | None = None, costliest: int = COSTLIEST
) -> Insights:
    """Every figure of the insights screen for the runs started in the last `window`."""
    until = now or utcnow()
    since = until - window
    async with store.read() as conn:
        sqlite = conn.dialect.name == "sqlite"
        spreads = {
            what: (int(n), _rounded(median), _rounded(p90))
            for what, n, median, p90 in (await conn.execute(_spreads_statement(sqlite, since)))
        }
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
        waits=_spread(spreads, "wait"),
        runs=_spread(spreads, "run"),
        reviews=_spread(spreads, "review"),
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
