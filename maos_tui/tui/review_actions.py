"""What the diff screen asks of the rest of maos-tui: the change of a task (or of an explicit
base and branch), and its approval or a request for changes, through the review layer the
CLI uses too (maos_tui/branch_review.py). Git runs in a worker thread, never on the loop."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from maos_tui.domain import TaskRecord
from maos_tui.tui.diff_model import DiffModel

if TYPE_CHECKING:
    from maos_tui.branch_review import Branches
    from maos_tui.tui.app import MaosApp
    from maos_tui.worktrees import DiffText, Merged


@dataclass(frozen=True)
class DiffTarget:
    """A change named directly: `base...branch` in the repository at `repo_root`."""

    repo_root: Path
    base: str
    branch: str


def branches(app: MaosApp) -> Branches:
    from maos_tui.branch_review import Branches

    return Branches(app.store, app.workspace.root, app.config.workspace_settings())


def _model(text: DiffText) -> DiffModel:
    return DiffModel(text.text.split("\n") if text.text else [], text.files, text.truncated)


async def load_diff(
    app: MaosApp, task_id: str | None, target: DiffTarget | None
) -> tuple[DiffModel, str]:
    """The task's change (or the target's), read into a DiffModel, and what it is named by
    (`TASK-007 title · branch → base`); a one-line DomainError when there is none to show
    (no branch yet, merged, git failed)."""
    from maos_tui.branch_review import in_thread
    from maos_tui.worktrees import diff_text

    if target is not None:
        model = await in_thread(
            lambda: _model(diff_text(target.repo_root, target.base, target.branch))
        )
        return model, f"{target.branch} → {target.base}"
    assert task_id is not None
    review = branches(app)
    (task, branch), text = await asyncio.gather(review.task(task_id), review.diff(task_id))
    model = await asyncio.to_thread(_model, text)
    return model, f"{task.id} {task.title}  ·  {branch.name} → {branch.base}"


async def approve(app: MaosApp, task_id: str) -> Merged | None:
    return await branches(app).approve(task_id)


async def request_changes(app: MaosApp, task_id: str) -> TaskRecord:
    return await branches(app).request_changes(task_id)
