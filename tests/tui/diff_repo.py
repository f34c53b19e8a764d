"""A workspace that is a real git repository, with a task in review whose branch (in its own
worktree) changes a file, adds one and deletes one: what the diff screen's tests and its
snapshot look at."""

from __future__ import annotations

import subprocess
from pathlib import Path

from maos_tui.domain import TaskStatus
from maos_tui.store import Store
from maos_tui.store.worktree_state import TaskBranchService
from maos_tui.worktrees import ensure_worktree, find_repo

APP_PY = "".join(f"def step_{i}():\n    return {i}\n\n" for i in range(1, 41))


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout.strip()


def make_repo(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Ada")
    git(root, "config", "user.email", "ada@example.com")
    (root / ".gitignore").write_text(".maos/\n")
    (root / "src").mkdir()
    (root / "src" / "app.py").write_text(APP_PY)
    (root / "OLD.txt").write_text("to be removed\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "first")


def change_in(worktree: Path) -> None:
    app = worktree / "src" / "app.py"
    text = app.read_text().replace("    return 3\n", "    return 3 * 10  # scaled\n")
    text = text.replace("def step_30():\n", "def step_30():\n    print('step 30')\n")
    app.write_text(text)
    (worktree / "docs").mkdir()
    (worktree / "docs" / "notes.md").write_text("# Notes\n\nThe steps are *scaled*.\n")
    (worktree / "OLD.txt").unlink()
    git(worktree, "add", "-A")
    git(worktree, "commit", "-q", "-m", "TASK-001: scale the steps")


async def task_in_review(store: Store, root: Path, title: str = "Scale the steps") -> str:
    """A task whose branch holds the change above, recorded as wtint's scheduler records it,
    and moved to review."""
    make_repo(root)
    task = await store.tasks.create(title)
    tree = ensure_worktree(find_repo(root), task.id, task.title)
    change_in(tree.path)
    branches = TaskBranchService(store)
    await branches.created(
        task.id,
        branch=tree.branch,
        base_branch=tree.base.branch,
        base_sha=tree.base.sha,
        path=str(tree.path),
        actor="coder",
    )
    await branches.committed(task.id, changed=True, commit=None, has_changes=True, actor="coder")
    await store.tasks.move(task.id, TaskStatus.REVIEW)
    return task.id
