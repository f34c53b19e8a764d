"""Fixed data for snapshot tests: a fixed clock, fixed IDs and times, no cursor blink.

`build_app(tmp_path, populated=True)` seeds a workspace with every kind of card badge and
agent state, pins every stored time, and returns an app that opens that store itself.
"""

from __future__ import annotations

import asyncio
import os
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, update

from maos_tui.config import Workspace, load_config
from maos_tui.domain import AgentStatus, TaskStatus
from maos_tui.store import Store
from maos_tui.store.models import Activity, Agent, Run, Task
from maos_tui.tui.app import MaosApp

from .conftest import FIXED_NOW

# Feed and header times are shown in local time: pin the zone so snapshots repeat anywhere.
os.environ["TZ"] = "UTC"
time.tzset()


async def seed(store: Store) -> None:
    agents = store.agents
    await agents.add("coder", model="openai/gpt-4o-mini", capabilities=["code"], role="engineer")
    await agents.add("qa", model="anthropic/claude-sonnet-4-5", capabilities=["review"])
    await agents.add("aider", command=["aider", "--yes"], capabilities=["code"])
    await agents.add("local", model="ollama/llama3.1")
    await agents.set_paused("aider", True)
    tasks = store.tasks
    await tasks.create("Design the storage layer", priority=1)
    await tasks.create(
        "Write the WORKING.md parser", priority=0, description="Parse **all** of it."
    )
    await tasks.create("Implement the scheduler loop", priority=1, assignees=["coder"])
    await tasks.create("Add the keyboard help screen", assignees=["qa"], after=["TASK-003"])
    await tasks.create("Review the migration code", assignees=["qa"])
    await tasks.create("Fix the flaky network test", priority=0)
    await tasks.create("Polish the README", priority=3)
    await tasks.move("TASK-001", TaskStatus.DONE)
    await tasks.move("TASK-003", TaskStatus.IN_PROGRESS)
    await tasks.move("TASK-005", TaskStatus.REVIEW)
    await tasks.move("TASK-006", TaskStatus.FAILED)
    async with store.write() as tx:
        conn = tx.conn
        await store.agents.set_status_in(tx, "local", AgentStatus.OFFLINE, "no API key")
        await store.agents.set_status_in(tx, "coder", AgentStatus.ACTIVE)
        await conn.execute(update(Task).where(Task.id == "TASK-006").values(retry_count=3))
        await conn.execute(update(Task).where(Task.id == "TASK-007").values(retry_count=1))
        runs = [
            ("TASK-003", FIXED_NOW - timedelta(minutes=20), FIXED_NOW - timedelta(minutes=9), 0.08),
            ("TASK-003", FIXED_NOW - timedelta(minutes=3), None, 0.04),
        ]
        for task_id, started, ended, cost in runs:
            await conn.execute(
                insert(Run).values(
                    task_id=task_id,
                    agent_name="coder",
                    started_at=started,
                    ended_at=ended,
                    outcome="failed" if ended else None,
                    error="timed out" if ended else None,
                    tokens_in=1200,
                    tokens_out=300,
                    cost_usd=cost,
                    output_log="reading the store…\nwriting scheduler/core.py",
                )
            )
        await conn.execute(
            update(Agent)
            .where(Agent.name == "coder")
            .values(last_heartbeat=FIXED_NOW - timedelta(seconds=12), cost_usd=0.42)
        )
    await pin_times(store)


async def pin_times(store: Store) -> None:
    async with store.write() as tx:
        await tx.conn.execute(update(Activity).values(created_at=FIXED_NOW - timedelta(minutes=5)))
        await tx.conn.execute(update(Task).values(updated_at=FIXED_NOW - timedelta(minutes=5)))


async def prepare(root: Path, populated: bool) -> None:
    ws = Workspace(root)
    ws.ensure_dirs()
    store = await Store.open(ws.default_db_url())
    try:
        if populated:
            await seed(store)
    finally:
        await store.close()


def build_app(root: Path, *, populated: bool = True, theme: str | None = None) -> MaosApp:
    root.mkdir(parents=True, exist_ok=True)
    asyncio.run(prepare(root, populated))
    ws = Workspace(root)
    if theme:
        config_path = Path(os.environ["MAOS_CONFIG"])
        config_path.parent.mkdir(parents=True, exist_ok=True)
        config_path.write_text(f'theme = "{theme}"\n', encoding="utf-8")
    return MaosApp(ws, load_config(ws), clock=lambda: FIXED_NOW, start_services=False)


def no_blink(app: MaosApp) -> None:
    from textual.widgets import Input, TextArea

    for widget in app.screen.query(Input):
        widget.cursor_blink = False
    for area in app.screen.query(TextArea):
        area.cursor_blink = False
