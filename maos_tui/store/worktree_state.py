"""What happens to a task's git branch and worktree, recorded on the task with an Activity in
the same transaction: created, a run's work committed (or nothing changed), a conflict with
its base, approved, changes requested, merged, the worktree removed.

The git work itself is maos_tui/worktrees/'s; callers do it first and record its result here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from maos_tui.domain import HUMAN, DomainError, TaskRecord, TaskStatus, parse_task_id
from maos_tui.store.models import Task, TaskBranchRow
from maos_tui.store.task_queries import with_branch
from maos_tui.task_branch import ChangeState, conflict_text

if TYPE_CHECKING:
    from maos_tui.store.core import Store, Tx

# get_many reads them as each database needs (SQLite's JSON aggregates are not PostgreSQL's).
_WITH_BRANCH = (
    select(TaskBranchRow.task_id).join(Task, Task.id == TaskBranchRow.task_id).order_by(Task.seq)
)


class TaskBranchService:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def with_branches(self, conn: AsyncConnection | None = None) -> list[TaskRecord]:
        """Every task that ever had a branch, archived ones too, in ID order."""
        if conn is None:
            async with self.store.read() as own:
                return await self.with_branches(own)
        ids = [row[0] for row in (await conn.execute(_WITH_BRANCH)).all()]
        found = {t.id: t for t in await self.store.tasks.get_many(ids, conn)}
        return [found[i] for i in ids if i in found]

    async def get(self, task_id: str) -> TaskRecord:
        """The task, which must have a branch (a one-line DomainError otherwise)."""
        task = await self.store.tasks.get(parse_task_id(task_id))
        if task.branch is None:
            raise DomainError(f"{task.id} has no worktree: no run has started on it with isolation")
        return task

    async def created(
        self,
        task_id: str,
        *,
        branch: str,
        base_branch: str,
        base_sha: str,
        path: str,
        actor: str,
    ) -> bool:
        """The task's worktree exists at `path`; False when that was already recorded (a
        retry or a review round reusing it)."""
        async with self.store.write() as tx:
            row = await _row(tx, task_id)
            if row["branch"] == branch and row["worktree_path"] == path:
                return False
            values = {
                "branch": branch,
                "base_branch": base_branch,
                "base_sha": base_sha,
                "worktree_path": path,
            }
            if row["branch"] is None:
                await tx.conn.execute(insert(TaskBranchRow).values(task_id=row["id"], **values))
            elif row["branch"] != branch:  # a new branch (the old one was merged): a new start
                values.update(change=None, conflict_files=None, approved_by=None, merge_commit=None)
            await self._set(tx, row["id"], **values)
            await tx.activity(
                actor, "worktree created", row["id"], branch=branch, base=base_branch, path=path
            )
            return True

    async def committed(
        self, task_id: str, *, changed: bool, commit: str | None, has_changes: bool, actor: str
    ) -> None:
        """A run ended: `changed` says whether it committed anything, `has_changes` whether
        the branch now differs from its base (what review and the card go by)."""
        state = ChangeState.CHANGES if has_changes else ChangeState.NO_CHANGES
        async with self.store.write() as tx:
            row = await _row(tx, task_id)
            await self._set(tx, row["id"], change=state.value)
            if changed:
                await tx.activity(actor, "run committed", row["id"], commit=commit)
            else:
                await tx.activity(actor, "no changes", row["id"], branch_changes=has_changes)

    async def conflict(self, task_id: str, files: Sequence[str], *, actor: str) -> None:
        """The branch no longer merges cleanly into its base (empty `files`: it does again)."""
        async with self.store.write() as tx:
            row = await _row(tx, task_id)
            text = conflict_text(list(files))
            if row["conflict_files"] == text:
                return
            await self._set(tx, row["id"], conflict_files=text)
            if files:
                await tx.activity(actor, "conflict", row["id"], files=list(files))
            else:
                await tx.activity(actor, "conflict resolved", row["id"])

    async def approved(self, task_id: str, *, actor: str) -> None:
        async with self.store.write() as tx:
            await self.approved_in(tx, task_id, actor=actor)

    async def approved_in(self, tx: Tx, task_id: str, *, actor: str) -> None:
        row = await _row(tx, task_id)
        await self._set(tx, row["id"], approved_by=actor)
        await tx.activity(actor, "approved", row["id"])

    async def changes_requested(
        self, task_id: str, *, actor: str = HUMAN, note: str = "", comments: int = 0
    ) -> TaskRecord:
        """Back to its author (in progress, same assignees), approval withdrawn; the
        comments reach the author's next run through its context."""
        async with self.store.write() as tx:
            row = await _row(tx, task_id)
            rounds = row["review_rounds"] + 1
            reason = f"changes requested (round {rounds})" + (f": {note}" if note else "")
            await self.store.tasks.move_in(
                tx,
                task_id,
                TaskStatus.IN_PROGRESS,
                actor=actor,
                reason=reason[:500],
                current=TaskStatus(row["status"]),
                review_rounds=rounds,
            )
            await self._set(tx, row["id"], approved_by=None)
            await tx.activity(actor, "changes requested", row["id"], comments=comments, note=note)
            return await self.store.tasks.get(task_id, tx.conn)

    async def merged(
        self, task_id: str, *, commit: str, strategy: str, into: str, actor: str
    ) -> TaskRecord:
        """Done: its result names the merge commit; the worktree and branch are gone."""
        async with self.store.write() as tx:
            await self.merged_in(
                tx, task_id, commit=commit, strategy=strategy, into=into, actor=actor
            )
            return await self.store.tasks.get(task_id, tx.conn)

    async def merged_in(
        self, tx: Tx, task_id: str, *, commit: str, strategy: str, into: str, actor: str
    ) -> None:
        row = await _row(tx, task_id)
        result = f"merged into {into} as {commit} ({strategy})"
        current = TaskStatus(row["status"])
        if current is TaskStatus.DONE:
            await self._set(tx, row["id"], result=result, status_reason=None)
        else:
            # The person (or their auto_merge setting) merges: any status may end here.
            await self.store.tasks.move_in(
                tx,
                row["id"],
                TaskStatus.DONE,
                actor=HUMAN,
                current=current,
                result=result,
                status_reason=None,
            )
        await self._set(tx, row["id"], merge_commit=commit, worktree_path=None, conflict_files=None)
        await tx.activity(actor, "merged", row["id"], commit=commit, strategy=strategy, into=into)

    async def worktree_removed(self, task_id: str, *, actor: str, reason: str) -> None:
        """The folder is gone (prune); the branch, if kept, is still on the task."""
        async with self.store.write() as tx:
            row = await _row(tx, task_id)
            await self._set(tx, row["id"], worktree_path=None)
            await tx.activity(actor, "worktree removed", row["id"], reason=reason)

    async def _set(self, tx: Tx, task_id: str, **values: Any) -> None:
        """Branch columns, and the task's `updated_at` (the board shows the change)."""
        branch = {k: v for k, v in values.items() if k in _BRANCH_KEYS}
        task = {k: v for k, v in values.items() if k not in _BRANCH_KEYS}
        if branch:
            await tx.conn.execute(
                update(TaskBranchRow).where(TaskBranchRow.task_id == task_id).values(**branch)
            )
        await self.store.tasks.update_fields_in(tx, task_id, **task)


_BRANCH_KEYS = frozenset(c.key for c in TaskBranchRow.__table__.columns)  # type: ignore[attr-defined]
_ROW = with_branch(select(Task.id, Task.status, Task.review_rounds))


async def _row(tx: Tx, task_id: str) -> Any:
    tid = parse_task_id(task_id)
    row = (await tx.conn.execute(_ROW.where(Task.id == tid))).mappings().first()
    if row is None:
        raise DomainError(f"unknown task {tid}")
    return row
