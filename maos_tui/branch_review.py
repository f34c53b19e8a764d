"""Reviewing and landing a task's branch, for the CLI, the TUI's diff screen and the
scheduler alike: its diff, approval, changes requested, merge and the `conflict` run that
follows a base that moved on.

Git through maos_tui/worktrees/ (in a thread: it blocks), state through the store's
store.branches. Worktree errors become one-line DomainErrors, ready for `error: ...`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from maos_tui.domain import HUMAN, DomainError, TaskRecord, TaskStatus
from maos_tui.task_branch import TaskBranch

if TYPE_CHECKING:
    from maos_tui.config_schema import WorkspaceSettings
    from maos_tui.store import Store
    from maos_tui.worktrees import DiffText, Merged, Repo

_T = TypeVar("_T")


@contextmanager
def one_line_errors() -> Iterator[None]:
    from maos_tui.worktrees import WorktreeError

    try:
        yield
    except WorktreeError as exc:
        raise DomainError(str(exc)) from None


async def in_thread(call: Callable[[], _T]) -> _T:
    with one_line_errors():
        return await asyncio.to_thread(call)


def repo_of(folder: Path) -> Repo:
    from maos_tui.worktrees import find_repo

    with one_line_errors():
        return find_repo(folder)


@dataclass(frozen=True)
class Branches:
    """Where tasks' branches live: the workspace's repository and its `[workspace]` table."""

    store: Store
    folder: Path  # the workspace root, inside the repository
    settings: WorkspaceSettings

    @property
    def repo(self) -> Repo:
        return repo_of(self.folder)

    async def task(self, task_id: str) -> tuple[TaskRecord, TaskBranch]:
        task = await self.store.branches.get(task_id)
        assert task.branch is not None
        return task, task.branch

    async def diff(self, task_id: str, *, cap: int | None = None) -> DiffText:
        """base...branch, new files included; a merged task's branch is gone."""
        from maos_tui.worktrees import diff_text
        from maos_tui.worktrees.diff import DIFF_CAP

        task, branch = await self.task(task_id)
        if branch.merge_commit:
            raise DomainError(
                f"{task.id} was merged into {branch.base} as {branch.merge_commit[:12]}; "
                f"`git show {branch.merge_commit[:12]}` shows its change"
            )
        repo = self.repo
        return await in_thread(
            lambda: diff_text(repo.root, branch.base, branch.name, cap=cap or DIFF_CAP)
        )

    async def approve(self, task_id: str, *, actor: str = HUMAN) -> Merged | None:
        """Recorded; a person's approval merges now, an agent's only with auto_merge (and
        then only when clean: a conflict is recorded and waits)."""
        task, _ = await self.task(task_id)
        if task.status is not TaskStatus.REVIEW:
            raise DomainError(
                f"{task.id} is {task.status.value}, not in review "
                f"(`maos-tui task merge {task.id}` merges it anyway)"
            )
        await self.store.branches.approved(task.id, actor=actor)
        if actor != HUMAN and not self.settings.auto_merge:
            return None
        return await self.merge(task.id, actor=actor)

    async def merge(
        self, task_id: str, *, strategy: str | None = None, actor: str = HUMAN
    ) -> Merged:
        task, branch = await self.task(task_id)
        merged = await self.land(task, branch, strategy=strategy, actor=actor)
        await self.store.branches.merged(
            task.id, commit=merged.commit, strategy=str(merged.strategy), into=branch.base,
            actor=actor,
        )  # fmt: skip
        return merged

    async def land(
        self, task: TaskRecord, branch: TaskBranch, *, strategy: str | None, actor: str
    ) -> Merged:
        """The git half of a merge; a conflict is recorded on the task and raised."""
        from maos_tui.worktrees import MergeConflict, WorktreeError, merge_task

        if branch.merge_commit:
            raise DomainError(f"{task.id} is already merged as {branch.merge_commit[:12]}")
        repo = self.repo
        chosen = strategy or self.settings.merge
        author = task.assignees[0] if len(task.assignees) == 1 else None
        service = self.store.branches
        try:
            merged = await asyncio.to_thread(
                lambda: merge_task(
                    repo,
                    task.id,
                    task.title,
                    branch.name,
                    branch.base,
                    strategy=chosen,
                    body=task.result or "",
                    agent=author,
                    worktree_root=self.settings.worktree_root,
                )
            )
        except MergeConflict as exc:
            await service.conflict(task.id, exc.files, actor=actor)
            raise DomainError(
                f"{exc} (`maos-tui task rebase {task.id}` gives its author a conflict run)"
            ) from None
        except WorktreeError as exc:
            raise DomainError(str(exc)) from None
        return merged

    async def request_changes(
        self, task_id: str, *, note: str = "", actor: str = HUMAN
    ) -> TaskRecord:
        task, _ = await self.task(task_id)
        if task.status is not TaskStatus.REVIEW:
            raise DomainError(f"{task.id} is {task.status.value}, not in review")
        comments = len(await review_comments(self.store, task.id))
        return await self.store.branches.changes_requested(
            task.id, actor=actor, note=note, comments=comments
        )

    async def rebase(self, task_id: str, *, actor: str = HUMAN) -> TaskRecord:
        """Give the author a `conflict` run: the base is merged into the task's worktree
        (by the scheduler, in the run) and the conflicting files go into its context."""
        from maos_tui.worktrees import check_merge

        task, branch = await self.task(task_id)
        if branch.merge_commit:
            raise DomainError(f"{task.id} is already merged as {branch.merge_commit[:12]}")
        if not task.assignees:
            raise DomainError(f"{task.id} has no author to resolve its conflict: assign an agent")
        repo = self.repo
        check = await in_thread(lambda: check_merge(repo, branch.name, branch.base))
        service = self.store.branches
        await service.conflict(task.id, check.conflicts, actor=actor)
        if check.clean:
            raise DomainError(f"{task.id} merges cleanly into {branch.base}: nothing to resolve")
        return await service.changes_requested(
            task.id, actor=actor, note="conflict with " + branch.base
        )


async def review_comments(store: Store, task_id: str) -> list[object]:
    """The diff screen's comments on the task (file, line, text, author): the review-comment
    store is the diff screen's, when this build has it."""
    reviews = getattr(store, "reviews", None)
    if reviews is None:
        return []
    return list(await reviews.comments(task_id))
