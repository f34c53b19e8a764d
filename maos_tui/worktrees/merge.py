"""Merging a task's branch into its base without ever touching the user's uncommitted work.

The merge is computed in git's object store (`merge-tree --write-tree`, `commit-tree`) and
only then published: by `update-ref` with the old value as a guard when no checkout has the
base, or by a fast-forward in the checkout that has it (git itself then refuses to overwrite
a local change). A conflict or a dirty file stops it before anything has changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from maos_tui.worktrees import gitcmd
from maos_tui.worktrees.commit import agent_identity, commit_message, identity_env
from maos_tui.worktrees.create import Repo, branch_sha
from maos_tui.worktrees.errors import DirtyCheckout, MergeConflict, WorktreeError
from maos_tui.worktrees.lock import repository_lock
from maos_tui.worktrees.porcelain import WorktreeEntry, changed_paths, worktree_entries
from maos_tui.worktrees.rebase import rebased_tip
from maos_tui.worktrees.removal import delete_branch, remove_task_worktree


class Strategy(StrEnum):
    SQUASH = "squash"
    MERGE = "merge"
    REBASE = "rebase"


@dataclass(frozen=True)
class Message:
    text: str
    agent: str | None  # the squash or merge commit's author; None: the user


@dataclass(frozen=True)
class MergeCheck:
    """What merging `branch` into `base` would do, computed without changing anything."""

    base_sha: str
    branch_sha: str
    tree: str  # the merged tree (meaningless when there are conflicts)
    conflicts: list[str]
    touched: list[str]  # files the merge changes in the base

    @property
    def clean(self) -> bool:
        return not self.conflicts


@dataclass(frozen=True)
class Merged:
    commit: str  # the base branch's new tip: the squash, merge or last rebased commit
    strategy: Strategy
    base_branch: str
    files: list[str] = field(default_factory=list)
    removed_worktree: Path | None = None
    deleted_branch: str | None = None
    cleanup_error: str | None = None  # the merge stands; the worktree or branch is left

    def as_json(self) -> dict[str, object]:
        return {
            "commit": self.commit,
            "strategy": str(self.strategy),
            "base_branch": self.base_branch,
            "files": self.files,
            "removed_worktree": self.removed_worktree and str(self.removed_worktree),
            "deleted_branch": self.deleted_branch,
            "cleanup_error": self.cleanup_error,
        }


def check_merge(repo: Repo, branch: str, base_branch: str) -> MergeCheck:
    """The conflicts and the touched files of a merge, with nothing written but objects."""
    base_sha = _tip(repo, base_branch, "base branch")
    tip = _tip(repo, branch, "branch")
    done = gitcmd.git(
        repo.root, "merge-tree", "--write-tree", "--name-only", "-z", "--no-messages",
        base_sha, tip, ok=(0, 1),
    )  # fmt: skip
    tree, *conflicted = gitcmd.null_split(done.stdout)
    if done.returncode:
        return MergeCheck(base_sha, tip, tree, sorted(set(conflicted)), [])
    touched = gitcmd.git(repo.root, "diff", "--name-only", "-z", "--no-renames", base_sha, tree)
    return MergeCheck(base_sha, tip, tree, [], gitcmd.null_split(touched.stdout))


def merge_task(
    repo: Repo,
    task_id: str,
    title: str,
    branch: str,
    base_branch: str,
    *,
    strategy: Strategy | str = Strategy.SQUASH,
    body: str = "",
    agent: str | None = None,
    cleanup: bool = True,
    worktree_root: str | Path | None = None,
) -> Merged:
    """Merge the task's branch into `base_branch`; then remove its worktree and delete the
    branch (unless `cleanup` is False). A squash or merge commit has `TASK-007: <title>` and
    `body` as message, and `agent` (when given) as author. Raises DirtyCheckout or
    MergeConflict, naming the files, with nothing changed."""
    message = Message(commit_message(task_id, title, body), agent)
    with repository_lock(repo.common_dir):
        return _merge(repo, task_id, message, branch, base_branch, _strategy(strategy),
                      cleanup, worktree_root)  # fmt: skip


def _merge(
    repo: Repo,
    task_id: str,
    message: Message,
    branch: str,
    base_branch: str,
    strategy: Strategy,
    cleanup: bool,
    worktree_root: str | Path | None,
) -> Merged:
    worktrees = worktree_entries(repo.root)
    task_tree = _checkout_of(worktrees, branch)
    if task_tree is not None and (left := changed_paths(task_tree.path)):
        raise DirtyCheckout(f"{task_tree.path} has uncommitted changes: commit them first", left)
    check = check_merge(repo, branch, base_branch)
    if not check.clean:
        raise MergeConflict(
            f"{branch} no longer merges cleanly into {base_branch}", check.conflicts
        )
    base_checkout = _checkout_of(worktrees, base_branch)
    if base_checkout is not None:
        dirty = sorted(set(changed_paths(base_checkout.path)) & set(check.touched))
        if dirty:
            raise DirtyCheckout(
                f"the merge would change files modified in {base_checkout.path}; commit or "
                "stash them, then merge again",
                dirty,
            )
    new_tip = _new_tip(repo, check, strategy, message, branch)
    if new_tip != check.base_sha:
        _publish(repo, base_branch, base_checkout, check.base_sha, new_tip, task_id)
    merged = Merged(new_tip, strategy, base_branch, check.touched)
    if not cleanup:
        return merged
    removed = deleted = problem = None
    try:
        if task_tree is not None and task_tree.path != worktrees[0].path:
            removed = remove_task_worktree(repo, task_tree, worktree_root=worktree_root)
        deleted = branch if delete_branch(repo, branch, check.branch_sha) else None
    except WorktreeError as exc:
        problem = str(exc)
    return Merged(new_tip, strategy, base_branch, check.touched, removed, deleted, problem)


def _strategy(value: Strategy | str) -> Strategy:
    try:
        return Strategy(value)
    except ValueError:
        choices = ", ".join(s.value for s in Strategy)
        raise WorktreeError(f"merge strategy must be one of {choices}, not {value!r}") from None


def _tip(repo: Repo, branch: str, what: str) -> str:
    sha = branch_sha(repo, branch)
    if sha is None:
        raise WorktreeError(f"{what} {branch!r} does not exist in {repo.root}")
    return sha


def _checkout_of(worktrees: list[WorktreeEntry], branch: str) -> WorktreeEntry | None:
    return next((w for w in worktrees if w.branch == branch and not w.prunable), None)


def _new_tip(
    repo: Repo, check: MergeCheck, strategy: Strategy, message: Message, branch: str
) -> str:
    if not check.touched:
        return check.base_sha  # the branch adds nothing the base lacks
    if strategy is Strategy.REBASE:
        return rebased_tip(repo, check.base_sha, check.branch_sha, branch)
    parents = ["-p", check.base_sha]
    text = message.text
    if strategy is Strategy.MERGE:
        parents += ["-p", check.branch_sha]
        text = f"{text.rstrip()}\n\nMerge branch '{branch}'\n"
    env = identity_env(repo.root)
    if message.agent is not None:
        env["GIT_AUTHOR_NAME"], env["GIT_AUTHOR_EMAIL"] = agent_identity(message.agent)
    done = gitcmd.git(
        repo.root, "commit-tree", check.tree, *parents, "-F", "-", input=text, env=env
    )
    return done.stdout.strip()


def _publish(
    repo: Repo,
    base_branch: str,
    checkout: WorktreeEntry | None,
    old: str,
    new: str,
    task_id: str,
) -> None:
    reason = f"maos-tui: merge {task_id}"
    try:
        if checkout is None:
            # Refused by git if the branch moved since `old` was read: nothing is lost then.
            ref = f"refs/heads/{base_branch}"
            gitcmd.git(repo.root, "update-ref", "-m", reason, ref, new, old)
            return
        # The new tip descends from the checked-out one: a fast-forward that carries the
        # user's unrelated local changes along and refuses, changing nothing, if it would
        # overwrite one.
        gitcmd.git(
            checkout.path, "merge", "--ff-only", "--quiet", "--no-stat", new,
            env={"GIT_REFLOG_ACTION": reason}, timeout=gitcmd.CHECKOUT_TIMEOUT,
        )  # fmt: skip
    except WorktreeError as exc:
        raise WorktreeError(
            f"{base_branch} changed during the merge, so nothing was merged ({exc}); merge again"
        ) from exc
