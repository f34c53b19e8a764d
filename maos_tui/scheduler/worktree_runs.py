"""Runs in a task's own git worktree (`[workspace] isolation = "worktree"`): before a run
the worktree is made (once, then reused by retries, reviews, replies and conflict runs) and
prepared; the agent works in it; after every run whatever it left is committed on the
task's branch, and the branch's change decides between review and done.

Git is blocking: each step runs in a thread. State goes through store.branches.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from maos_tui.agents.base import Job, Outcome, RunHooks, RunResult
from maos_tui.branch_review import Branches, review_comments
from maos_tui.domain import DomainError, TaskStatus
from maos_tui.worktrees import (
    Base,
    Merged,
    Repo,
    Worktree,
    WorktreeError,
    commit_all,
    conflict_markers,
    diff_stat,
    diff_text,
    ensure_worktree,
    find_repo,
    isolation_mode,
    prepare_worktree,
    resolve_base,
    start_conflict_run,
)
from maos_tui.worktrees.prepare import SetupFailed

if TYPE_CHECKING:
    from maos_tui.config_schema import WorkspaceSettings
    from maos_tui.scheduler.active import ActiveRun
    from maos_tui.scheduler.core import Scheduler
    from maos_tui.store import Tx

log = logging.getLogger(__name__)

# What a reviewer's context holds of the diff at most; the rest is named by a note.
REVIEW_DIFF_CAP = 64 * 1024
_SETUP_LOG_TAIL = 8 * 1024


@dataclass
class RunTree:
    """The worktree one run works in, and what its end found there."""

    repo: Repo
    worktree: Worktree
    conflict_run: bool = False
    has_changes: bool | None = None  # after the run: the branch differs from its base
    merged: Merged | None = None  # a reviewer's approval landed by auto_merge


class RunRefused(Exception):
    """The run cannot start in its worktree; the message fails the run."""


def settings_of(s: Scheduler) -> WorkspaceSettings:
    return s.config.workspace_settings()


def mode_for(s: Scheduler, agent: str) -> str:
    """`[workspace] isolation`, or the agent's own `isolation` in its config table."""
    override = next(
        (
            a.get("isolation")
            for a in s.config.agents
            if a.get("name") == agent and "isolation" in a
        ),
        None,
    )
    return _mode(s.workspace.root, override or settings_of(s).isolation)


@functools.lru_cache(maxsize=64)
def _mode(root: Path, configured: str | None) -> str:
    # Asked before every run: one `git rev-parse` per workspace and setting, not per run.
    return isolation_mode(root, configured)


async def enter(s: Scheduler, active: ActiveRun, job: Job, hooks: RunHooks) -> Job:
    """The job as it runs in the task's worktree (unchanged without isolation). Raises
    RunRefused when the worktree cannot be made or prepared."""
    task = job.task
    try:
        # In the loop, not a thread: after its first answer the mode is cached, and runs
        # that start together must stay together (their ends are recorded in one batch).
        if mode_for(s, job.agent.name) != "worktree":
            return job
        if job.kind == "reply" and task.branch is None:
            return job  # a reply only talks: no worktree is made for it
        tree = await asyncio.to_thread(_ensure, s, job)
        if task.branch is None or task.branch.worktree != str(tree.worktree.path):
            await _prepare(s, tree, hooks)
            wt = tree.worktree
            await s.store.branches.created(
                task.id, branch=wt.branch, base_branch=wt.base.branch, base_sha=wt.base.sha,
                path=str(wt.path), actor=job.agent.name,
            )  # fmt: skip
        context = await _context(s, job, tree)
    except (WorktreeError, DomainError) as exc:
        raise RunRefused(str(exc)) from None
    active.tree = tree
    env = {**job.extra_env, **tree.worktree.agent_env()}
    cwd = tree.worktree.workdir(tree.repo, s.workspace.root)
    return replace(job, cwd=cwd, extra_env=env, context=context)


def _ensure(s: Scheduler, job: Job) -> RunTree:
    repo = find_repo(s.workspace.root)
    recorded = job.task.branch
    settings = settings_of(s)
    if recorded is not None and recorded.merge_commit is None:
        base = Base(recorded.base, recorded.base_sha)
        name: str | None = recorded.name
    else:
        base, name = resolve_base(repo, settings.base_branch), None
    worktree = ensure_worktree(
        repo, job.task.id, job.task.title, base=base, branch=name,
        worktree_root=settings.worktree_root,
    )  # fmt: skip
    return RunTree(repo, worktree)


async def _prepare(s: Scheduler, tree: RunTree, hooks: RunHooks) -> None:
    settings = settings_of(s)
    try:
        prepared = await asyncio.to_thread(
            prepare_worktree, tree.repo, tree.worktree, copy=settings.copy, setup=settings.setup
        )
    except SetupFailed as exc:
        await hooks.output(f"[setup] {exc.output[-_SETUP_LOG_TAIL:]}\n")
        raise
    if prepared.setup is not None and prepared.setup.output:
        await hooks.output(f"[setup] {prepared.setup.output[-_SETUP_LOG_TAIL:]}\n")


async def _context(s: Scheduler, job: Job, tree: RunTree) -> dict[str, Any]:
    wt = tree.worktree
    context = dict(job.context)
    context["worktree"] = {
        "path": str(wt.path),
        "branch": wt.branch,
        "base": wt.base.branch,
        "note": (
            f"You work in your own git worktree at {wt.path}, on branch {wt.branch} cut from "
            f"{wt.base.branch}. Change files only there; what you leave is committed for you."
        ),
    }
    branch = job.task.branch
    if job.kind == "work" and branch is not None and branch.conflict:
        files = await asyncio.to_thread(start_conflict_run, wt.path, wt.base.branch)
        await s.store.branches.conflict(job.task.id, files, actor=job.agent.name)
        if files:
            tree.conflict_run = True
            context["conflict"] = {
                "files": files,
                "note": (
                    f"{wt.base.branch} was merged into your branch and these files conflict: "
                    "resolve every <<<<<<< ======= >>>>>>> block, keeping both sides' intent."
                ),
            }
    if job.kind == "review":
        diff = await asyncio.to_thread(
            diff_text, tree.repo.root, wt.base.branch, wt.branch, cap=REVIEW_DIFF_CAP
        )
        note = (
            f"diff truncated at {REVIEW_DIFF_CAP} bytes: read the files" if diff.truncated else ""
        )
        context["diff"] = diff.text
        context["diff_files"] = [f.as_json() for f in diff.files]
        if note:
            context["diff_note"] = note
    if job.kind == "work" and job.task.review_rounds:
        comments = await review_comments(s.store, job.task.id)
        context["review_feedback"] = [_comment(c) for c in comments]
    return context


def _comment(comment: Any) -> dict[str, Any]:
    return {k: getattr(comment, k, None) for k in ("file", "line", "text", "author")}


async def leave(
    s: Scheduler, active: ActiveRun, job: Job, result: RunResult | None
) -> RunResult | None:
    """Commit what the run left on its branch (also when it was stopped) and note whether
    the branch now holds a change. A conflict run that left markers fails."""
    tree = active.tree
    if tree is None:
        return result
    task = job.task
    path = tree.worktree.path
    try:
        if tree.conflict_run:
            markers = await asyncio.to_thread(conflict_markers, path)
            if markers:
                listed = ", ".join(markers)
                return RunResult.failed(f"conflict markers are left in {listed}")
        summary = result.text if result is not None else "stopped before it finished"
        done = await asyncio.to_thread(
            commit_all, path, task.id, task.title, agent=job.agent.name, summary=summary
        )
        stats = await asyncio.to_thread(
            diff_stat, tree.repo.root, tree.worktree.base.branch, tree.worktree.branch
        )
        tree.has_changes = bool(stats)
        await s.store.branches.committed(
            task.id, changed=done.changed, commit=done.sha, has_changes=tree.has_changes,
            actor=job.agent.name,
        )  # fmt: skip
        if tree.conflict_run:
            await s.store.branches.conflict(task.id, [], actor=job.agent.name)
        await auto_merge(s, active, job, result)
    except (WorktreeError, DomainError) as exc:
        # The work stays in the worktree, which the next run reuses.
        log.warning("could not commit the work of run %s: %s", active.run_id, exc)
        return None if result is None else RunResult.failed(f"could not commit its work: {exc}")
    return result


def finished_status(active: ActiveRun, reviewers: set[str]) -> TaskStatus:
    """Where a finished work run's task goes: with isolation, a branch holding a change is
    reviewed (by an agent, else by the person) and an unchanged one is done."""
    tree = active.tree
    if tree is None or tree.has_changes is None:
        return TaskStatus.REVIEW if reviewers - {active.agent} else TaskStatus.DONE
    return TaskStatus.REVIEW if tree.has_changes else TaskStatus.DONE


async def auto_merge(s: Scheduler, active: ActiveRun, job: Job, result: RunResult | None) -> None:
    """A reviewer agent approved, with `[workspace] auto_merge`: the branch is merged now when
    clean (the run's end records it), else the conflict is on the task and it waits."""
    tree = active.tree
    if tree is None or active.kind != "review" or result is None:
        return
    if result.outcome is not Outcome.DONE or not settings_of(s).auto_merge:
        return
    branches = Branches(s.store, s.workspace.root, settings_of(s))
    task = job.task
    if task.branch is None:
        return
    try:
        tree.merged = await branches.land(task, task.branch, strategy=None, actor=active.agent)
    except DomainError as exc:
        log.info("auto_merge of %s did not happen: %s", task.id, exc)


async def record_in(s: Scheduler, tx: Tx, active: ActiveRun) -> None:
    """A reviewer agent's approval, on the task in the run's end transaction; merged too
    when auto_merge landed it."""
    tree = active.tree
    assert tree is not None
    await s.store.branches.approved_in(tx, active.task_id, actor=active.agent)
    if tree.merged is not None:
        await s.store.branches.merged_in(
            tx, active.task_id, commit=tree.merged.commit, strategy=str(tree.merged.strategy),
            into=tree.merged.base_branch, actor=active.agent,
        )  # fmt: skip
