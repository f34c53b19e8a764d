"""What a card says about a task, independent of any screen."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import datetime, timedelta
from typing import get_type_hints

from maos_tui.collab import LOOPING, NEEDS_HUMAN
from maos_tui.domain import TaskRecord, TaskStatus
from maos_tui.store import Store
from maos_tui.task_branch import ChangeState, TaskBranch
from maos_tui.tui.cards import card, card_key
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


async def test_a_task_stopped_for_looping_says_so(store: Store) -> None:
    task = await store.tasks.create("Fix the login test")
    reason = f"{LOOPING}: the same tool call 5 times: read_file"
    looping = replace(task, status=TaskStatus.IN_PROGRESS, status_reason=reason)
    assert "⟳ looping" in card(looping, None, FIXED_NOW).plain


async def test_a_task_the_forecast_gate_holds_says_so_in_any_open_column(store: Store) -> None:
    task = await store.tasks.create("Rewrite the parser")
    reason = "held: forecast $1.00 would pass budget $2.50"
    for status in (TaskStatus.INBOX, TaskStatus.IN_PROGRESS, TaskStatus.REVIEW):
        held = replace(task, status=status, status_reason=reason)
        assert f"⏸ {reason}" in card(held, None, FIXED_NOW).plain, status
    done = replace(task, status=TaskStatus.DONE, status_reason=reason)
    assert "held" not in card(done, None, FIXED_NOW).plain


def _variants(hint: object) -> list[object]:
    """Values of one TaskRecord field's type that a card could tell apart."""
    moments = [FIXED_NOW, FIXED_NOW - timedelta(days=1)]
    pool: dict[object, list[object]] = {
        str: ["", "other", NEEDS_HUMAN],
        str | None: [None, "other", NEEDS_HUMAN, f"{LOOPING}: the same tool call 5 times"],
        int: [0, 1, 3],
        bool: [False, True],
        tuple[str, ...]: [(), ("qa",), ("qa", "coder")],
        datetime: moments,
        datetime | None: [None, *moments],
        TaskStatus: list(TaskStatus),
        TaskBranch | None: [
            None,
            TaskBranch("maos/TASK-001-x", "main", "a" * 40, "/w", ChangeState.NO_CHANGES),
            TaskBranch("maos/TASK-001-x", "main", "a" * 40, "/w", conflict=("README.md",)),
        ],
    }
    assert hint in pool, f"no test values for a TaskRecord field of type {hint}"
    return pool[hint]


async def test_tasks_with_equal_card_keys_get_the_same_card(store: Store) -> None:
    # The board redraws a card only when its key changes: a field the card shows but the
    # key leaves out would leave the card stale.
    base = await store.tasks.create("Query the warehouse", assignees=[])
    hints = get_type_hints(TaskRecord)

    def drawn(task: TaskRecord) -> tuple[object, ...]:
        content = card(task, None, FIXED_NOW)
        return (content.plain, tuple(content.spans))

    for field in fields(TaskRecord):
        for value in _variants(hints[field.name]):
            changed = replace(base, **{field.name: value})
            if drawn(changed) != drawn(base):
                assert card_key(changed) != card_key(base), field.name


async def test_the_card_shows_the_branchs_conflict_or_no_changes(store: Store) -> None:
    task = await store.tasks.create("Edit the readme")
    await store.branches.created(
        task.id, branch="maos/TASK-001-edit-the-readme", base_branch="main",
        base_sha="a" * 40, path="/w", actor="coder",
    )  # fmt: skip
    await store.branches.committed(
        task.id, changed=False, commit=None, has_changes=False, actor="c"
    )
    assert "no changes" in card(await store.tasks.get(task.id), None, FIXED_NOW).plain
    await store.branches.conflict(task.id, ["README.md", "src/a.py"], actor="human")
    shown = card(await store.tasks.get(task.id), None, FIXED_NOW).plain
    assert "conflict: README.md, src/a.py" in shown
