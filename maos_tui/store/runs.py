"""Runs: one row per agent attempt at a task, with its tokens, cost and a bounded output log."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from maos_tui.store.ids import ManyInserts
from maos_tui.store.models import Agent, Run
from maos_tui.store.prepared import Prepared

if TYPE_CHECKING:
    from maos_tui.store.core import Store, Tx

# The database keeps the tail of each run's output: enough to debug a failure, bounded so a
# chatty agent cannot grow the file without limit.
LOG_TAIL_CHARS = 64 * 1024

_RUNS = Run.__table__  # type: ignore[attr-defined]
# Prepared once: the scheduler starts and ends runs many at a time, with executemany.
_START_COLUMNS = (
    "task_id",
    "agent_name",
    "kind",
    "started_at",
    "last_progress_at",
    "tokens_in",
    "tokens_out",
    "cost_usd",
    "output_log",
)
_INSERT_RUNS = ManyInserts(
    _RUNS, Prepared(insert(_RUNS).values({c: bindparam(c) for c in _START_COLUMNS}))
)
_FINISH_RUN = Prepared(
    update(_RUNS)
    .where(_RUNS.c.id == bindparam("_id"), _RUNS.c.ended_at.is_(None))
    .values(ended_at=bindparam("_ended"), outcome=bindparam("_outcome"), error=bindparam("_error"))
)
# Only while the run is open: a run ended by another worker (its lease expired,
# store/leases.py) writes nothing more.
_SET_LOG = Prepared(
    update(_RUNS)
    .where(_RUNS.c.id == bindparam("_id"), _RUNS.c.ended_at.is_(None))
    .values(output_log=bindparam("_log"), last_progress_at=bindparam("_now"))
)


@dataclass(frozen=True, slots=True)
class RunRecord:
    id: int
    task_id: str
    agent_name: str
    kind: str
    started_at: datetime
    ended_at: datetime | None
    outcome: str | None
    error: str | None
    tokens_in: int
    tokens_out: int
    cost_usd: float
    output_log: str

    @classmethod
    def from_row(cls, row: Any) -> RunRecord:
        return cls(**{name: row[name] for name in cls.__slots__})


class RunService:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def start_in(self, tx: Tx, task_id: str, agent: str, kind: str = "work") -> int:
        result = await tx.conn.execute(
            insert(Run).values(
                task_id=task_id,
                agent_name=agent,
                kind=kind,
                started_at=tx.now,
                last_progress_at=tx.now,
            )
        )
        tx.notify("run", task_id=task_id, agent=agent)
        return int(result.inserted_primary_key[0])

    async def start_many_in(self, tx: Tx, starts: Sequence[tuple[str, str, str]]) -> list[int]:
        """Start runs of (task, agent, kind) in one statement; returns their IDs in order."""
        if not starts:
            return []
        if len(starts) == 1:
            return [await self.start_in(tx, *starts[0])]
        rows = [
            {
                "task_id": task_id,
                "agent_name": agent,
                "kind": kind,
                "started_at": tx.now,
                "last_progress_at": tx.now,
                "tokens_in": 0,
                "tokens_out": 0,
                "cost_usd": 0.0,
                "output_log": "",
            }
            for task_id, agent, kind in starts
        ]
        ids = await _INSERT_RUNS.insert(tx, rows)
        for task_id, agent, _kind in starts:
            tx.notify("run", task_id=task_id, agent=agent)
        return ids

    async def finish_many_in(self, tx: Tx, ends: Sequence[tuple[int, str, str | None]]) -> None:
        """`finish_in` for many (run ID, outcome, error), in one executemany."""
        if not ends:
            return
        await tx.run_many(
            _FINISH_RUN,
            [
                {"_id": run_id, "_ended": tx.now, "_outcome": outcome, "_error": error}
                for run_id, outcome, error in ends
            ],
        )
        for _ in ends:
            tx.notify("run")

    async def append_logs_in(
        self, tx: Tx, texts: Mapping[int, str], *, empty: Collection[int] = ()
    ) -> None:
        """`append_log_in` for many runs: the logs of runs in `empty` are known to be
        empty (nothing was ever written to them) and are not read."""
        texts = {run_id: text for run_id, text in texts.items() if text}
        if not texts:
            return
        current = {run_id: "" for run_id in texts if run_id in empty}
        unknown = [run_id for run_id in texts if run_id not in current]
        if unknown:
            rows = await tx.conn.execute(
                select(_RUNS.c.id, _RUNS.c.output_log).where(_RUNS.c.id.in_(unknown))
            )
            current.update({run_id: log for run_id, log in rows.all() if log is not None})
        params = [
            {"_id": run_id, "_log": (current[run_id] + text)[-LOG_TAIL_CHARS:], "_now": tx.now}
            for run_id, text in texts.items()
            if run_id in current
        ]
        await tx.run_many(_SET_LOG, params)
        for _ in params:
            tx.notify("run")

    async def finish_in(self, tx: Tx, run_id: int, outcome: str, error: str | None = None) -> None:
        await tx.conn.execute(
            update(Run)
            .where(Run.id == run_id, Run.ended_at.is_(None))
            .values(ended_at=tx.now, outcome=outcome, error=error)
        )
        tx.notify("run")

    async def add_usage(
        self, run_id: int, agent: str, tokens_in: int, tokens_out: int, cost_usd: float
    ) -> None:
        """Count one model call on the run and the agent; workspace totals sum the runs."""
        async with self.store.write() as tx:
            await tx.conn.execute(
                update(Run)
                .where(Run.id == run_id)
                .values(
                    tokens_in=Run.tokens_in + tokens_in,
                    tokens_out=Run.tokens_out + tokens_out,
                    cost_usd=Run.cost_usd + cost_usd,
                    last_progress_at=tx.now,
                )
            )
            await tx.conn.execute(
                update(Agent)
                .where(Agent.name == agent)
                .values(
                    tokens_in=Agent.tokens_in + tokens_in,
                    tokens_out=Agent.tokens_out + tokens_out,
                    cost_usd=Agent.cost_usd + cost_usd,
                )
            )
            tx.notify("agent", agent=agent)

    async def append_log(self, run_id: int, text: str) -> None:
        if text:
            async with self.store.write() as tx:
                await self.append_log_in(tx, run_id, text)

    async def append_log_in(self, tx: Tx, run_id: int, text: str) -> None:
        """Append output, keeping only the last LOG_TAIL_CHARS characters."""
        if not text:
            return
        current = (
            await tx.conn.execute(
                select(Run.output_log).where(Run.id == run_id, Run.ended_at.is_(None))
            )
        ).scalar_one_or_none()
        if current is None:
            return
        log = (current + text)[-LOG_TAIL_CHARS:]
        await tx.conn.execute(
            update(Run).where(Run.id == run_id).values(output_log=log, last_progress_at=tx.now)
        )
        tx.notify("run")

    async def get(self, run_id: int, conn: AsyncConnection | None = None) -> RunRecord:
        if conn is None:
            async with self.store.read() as fresh:
                return await self.get(run_id, fresh)
        row = (await conn.execute(select(Run).where(Run.id == run_id))).mappings().one()
        return RunRecord.from_row(row)

    async def for_task(self, task_id: str, conn: AsyncConnection | None = None) -> list[RunRecord]:
        if conn is None:
            async with self.store.read() as fresh:
                return await self.for_task(task_id, fresh)
        rows = await conn.execute(select(Run).where(Run.task_id == task_id).order_by(Run.id))
        return [RunRecord.from_row(r) for r in rows.mappings().all()]

    async def open_runs(self, conn: AsyncConnection) -> list[RunRecord]:
        """Runs never finished: left behind by a scheduler that died."""
        rows = await conn.execute(select(Run).where(Run.ended_at.is_(None)).order_by(Run.id))
        return [RunRecord.from_row(r) for r in rows.mappings().all()]

    async def latest_agents(
        self, conn: AsyncConnection, task_ids: Iterable[str], kind: str
    ) -> dict[str, str]:
        """Per task, the agent of its latest run of this kind (the author of work in
        review), for many tasks in one query."""
        latest = (
            select(func.max(Run.id))
            .where(Run.task_id.in_(list(task_ids)), Run.kind == kind)
            .group_by(Run.task_id)
        )
        rows = await conn.execute(select(Run.task_id, Run.agent_name).where(Run.id.in_(latest)))
        return {task_id: agent for task_id, agent in rows.all()}

    async def latest(
        self, conn: AsyncConnection, task_id: str, kind: str, outcome: str | None = None
    ) -> RunRecord | None:
        """The task's latest run of this kind (and outcome): the author of work in review,
        the reviewer's requested changes."""
        query = select(Run).where(Run.task_id == task_id, Run.kind == kind)
        if outcome is not None:
            query = query.where(Run.outcome == outcome)
        row = (await conn.execute(query.order_by(Run.id.desc()).limit(1))).mappings().first()
        return RunRecord.from_row(row) if row is not None else None
