"""Finding the repository and the base, and creating (or reusing) a task's worktree."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from maos_tui.worktrees import gitcmd
from maos_tui.worktrees.errors import IsolationUnavailable, WorktreeError
from maos_tui.worktrees.lock import repository_lock
from maos_tui.worktrees.names import branch_name, canonical_task_id, worktree_path
from maos_tui.worktrees.porcelain import WorktreeEntry, worktree_entries

STALE_LOCK_SECONDS = 120.0


@dataclass(frozen=True)
class Repo:
    """A repository with at least one commit, found from any folder inside it."""

    root: Path  # the main checkout (never a linked worktree)
    common_dir: Path  # the shared .git folder


@dataclass(frozen=True)
class Base:
    branch: str
    sha: str


@dataclass(frozen=True)
class Worktree:
    task_id: str
    path: Path
    branch: str
    base: Base
    created: bool  # False when an existing worktree was reused

    def agent_env(self) -> dict[str, str]:
        """What a command agent is told about where it works."""
        return {
            "MAOS_WORKTREE": str(self.path),
            "MAOS_BRANCH": self.branch,
            "MAOS_BASE": self.base.branch,
        }

    def workdir(self, repo: Repo, workspace: Path) -> Path:
        """Where an agent works: the workspace's place in this worktree, so a workspace in a
        subfolder of the repository is the same subfolder here."""
        real = workspace.resolve()
        root = repo.root.resolve()
        return self.path / real.relative_to(root) if real.is_relative_to(root) else self.path

    def as_json(self) -> dict[str, object]:
        return {
            "task": self.task_id,
            "path": str(self.path),
            "branch": self.branch,
            "base_branch": self.base.branch,
            "base_sha": self.base.sha,
            "created": self.created,
        }


def find_repo(folder: Path) -> Repo:
    """The repository `folder` is in; IsolationUnavailable when there is none with a commit."""
    done = gitcmd.git(
        folder, "rev-parse", "--path-format=absolute", "--git-common-dir", ok=(0, 128)
    )
    if done.returncode:
        raise IsolationUnavailable(f"{folder} is not inside a git repository")
    common_dir = Path(done.stdout.strip())
    main = worktree_entries(folder)[0]
    if main.bare:
        raise IsolationUnavailable(f"{main.path} is a bare repository: it has no checkout")
    repo = Repo(main.path, common_dir)
    if gitcmd.commit_sha(repo.root, "HEAD") is None:
        raise IsolationUnavailable(
            f"the repository at {repo.root} has no commit yet: make one to work in worktrees"
        )
    return repo


def isolation_available(folder: Path) -> bool:
    """The default of `[workspace] isolation`: worktrees when in a repository with a commit."""
    try:
        find_repo(folder)
    except WorktreeError:
        return False
    return True


def isolation_mode(folder: Path, configured: str | None = None) -> str:
    """`[workspace] isolation` (or an agent's override) made concrete: "worktree" or "none".
    Unset means worktrees when possible; asking for them where impossible raises
    IsolationUnavailable, saying why."""
    if configured == "none":
        return "none"
    if configured == "worktree":
        find_repo(folder)
        return "worktree"
    if configured is None:
        return "worktree" if isolation_available(folder) else "none"
    raise WorktreeError(f"isolation must be worktree or none, not {configured!r}")


def branch_sha(repo: Repo, branch: str) -> str | None:
    return gitcmd.commit_sha(repo.root, f"refs/heads/{branch}")


def resolve_base(repo: Repo, base_branch: str | None = None) -> Base:
    """`[workspace] base_branch`, else the branch checked out in the main checkout, with its SHA."""
    if not base_branch:
        done = gitcmd.git(repo.root, "symbolic-ref", "-q", "--short", "HEAD", ok=(0, 1))
        base_branch = done.stdout.strip()
        if not base_branch:
            raise WorktreeError(
                f"the main checkout {repo.root} is on a detached HEAD: check out a branch "
                "or set [workspace] base_branch"
            )
    sha = branch_sha(repo, base_branch)
    if sha is None:
        raise WorktreeError(f"base branch {base_branch!r} does not exist in {repo.root}")
    return Base(base_branch, sha)


def ensure_worktree(
    repo: Repo,
    task_id: str,
    title: str,
    *,
    base: Base | None = None,
    branch: str | None = None,
    worktree_root: str | Path | None = None,
) -> Worktree:
    """The task's worktree, created on first use and reused after (retries, review rounds,
    conflict runs). Pass the `base` and `branch` recorded on the task when reusing, so a
    renamed task or a moved base keeps its worktree; a subtask, having its own ID, gets its own.
    """
    with repository_lock(repo.common_dir):
        return _ensure(repo, canonical_task_id(task_id), title, base, branch, worktree_root)


def _ensure(
    repo: Repo,
    task_id: str,
    title: str,
    base: Base | None,
    branch: str | None,
    worktree_root: str | Path | None,
) -> Worktree:
    path = worktree_path(repo.root, task_id, worktree_root)
    if path == repo.root or repo.root.is_relative_to(path):
        raise WorktreeError(f"worktree_root {path.parent} would hold the main checkout")
    branch = branch or branch_name(task_id, title)
    entries = {e.path: e for e in worktree_entries(repo.root)}
    existing = entries.get(path)
    if existing is not None and existing.prunable:
        # Its folder was deleted by hand; git still lists it. The branch holds the work.
        gitcmd.git(repo.root, "worktree", "prune")
        existing = None
    if existing is not None:
        return _reused(repo, task_id, existing, branch, base)
    if path.exists() or path.is_symlink():
        raise WorktreeError(f"{path} exists and is not a worktree of {repo.root}: move it away")
    _exclude_from_main_checkout(repo, path.parent)
    if branch_sha(repo, branch) is not None:
        gitcmd.git(
            repo.root, "worktree", "add", "--", str(path), branch, timeout=gitcmd.CHECKOUT_TIMEOUT
        )
        return Worktree(task_id, path, branch, base or _base_of(repo, branch), False)
    base = base or resolve_base(repo)
    gitcmd.git(
        repo.root, "worktree", "add", "--no-track", "-b", branch, "--", str(path), base.sha,
        timeout=gitcmd.CHECKOUT_TIMEOUT,
    )  # fmt: skip
    return Worktree(task_id, path, branch, base, True)


def _reused(
    repo: Repo, task_id: str, entry: WorktreeEntry, branch: str, base: Base | None
) -> Worktree:
    if entry.branch != branch:
        raise WorktreeError(
            f"{entry.path} has {entry.branch or 'a detached HEAD'} checked out, not {branch}: "
            "check the branch out there again"
        )
    _clear_stale_index_lock(entry.path)
    return Worktree(task_id, entry.path, branch, base or _base_of(repo, branch), False)


def _clear_stale_index_lock(worktree: Path) -> None:
    """An agent killed mid-commit (the scheduler was) leaves index.lock behind, and every git
    command in the worktree would fail on it. Only a lock older than any git command here
    takes is removed: the task's next run has not started, so nothing else holds it."""
    lock = Path(
        gitcmd.out(worktree, "rev-parse", "--path-format=absolute", "--git-path", "index.lock")
    )
    try:
        if time.time() - lock.stat().st_mtime > STALE_LOCK_SECONDS:
            lock.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise WorktreeError(f"cannot remove the stale {lock}: {exc.strerror or exc}") from exc


def _base_of(repo: Repo, branch: str) -> Base:
    """For a branch whose base was not recorded: the base now, from where the branch left it."""
    base = resolve_base(repo)
    fork = gitcmd.git(repo.root, "merge-base", base.sha, f"refs/heads/{branch}", ok=(0, 1))
    return Base(base.branch, fork.stdout.strip() or base.sha)


def _exclude_from_main_checkout(repo: Repo, root: Path) -> None:
    """A worktree root inside the main checkout is listed in .git/info/exclude, so `git add -A`
    there never records the worktrees as embedded repositories."""
    if not root.is_relative_to(repo.root):
        return
    line = "/" + root.relative_to(repo.root).as_posix() + "/"
    exclude = repo.common_dir / "info" / "exclude"
    try:
        text = exclude.read_text(encoding="utf-8", errors="replace") if exclude.exists() else ""
        if line in text.splitlines():
            return
        exclude.parent.mkdir(parents=True, exist_ok=True)
        with exclude.open("a", encoding="utf-8") as out:
            out.write(("" if text.endswith("\n") or not text else "\n") + line + "\n")
    except OSError as exc:
        raise WorktreeError(f"cannot update {exclude}: {exc.strerror or exc}") from exc
