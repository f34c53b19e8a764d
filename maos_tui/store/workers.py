"""The workers table: every scheduler process (`maos-tui run`, or an app's own scheduler)
registers a row, refreshes it with a heartbeat, and removes it on a clean exit.

A worker is live while its last heartbeat is less than three heartbeat intervals old
(`expires_at`, written by the worker itself, so workers with different intervals agree).
The heartbeat also extends the leases of the worker's runs (store/leases.py); a worker
that stops heartbeating is removed by whichever live worker notices, which also takes
back its leases (scheduler/seat.py).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from maos_tui.domain import DomainError
from maos_tui.store.models import LeaseRow, WorkerRow
from maos_tui.store.stdlib.twins import stdlib_twin
from maos_tui.store.worker_records import WorkerRecord

if TYPE_CHECKING:
    from maos_tui.store.core import Store, Tx

# A worker that missed this many heartbeats is taken for dead.
MISSED_HEARTBEATS = 3
LIST = select(WorkerRow).order_by(WorkerRow.name)
TOPIC = "worker"


def _running(pid: int) -> bool:
    """Whether a process of this PID runs on this machine: a worker killed here a moment
    ago (kill -9) gives its name back at once instead of after three heartbeats."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process: it exists
    return True


def expiry(now: datetime, interval: float) -> datetime:
    return now + timedelta(seconds=MISSED_HEARTBEATS * interval)


class WorkerService:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def register(
        self,
        name: str,
        host: str,
        pid: int,
        interval: float,
        cannot_run: Mapping[str, str] | None = None,
    ) -> None:
        """Add this worker; DomainError when a live worker already has the name (a dead
        one's row is taken over: its leases are its own to recover, scheduler/recovery).
        `cannot_run`: the agents this machine cannot run, with what it lacks."""
        async with self.store.write() as tx:
            found = (
                (
                    await tx.conn.execute(
                        select(WorkerRow).where(WorkerRow.name == name).with_for_update()
                    )
                )
                .mappings()
                .first()
            )
            if found is not None:
                old = WorkerRecord.from_row(found)
                if old.live(tx.now) and not (old.host == host and not _running(old.pid)):
                    raise DomainError(
                        f"a worker named {name} is already running (pid {old.pid} on "
                        f"{old.host}, last heartbeat {old.age(tx.now):.0f}s ago); "
                        "stop it or give another name with --worker"
                    )
                await tx.conn.execute(delete(WorkerRow).where(WorkerRow.name == name))
            await tx.conn.execute(
                WorkerRow.__table__.insert().values(  # type: ignore[attr-defined]
                    name=name,
                    host=host,
                    pid=pid,
                    started_at=tx.now,
                    heartbeat_at=tx.now,
                    expires_at=expiry(tx.now, interval),
                    cannot_run=json.dumps(dict(cannot_run or {}), sort_keys=True),
                )
            )
            # No Activity: every app start would put one in the feed and in WORKING.md.
            tx.notify(TOPIC)

    async def heartbeat(self, name: str, interval: float) -> bool:
        """Refresh the worker and its leases. False when its row is gone: another worker
        took it for dead (and took back its leases); it is registered again."""
        async with self.store.write() as tx:
            tx.quiet = True  # nothing on the board changes: other processes are not told
            until = expiry(tx.now, interval)
            beat = await tx.conn.execute(
                update(WorkerRow)
                .where(WorkerRow.name == name)
                .values(heartbeat_at=tx.now, expires_at=until)
            )
            await tx.conn.execute(
                update(LeaseRow).where(LeaseRow.worker == name).values(expires_at=until)
            )
            return bool(beat.rowcount)

    async def set_cannot_run(
        self, name: str, old: Mapping[str, str], new: Mapping[str, str]
    ) -> None:
        """Record which agents this worker cannot run (agent -> what its machine lacks),
        with one Activity per agent that changed side: `<worker> cannot run <agent>` or
        `<worker> can run <agent>`."""
        async with self.store.write() as tx:
            await tx.conn.execute(
                update(WorkerRow)
                .where(WorkerRow.name == name)
                .values(cannot_run=json.dumps(dict(new), sort_keys=True))
            )
            for agent in sorted(set(new) - set(old)):
                reason = f"no {new[agent]}; its tasks are left to other workers"
                await tx.activity(
                    name, "cannot run", topic=TOPIC, agent=agent, target=agent, reason=reason
                )
            for agent in sorted(set(old) - set(new)):
                await tx.activity(name, "can run", topic=TOPIC, agent=agent, target=agent)

    async def lost_in(self, tx: Tx, name: str, reason: str) -> None:
        """Remove a worker taken for dead, with the Activity `<name> worker lost`."""
        await tx.conn.execute(delete(WorkerRow).where(WorkerRow.name == name))
        await tx.activity(name, "worker lost", topic=TOPIC, reason=reason)

    async def stop(self, name: str) -> None:
        """A clean exit: the worker's row goes (its runs were ended by then)."""
        async with self.store.write() as tx:
            await tx.conn.execute(delete(WorkerRow).where(WorkerRow.name == name))
            tx.notify(TOPIC)

    @stdlib_twin()
    async def list(self, conn: AsyncConnection) -> list[WorkerRecord]:
        """Every registered worker, live or not yet noticed dead, by name."""
        return [WorkerRecord.from_row(row) for row in (await conn.execute(LIST)).mappings()]
