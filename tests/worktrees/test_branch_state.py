"""The task's branch and worktree as the store records them: each change with its Activity,
read back on TaskRecord (board, `task show --json`), old databases upgraded."""

from __future__ import annotations

import json

import pytest

from maos_tui.domain import DomainError, TaskStatus
from maos_tui.store import Store
from maos_tui.store.worktree_state import TaskBranchService
from maos_tui.task_branch import ChangeState


async def _verbs(store: Store, task_id: str) -> list[str]:
    async with store.read() as conn:
        rows = await conn.exec_driver_sql(
            "SELECT verb FROM activities WHERE task_id = ? ORDER BY id", (task_id,)
        )
        return [r[0] for r in rows.all()]


async def test_a_branch_is_recorded_through_its_life(store: Store) -> None:
    branches = TaskBranchService(store)
    task = await store.tasks.create("Add a feature")
    assert task.branch is None
    with pytest.raises(DomainError, match="has no worktree"):
        await branches.get(task.id)

    assert await branches.created(
        task.id,
        branch="maos/TASK-001-add-a-feature",
        base_branch="main",
        base_sha="a" * 40,
        path="/r/.maos/worktrees/TASK-001",
        actor="coder",
    )
    # A retry reusing the same worktree records nothing new.
    assert not await branches.created(
        task.id,
        branch="maos/TASK-001-add-a-feature",
        base_branch="main",
        base_sha="a" * 40,
        path="/r/.maos/worktrees/TASK-001",
        actor="coder",
    )
    await branches.committed(task.id, changed=True, commit="b" * 40, has_changes=True, actor="c")
    await branches.conflict(task.id, ["src/a b.py", "README.md"], actor="scheduler")
    got = (await branches.get(task.id)).branch
    assert got is not None
    assert (got.name, got.base, got.worktree) == (
        "maos/TASK-001-add-a-feature",
        "main",
        "/r/.maos/worktrees/TASK-001",
    )
    assert got.change is ChangeState.CHANGES
    assert got.card_note == "conflict: src/a b.py, README.md"

    await branches.conflict(task.id, [], actor="scheduler")
    await branches.approved(task.id, actor="human")
    done = await branches.merged(
        task.id, commit="c" * 40, strategy="squash", into="main", actor="human"
    )
    assert done.status is TaskStatus.DONE
    assert done.result == f"merged into main as {'c' * 40} (squash)"
    assert done.branch is not None and done.branch.worktree is None
    assert done.branch.merge_commit == "c" * 40 and done.branch.approved_by == "human"
    assert json.loads(json.dumps(done.to_json()))["branch"]["merge_commit"] == "c" * 40
    assert [t.id for t in await branches.with_branches()] == [task.id]
    assert await _verbs(store, task.id) == [
        "created",
        "worktree created",
        "run committed",
        "conflict",
        "conflict resolved",
        "approved",
        "completed",
        "merged",
    ]


async def test_changes_requested_go_back_to_the_author_without_the_approval(store: Store) -> None:
    branches = TaskBranchService(store)
    task = await store.tasks.create("Fix it", status=TaskStatus.REVIEW)
    await branches.created(
        task.id,
        branch="maos/TASK-001-fix-it",
        base_branch="main",
        base_sha="a" * 40,
        path="/w",
        actor="coder",
    )
    await branches.committed(task.id, changed=False, commit=None, has_changes=False, actor="c")
    assert (await store.tasks.get(task.id)).branch.card_note == "no changes"  # type: ignore[union-attr]
    await branches.approved(task.id, actor="reviewer")
    back = await branches.changes_requested(task.id, note="rename it", comments=2)
    assert back.status is TaskStatus.IN_PROGRESS and back.review_rounds == 1
    assert back.branch is not None and back.branch.approved_by is None
    assert (await _verbs(store, task.id))[-2:] == ["moved", "changes requested"]


async def test_unknown_tasks_are_one_line_errors(store: Store) -> None:
    with pytest.raises(DomainError, match="unknown task TASK-404"):
        await TaskBranchService(store).approved("TASK-404", actor="human")
