"""A task's own git branch and worktree as the store records them (issue #16): where the
branch was cut from, the folder it is checked out in, what its last run left on it, the
files it conflicts in, who approved it and the commit it was merged as.

Pure data, like domain.py: the store builds it, the scheduler, the CLI and the TUI read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ChangeState(StrEnum):
    """What the branch holds against its base after the task's last run."""

    CHANGES = "changes"
    NO_CHANGES = "no changes"


# Conflicting files are stored one per line: a path may hold commas or spaces, not a newline
# (git quotes those).
CONFLICT_SEPARATOR = "\n"


@dataclass(frozen=True, slots=True)
class TaskBranch:
    name: str
    base: str
    base_sha: str
    worktree: str | None  # None once the worktree is removed (merged, pruned)
    change: ChangeState | None = None  # None until a run has ended on it
    conflict: tuple[str, ...] = ()
    approved_by: str | None = None
    merge_commit: str | None = None

    @property
    def card_note(self) -> str | None:
        """The short line a card shows: conflicts first, then an unchanged branch."""
        if self.conflict:
            return "conflict: " + ", ".join(self.conflict)
        if self.merge_commit:
            return f"merged {self.merge_commit[:12]}"
        if self.change is ChangeState.NO_CHANGES:
            return "no changes"
        return None

    def to_json(self) -> dict[str, object]:
        return {
            "branch": self.name,
            "base": self.base,
            "base_sha": self.base_sha,
            "worktree": self.worktree,
            "change": self.change.value if self.change else None,
            "conflict": list(self.conflict),
            "approved_by": self.approved_by,
            "merge_commit": self.merge_commit,
        }


def conflict_text(files: tuple[str, ...] | list[str]) -> str | None:
    return CONFLICT_SEPARATOR.join(files) if files else None


def task_branch_of(
    branch: str | None,
    base_branch: str | None,
    base_sha: str | None,
    worktree_path: str | None,
    change: str | None,
    conflict_files: str | None,
    approved_by: str | None,
    merge_commit: str | None,
) -> TaskBranch | None:
    """The record from a task row's columns; None for a task that never had a branch."""
    if branch is None:
        return None
    return TaskBranch(
        name=branch,
        base=base_branch or "",
        base_sha=base_sha or "",
        worktree=worktree_path,
        change=ChangeState(change) if change else None,
        conflict=tuple(conflict_files.split(CONFLICT_SEPARATOR)) if conflict_files else (),
        approved_by=approved_by,
        merge_commit=merge_commit,
    )
