"""A `conflict` run: the moved base is merged into the task's branch inside its worktree,
git's conflict markers are left for the author agent, and the run's end-commit concludes the
merge. Markers still in a file afterwards are named, so the run can fail instead."""

from __future__ import annotations

from pathlib import Path

from maos_tui.worktrees import gitcmd
from maos_tui.worktrees.commit import identity_env
from maos_tui.worktrees.errors import DirtyCheckout, WorktreeError
from maos_tui.worktrees.porcelain import changed_paths

_MARKER = "leftover conflict marker"


def unmerged_files(worktree: Path) -> list[str]:
    done = gitcmd.git(worktree, "diff", "--name-only", "-z", "--diff-filter=U")
    return sorted(set(gitcmd.null_split(done.stdout)))


def merge_in_progress(worktree: Path) -> bool:
    return gitcmd.commit_sha(worktree, "MERGE_HEAD") is not None


def start_conflict_run(worktree: Path, base_branch: str) -> list[str]:
    """Merge `base_branch` into the branch checked out in `worktree`. Returns the conflicting
    files, their markers in place; [] when the base merged cleanly (committed already). A
    merge already under way (a retried conflict run) is left as it is."""
    if merge_in_progress(worktree):
        return unmerged_files(worktree)
    left = changed_paths(worktree)
    if left:
        raise DirtyCheckout(f"{worktree} has uncommitted changes: commit them first", left)
    done = gitcmd.git(
        worktree, "-c", "commit.gpgsign=false", "merge", "--no-ff", "--no-edit", "--no-verify",
        f"refs/heads/{base_branch}", env=identity_env(worktree), ok=(0, 1),
    )  # fmt: skip
    if done.returncode == 0:
        return []
    conflicts = unmerged_files(worktree)
    if not conflicts:  # failed for another reason: leave the worktree as it was
        gitcmd.git(worktree, "merge", "--abort", ok=(0, 128))
        reason = gitcmd.first_line(done.stderr) or gitcmd.first_line(done.stdout)
        raise WorktreeError(f"cannot merge {base_branch} into {worktree}: {reason}")
    return conflicts


def conflict_markers(worktree: Path) -> list[str]:
    """Files whose uncommitted content still holds `<<<<<<<`/`>>>>>>>` markers."""
    done = gitcmd.git(worktree, "diff", "--check", "HEAD", "--", ok=(0, 1, 2))
    files = {
        line.rsplit(":", 2)[0]
        for line in done.stdout.splitlines()
        if line.endswith(_MARKER) and line.count(":") >= 2
    }
    return sorted(files)
