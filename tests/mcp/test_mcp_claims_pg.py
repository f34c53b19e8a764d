"""claim_task's compare-and-set on PostgreSQL: several connections claiming at once never
get the same task (there, unlike SQLite, two write transactions do run together)."""

from __future__ import annotations

import asyncio

from pg_server import pg_url  # noqa: F401  (the fixture)

from maos_tui.domain import TaskStatus
from maos_tui.store import Store, claims

CLAIMERS = 6
TASKS = 40


async def test_concurrent_claims_on_postgresql_are_distinct(pg_url: str) -> None:  # noqa: F811
    stores = [await Store.open(pg_url) for _ in range(CLAIMERS)]
    try:
        mine = {(await stores[0].tasks.create(f"pg claim {n}")).id for n in range(TASKS)}

        async def drain(store: Store) -> list[str]:
            taken = []
            while (claim := await claims.claim_next(store, "human")) is not None:
                taken.append(claim.task.id)
            return taken

        per_store = await asyncio.gather(*(drain(store) for store in stores))
        everything = [task_id for taken in per_store for task_id in taken]
        assert len(everything) == len(set(everything))
        assert mine <= set(everything)
        for task_id in mine:
            task = await stores[0].tasks.get(task_id)
            assert task.status is TaskStatus.IN_PROGRESS
            [run] = await stores[0].runs.for_task(task_id)
            assert run.kind == "claim" and run.ended_at is None
        finished = await claims.finish(stores[0], "human", min(mine), "done", None)
        assert finished.status in (TaskStatus.DONE, TaskStatus.REVIEW)
    finally:
        for store in stores:
            await store.close()
