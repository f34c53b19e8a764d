"""What a card says about a task, independent of any screen."""

from __future__ import annotations

from maos_tui.domain import TaskStatus
from maos_tui.store import Store
from maos_tui.tui.cards import card
from tests.tui.conftest import FIXED_NOW


async def test_a_task_no_agent_can_take_says_why(store: Store) -> None:
    task = await store.tasks.create("Query the warehouse", needs=["sql"])
    async with store.write() as tx:
        await store.tasks.set_reasons_in(tx, {task.id: "no agent with capability: sql"})
    waiting = await store.tasks.get(task.id)
    assert "⏸ no agent with capability: sql" in card(waiting, None, FIXED_NOW).plain
    assert "unassigned" not in card(waiting, None, FIXED_NOW).plain


async def test_a_reason_is_not_shown_once_the_task_moves_on(store: Store) -> None:
    task = await store.tasks.create("Query the warehouse")
    async with store.write() as tx:
        await store.tasks.set_reasons_in(tx, {task.id: "no agents"})
    moved = await store.tasks.move(task.id, TaskStatus.DONE)
    assert "no agents" not in card(moved, None, FIXED_NOW).plain
