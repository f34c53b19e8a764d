"""A task's branch and worktree folder, from its ID and a title nobody checked."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from maos_tui.domain import DomainError, parse_task_id
from maos_tui.worktrees.errors import WorktreeError

BRANCH_PREFIX = "maos/"
DEFAULT_WORKTREE_ROOT = Path(".maos") / "worktrees"
SLUG_MAX = 40

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(title: str, limit: int = SLUG_MAX) -> str:
    """`Fix the ..lock~^ bug` -> `fix-the-lock-bug`: lowercase ASCII letters, digits and single
    inner dashes only, so no rule of git-check-ref-format can be broken by it."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")
    if len(slug) > limit:
        cut = slug[:limit]
        # Cut at a word boundary when there is one in the second half.
        slug = cut.rsplit("-", 1)[0] if cut.rfind("-") > limit // 2 else cut
    return slug.strip("-") or "task"


def canonical_task_id(task_id: str) -> str:
    try:
        return parse_task_id(task_id)
    except DomainError as exc:
        raise WorktreeError(str(exc)) from exc


def branch_name(task_id: str, title: str) -> str:
    """`maos/TASK-007-<slug>`; a valid branch name whatever the title holds."""
    return f"{BRANCH_PREFIX}{canonical_task_id(task_id)}-{slugify(title)}"


def task_of_branch(branch: str) -> str | None:
    """The task ID a `maos/TASK-007-...` branch belongs to, None for any other branch."""
    match = re.fullmatch(r"maos/(TASK-\d+)(?:-.*)?", branch.removeprefix("refs/heads/"))
    return canonical_task_id(match.group(1)) if match else None


def worktree_root(repo_root: Path, configured: str | Path | None = None) -> Path:
    """`.maos/worktrees` in the repository, or `[workspace] worktree_root` (relative to it)."""
    root = Path(configured).expanduser() if configured else DEFAULT_WORKTREE_ROOT
    return (repo_root / root).resolve() if not root.is_absolute() else root.resolve()


def worktree_path(repo_root: Path, task_id: str, configured: str | Path | None = None) -> Path:
    return worktree_root(repo_root, configured) / canonical_task_id(task_id)
