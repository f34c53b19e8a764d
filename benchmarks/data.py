"""Temp workspaces and bulk-generated boards.

Rows go in with SQLAlchemy Core `insert()` on the store's own tables inside one
`store.write()` (10,000 tasks take ~0.1 s); going through `TaskService.create` would take
minutes and measure the wrong thing. The full-text index is not filled: no scenario
searches, and the board never reads it.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from maos_tui.config import Workspace

if TYPE_CHECKING:
    from maos_tui.store import Store

# The non-done part of a board, spread over the working columns like a busy day.
BUSY_DAY = (("inbox", 0.6), ("assigned", 0.15), ("in_progress", 0.15), ("review", 0.1))
QUEUED = (("inbox", 1.0),)


@dataclass(frozen=True)
class Bench:
    """One temp workspace, with the environment a `maos-tui` run in it should get."""

    workspace: Workspace
    # Another database than the workspace's own SQLite file (a PostgreSQL one).
    database: str | None = None

    @property
    def root(self) -> Path:
        return self.workspace.root

    @property
    def db_url(self) -> str:
        return self.database or self.workspace.default_db_url()

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MAOS_")}
        # An empty user config: the user's own agents and settings must not leak in.
        env["MAOS_CONFIG"] = str(self.root.parent / "user-config.toml")
        env.update(extra)
        return env

    def warm_up_env(self, **extra: str) -> dict[str, str]:
        """`env()` for an unmeasured first run, as an installed program has had: it may
        write the bytecode caches this environment can forbid (PYTHONDONTWRITEBYTECODE), so
        that a module edited since its cache was written is not compiled in every sample."""
        env = self.env(**extra)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        return env

    def argv(self, *args: str) -> list[str]:
        """The installed `maos-tui` script beside this interpreter, as a user runs it."""
        script = Path(sys.executable).with_name("maos-tui")
        launcher = [str(script)] if script.exists() else [sys.executable, "-m", "maos_tui"]
        return [*launcher, "--workspace", str(self.root), *args]

    async def open_store(self) -> Store:
        from maos_tui.store import Store

        self.workspace.ensure_dirs()
        return await Store.open(self.db_url)


@contextmanager
def bench_workspace() -> Iterator[Bench]:
    with tempfile.TemporaryDirectory(prefix="maos-bench-") as tmp:
        root = Path(tmp) / "ws"
        root.mkdir()
        workspace = Workspace(root)
        workspace.ensure_dirs()
        yield Bench(workspace)


@dataclass(frozen=True)
class Shape:
    tasks: int
    done: int = 0
    agents: int = 10
    agents_work: bool = False  # paused agents (the default) are shown but never run
    need: str | None = None  # a capability every generated task needs

    mix: tuple[tuple[str, float], ...] = BUSY_DAY  # how the tasks not done are spread

    def statuses(self) -> Iterator[str]:
        working = self.tasks - self.done
        given = 0
        for index, (status, share) in enumerate(self.mix):
            last = index == len(self.mix) - 1
            count = working - given if last else round(working * share)
            given += count
            yield from [status] * count
        yield from ["done"] * self.done


async def add_agents(store: Store, count: int, *, paused: bool = True) -> list[str]:
    """Command agents (no model, so no API key check and no litellm). The scheduler
    scenarios inject an in-process runner; everywhere else they stay paused."""
    names = [f"agent{i:02d}" for i in range(count)]
    for name in names:
        await store.agents.add(name, command=["true"], capabilities=["python"])
        if paused:
            await store.agents.set_paused(name, True)
    return names


async def populate(store: Store, shape: Shape) -> list[str]:
    """Fill an empty store with `shape`; returns the agent names."""
    from sqlalchemy import insert, update

    from maos_tui.domain import format_task_id
    from maos_tui.store.models import Activity, Counter, Task, TaskAssignee, TaskNeed

    agents = await add_agents(store, shape.agents, paused=not shape.agents_work)
    tasks: list[dict[str, Any]] = []
    assignees: list[dict[str, str]] = []
    activities: list[dict[str, Any]] = []
    async with store.write() as tx:
        for seq, status in enumerate(shape.statuses(), start=1):
            task_id = format_task_id(seq)
            tasks.append(_task_row(task_id, seq, status, tx.now))
            if status not in ("inbox", "done") and agents:
                assignees.append({"task_id": task_id, "agent_name": agents[seq % len(agents)]})
            activities.append(
                {
                    "created_at": tx.now,
                    "actor": "human",
                    "verb": "created",
                    "task_id": task_id,
                    "details": "{}",
                }
            )
        await tx.conn.execute(insert(Task), tasks)
        if assignees:
            await tx.conn.execute(insert(TaskAssignee), assignees)
        await tx.conn.execute(insert(Activity), activities)
        if shape.need:
            needs = [{"task_id": t["id"], "capability": shape.need} for t in tasks]
            await tx.conn.execute(insert(TaskNeed), needs)
        await tx.conn.execute(
            update(Counter).where(Counter.name == "task").values(value=shape.tasks)
        )
    return agents


def _task_row(task_id: str, seq: int, status: str, now: Any) -> dict[str, Any]:
    return {
        "id": task_id,
        "seq": seq,
        "title": f"Benchmark task number {seq} with a realistic title",
        "description": "Generated by the benchmark harness.",
        "status": status,
        "priority": seq % 4,
        "archived": False,
        "created_by": "human",
        "parent_id": None,
        "retry_count": 0,
        "max_retries": 3,
        "timeout_seconds": 900,
        "review_rounds": 0,
        "created_at": now,
        "updated_at": now,
    }


def build_board(bench: Bench, shape: Shape) -> None:
    """Populate `bench` from synchronous code (scenarios that then launch `maos-tui`)."""
    import asyncio

    async def fill() -> None:
        store = await bench.open_store()
        try:
            await populate(store, shape)
        finally:
            await store.close()

    asyncio.run(fill())
