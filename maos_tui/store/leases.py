"""Leases: the run that holds a task, for which worker, until when, and which attempt.

Starting runs is a claim (`admit_in`, then `grant_in`, in the transaction that starts the
runs): on PostgreSQL the claimers of all workers take one transaction-scoped advisory lock
in turn, so the open runs they count against `max_parallel` and each agent's
`max_concurrent` are every worker's. A claimer that finds the lock taken does not wait
for it (ClaimBusy): the holder is starting runs on the slots it would have counted, and its
commit, which the change feed tells, changes what there is to plan. The tasks are locked with
`SELECT ... FOR UPDATE SKIP LOCKED`, so a task another writer holds is left for a later
pass instead of waited on. A task with an open run is never admitted: no task has two
live runs. Each grant bumps the task's attempt.

A run's end is fenced (`fence_in`): it is recorded only while the run is still open and
its lease is still this attempt's. A worker that stopped heartbeating loses its leases:
another worker ends its runs (`expired_in` lists them) and requeues their tasks, and a
late result from the lost worker is refused.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from maos_tui.store.claims import CLAIM, holds
from maos_tui.store.models import Agent, LeaseRow, Run, Task, WorkerRow
from maos_tui.store.workers import expiry

if TYPE_CHECKING:
    from maos_tui.store.core import Store, Tx

# Any constant: the key of the advisory lock that claimers take in turn.
_CLAIM_LOCK_KEY = 0x6D616F73
_TRY_CLAIM_LOCK = text("SELECT pg_try_advisory_xact_lock(:key)")
_OPEN_RUNS = select(Run.task_id, Run.agent_name, Run.kind).where(Run.ended_at.is_(None))
_OPEN_WITH_TASKS = (
    select(Run.task_id, Run.agent_name, Run.kind, Task.status, Task.archived)
    .join(Task, Task.id == Run.task_id)
    .where(Run.ended_at.is_(None))
)
_LEASES = LeaseRow.__table__  # type: ignore[attr-defined]


class ClaimBusy(Exception):
    """Another worker is claiming: plan again once its claim is committed."""


@dataclass(frozen=True, slots=True)
class LeaseTerms:
    """What a worker's claims are held to."""

    worker: str
    heartbeat_seconds: float  # its leases last three of these past its last heartbeat
    max_parallel: int  # runs at once, all workers together


@dataclass(frozen=True, slots=True)
class Lost:
    """An open run whose lease expired: its worker stopped heartbeating."""

    task_id: str
    run_id: int
    worker: str
    agent: str


class LeaseService:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def open_runs(self, conn: AsyncConnection) -> list[tuple[str, str]]:
        """(task, agent) of every open run but MCP claims, whichever worker runs it."""
        rows = (await conn.execute(_OPEN_RUNS)).all()
        return [(task_id, agent) for task_id, agent, kind in rows if kind != CLAIM]

    async def running(self, conn: AsyncConnection) -> tuple[list[tuple[str, str]], set[str]]:
        """`open_runs`, and the tasks an open MCP claim holds (claims.holds: the scheduler
        leaves them alone), in one read: the scheduler reads both on every pass."""
        rows = (await conn.execute(_OPEN_WITH_TASKS)).all()
        runs = [(row.task_id, row.agent_name) for row in rows if row.kind != CLAIM]
        return runs, {row.task_id for row in rows if row.kind == CLAIM and holds(row)}

    async def admit_in(
        self, tx: Tx, wanted: Sequence[tuple[str, str]], max_parallel: int
    ) -> list[bool]:
        """Which of these (task, agent) may start now: the task is not locked by another
        writer, has no open run, and the run fits `max_parallel` and its agent's
        `max_concurrent`, counting every worker's open runs and those admitted before it.
        An MCP claim holds its task while the task is in progress (claims.holds). Raises
        ClaimBusy, before anything is read, while another worker's claim holds the lock."""
        if not self.store.shared:
            # One scheduler per workspace (its lock), which planned with every run and
            # limit in view, in a transaction holding SQLite's write lock.
            return [True] * len(wanted)
        ids = sorted({task_id for task_id, _ in wanted})
        if not (await tx.conn.execute(_TRY_CLAIM_LOCK, {"key": _CLAIM_LOCK_KEY})).scalar():
            raise ClaimBusy
        lock = select(Task.id).where(Task.id.in_(ids)).with_for_update(skip_locked=True)
        free = set((await tx.conn.execute(lock)).scalars())
        running, claimed = await self.running(tx.conn)
        busy = {task_id for task_id, _ in running} | claimed
        total = len(running)
        load = Counter(agent for _, agent in running)
        limits = dict((await tx.conn.execute(select(Agent.name, Agent.max_concurrent))).all())
        admitted = []
        for task_id, agent in wanted:
            fits = total < max_parallel and load[agent] < limits.get(agent, 1)
            ok = fits and task_id in free and task_id not in busy
            if ok:
                busy.add(task_id)
                total += 1
                load[agent] += 1
            admitted.append(ok)
        return admitted

    async def grant_in(
        self, tx: Tx, runs: Sequence[tuple[str, int, str]], terms: LeaseTerms
    ) -> dict[str, int]:
        """Lease these (task, run, agent) to the worker; returns each task's attempt."""
        if not runs:
            return {}
        until = expiry(tx.now, terms.heartbeat_seconds)
        rows: list[dict[str, Any]] = [
            {
                "task_id": task_id,
                "run_id": run_id,
                "agent_name": agent,
                "worker": terms.worker,
                "attempt": 1,
                "expires_at": until,
            }
            for task_id, run_id, agent in runs
        ]
        # One statement: a task leased before gets the next attempt in its row.
        insert = (pg_insert if self.store.shared else sqlite_insert)(_LEASES).values(rows)
        newer = {name: insert.excluded[name] for name in rows[0] if name != "task_id"}
        newer["attempt"] = _LEASES.c.attempt + 1
        upsert = insert.on_conflict_do_update(index_elements=["task_id"], set_=newer)
        found = await tx.conn.execute(upsert.returning(_LEASES.c.task_id, _LEASES.c.attempt))
        return dict(found.all())

    async def fence_in(self, tx: Tx, runs: Sequence[tuple[str, int, int]]) -> set[int]:
        """Of these (task, run, attempt), the runs whose writes may still land: the run is
        open and the task's lease is still this attempt's. The leases are
        locked until the transaction ends, so a reaper cannot take one meanwhile."""
        if not runs:
            return set()
        query = (
            select(Run.id, LeaseRow.attempt)
            .join(LeaseRow, LeaseRow.task_id == Run.task_id)
            .where(Run.id.in_([run_id for _, run_id, _ in runs]), Run.ended_at.is_(None))
            .with_for_update(of=_LEASES)
        )
        current = dict((await tx.conn.execute(query)).all())  # open run -> its task's attempt
        return {run_id for _, run_id, attempt in runs if current.get(run_id) == attempt}

    async def expired_in(self, tx: Tx, worker: str) -> list[Lost]:
        """Open runs of other workers whose leases expired, locked for this transaction
        (another reaper skips them). The dead workers' rows are removed, each with its
        Activity; the caller ends the runs and requeues their tasks."""
        query = (
            select(LeaseRow.task_id, LeaseRow.run_id, LeaseRow.worker, LeaseRow.agent_name)
            .join(Run, Run.id == LeaseRow.run_id)
            .where(
                Run.ended_at.is_(None),
                LeaseRow.expires_at < tx.now,
                LeaseRow.worker != worker,
            )
            .order_by(LeaseRow.task_id)
            .with_for_update(of=_LEASES, skip_locked=True)
        )
        lost = [Lost(*row) for row in (await tx.conn.execute(query)).all()]
        dead = select(WorkerRow.name).where(WorkerRow.expires_at < tx.now, WorkerRow.name != worker)
        for name in (await tx.conn.execute(dead.with_for_update(skip_locked=True))).scalars():
            reason = f"stopped heartbeating; noticed by {worker}"
            await self.store.workers.lost_in(tx, name, reason)
        return lost

    async def unleased_in(self, tx: Tx) -> list[Lost]:
        """Open runs (but MCP claims) that hold no lease: left by a scheduler of a version
        before leases. Every run started since has its lease from its first commit."""
        query = (
            select(Run.task_id, Run.id, Run.agent_name)
            .outerjoin(LeaseRow, LeaseRow.run_id == Run.id)
            .where(Run.ended_at.is_(None), Run.kind != CLAIM, LeaseRow.task_id.is_(None))
        )
        rows = (await tx.conn.execute(query)).all()
        return [Lost(task_id, run_id, "", agent) for task_id, run_id, agent in rows]

    async def mine_in(self, tx: Tx, worker: str) -> list[Lost]:
        """Open runs leased to this worker's name: left by an earlier process of the same
        name that died (a live one would hold the name)."""
        query = (
            select(LeaseRow.task_id, LeaseRow.run_id, LeaseRow.worker, LeaseRow.agent_name)
            .join(Run, Run.id == LeaseRow.run_id)
            .where(Run.ended_at.is_(None), LeaseRow.worker == worker)
            .with_for_update(of=_LEASES)
        )
        return [Lost(*row) for row in (await tx.conn.execute(query)).all()]
