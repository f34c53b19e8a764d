"""The rebase strategy: the branch's commits replayed on the base in a throw-away detached
worktree, so neither the task's worktree nor its branch changes if a commit conflicts."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from maos_tui.worktrees import gitcmd
from maos_tui.worktrees.commit import identity_env
from maos_tui.worktrees.create import Repo
from maos_tui.worktrees.errors import MergeConflict

REBASE_TIMEOUT = 600.0


def rebased_tip(repo: Repo, base_sha: str, branch_sha: str, branch: str) -> str:
    """The SHA of `branch`'s commits replayed onto `base_sha`; no ref is moved."""
    ancestor = gitcmd.git(repo.root, "merge-base", "--is-ancestor", base_sha, branch_sha, ok=(0, 1))
    if ancestor.returncode == 0:
        return branch_sha  # the base has not moved: the branch is already on top of it
    scratch = Path(tempfile.mkdtemp(prefix="maos-rebase-"))
    folder = scratch / "tree"
    try:
        gitcmd.git(
            repo.root, "worktree", "add", "--detach", "-q", "--", str(folder), branch_sha,
            timeout=gitcmd.CHECKOUT_TIMEOUT,
        )  # fmt: skip
        done = gitcmd.git(
            folder, "-c", "commit.gpgsign=false", "rebase", "-q", "--no-autostash", "--no-verify",
            base_sha,
            env=identity_env(folder), timeout=REBASE_TIMEOUT, ok=(0, 1),
        )  # fmt: skip
        if done.returncode:
            conflicts = gitcmd.git(folder, "diff", "--name-only", "-z", "--diff-filter=U")
            raise MergeConflict(
                f"a commit of {branch} does not replay cleanly onto the base",
                gitcmd.null_split(conflicts.stdout),
            )
        return gitcmd.out(folder, "rev-parse", "HEAD")
    finally:
        gitcmd.git(
            repo.root, "worktree", "remove", "--force", "--force", str(folder), ok=(0, 128),
            timeout=gitcmd.CHECKOUT_TIMEOUT,
        )  # fmt: skip
        shutil.rmtree(scratch, ignore_errors=True)
        gitcmd.git(repo.root, "worktree", "prune")
