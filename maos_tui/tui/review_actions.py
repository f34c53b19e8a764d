"""What the diff screen asks of the rest of maos-tui: the change of a task (or of an explicit
base and branch), and its approval or a request for changes, through the review layer the
CLI uses too (maos_tui/branch_review.py). Git runs in a worker thread, never on the loop."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from maos_tui.domain import TaskRecord
from maos_tui.tui.diff_model import DiffModel

if TYPE_CHECKING:
    from maos_tui.branch_review import Branches
    from maos_tui.tui.app import MaosApp
    from maos_tui.worktrees import Merged


@dataclass(frozen=True)
class DiffTarget:
    """A change named directly: `base...branch` in the repository at `repo_root`."""

    repo_root: Path
    base: str
    branch: str


def branches(app: MaosApp) -> Branches:
    from maos_tui.branch_review import Branches

    return Branches(app.store, app.workspace.root, app.config.workspace_settings())


def read_diff(repo_root: Path, base: str, branch: str) -> DiffModel:
    """`base...branch` read into a DiffModel; the per-file counts are read by a second git
    at the same time (git writes both in the same order)."""
    from concurrent.futures import ThreadPoolExecutor

    from maos_tui.worktrees import diff_stat, iter_diff

    with ThreadPoolExecutor(1) as pool:
        stats = pool.submit(diff_stat, repo_root, base, branch)
        lines = list(iter_diff(repo_root, base, branch))
        files = stats.result()
    truncated = bool(lines) and lines[-1].startswith("[diff truncated")
    return DiffModel(lines, files, truncated)


async def load_diff(
    app: MaosApp, task_id: str | None, target: DiffTarget | None
) -> tuple[DiffModel, str]:
    """The task's change (or the target's), read into a DiffModel, and what it is named by
    (`TASK-007 title · branch → base`); a one-line DomainError when there is none to show
    (no branch yet, merged, git failed)."""
    from maos_tui.branch_review import in_thread

    if target is not None:
        model = await in_thread(lambda: read_diff(target.repo_root, target.base, target.branch))
        return model, f"{target.branch} → {target.base}"
    assert task_id is not None
    review = branches(app)
    task, branch = await review.task(task_id)
    if branch.merge_commit:
        await review.diff(task_id)  # raises, saying where its change went
    model = await in_thread(lambda: read_diff(review.repo.root, branch.base, branch.name))
    return model, f"{task.id} {task.title}  ·  {branch.name} → {branch.base}"


async def approve(app: MaosApp, task_id: str) -> Merged | None:
    return await branches(app).approve(task_id)


async def request_changes(app: MaosApp, task_id: str) -> TaskRecord:
    return await branches(app).request_changes(task_id)
