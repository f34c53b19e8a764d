"""Before a worktree's first run: copy the git-ignored files it needs (`.env`, local config),
initialise submodules, and run the configured setup command."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from maos_tui.worktrees import gitcmd
from maos_tui.worktrees.confine import confined
from maos_tui.worktrees.create import Repo, Worktree
from maos_tui.worktrees.errors import WorktreeError
from maos_tui.worktrees.porcelain import worktree_entries
from maos_tui.worktrees.process import Ran, run_capped

SETUP_TIMEOUT = 900.0
SUBMODULE_TIMEOUT = 600.0
SETUP_OUTPUT_CAP = 256 * 1024


class SetupFailed(WorktreeError):
    """The setup command failed; `output` holds what it printed (capped), for the run log."""

    def __init__(self, ran: Ran) -> None:
        self.ran = ran
        self.output = ran.output
        last = ran.tail(1) or "no output"
        super().__init__(f"setup {' '.join(ran.argv)} failed ({ran.status()}): {last}")


@dataclass(frozen=True)
class Prepared:
    copied: list[str] = field(default_factory=list)  # repository-relative paths
    submodules: bool = False
    setup: Ran | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "copied": self.copied,
            "submodules": self.submodules,
            "setup": None if self.setup is None else self.setup.status(),
        }


def prepare_worktree(
    repo: Repo,
    worktree: Worktree,
    *,
    copy: Sequence[str] = (),
    setup: Sequence[str] | None = None,
    setup_timeout: float = SETUP_TIMEOUT,
    env: Mapping[str, str] | None = None,
) -> Prepared:
    """Ready `worktree` for its first run. Raises SetupFailed (with the output) when setup fails."""
    copied = copy_ignored_files(repo, worktree.path, copy)
    submodules = init_submodules(worktree.path)
    ran = None
    if setup:
        ran = run_setup(worktree, setup, timeout=setup_timeout, env=env)
    return Prepared(copied, submodules, ran)


def copy_ignored_files(repo: Repo, worktree: Path, patterns: Sequence[str]) -> list[str]:
    """Copy the main checkout's git-ignored files that match `patterns` (globs, `**` crosses
    folders) into the worktree. Tracked files are never copied, nor anything that resolves
    outside the repository, nor a file the worktree already has."""
    if not patterns:
        return []
    pathspecs = [f":(glob){_checked_pattern(p)}" for p in patterns]
    listed = gitcmd.git(
        repo.root, "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--", *pathspecs
    ).stdout
    root = repo.root.resolve()
    # Other worktrees may lie inside the repository, ignored: never copy from them.
    others = [e.path.resolve() for e in worktree_entries(repo.root)[1:]]
    copied = []
    for rel in gitcmd.null_split(listed):
        source = (repo.root / rel).resolve()
        inside = source.is_relative_to(root) and not any(source.is_relative_to(o) for o in others)
        if not inside or not source.is_file():
            continue
        target = confined(worktree, rel)  # never through a symlink the branch holds
        if target.exists() or (worktree / rel).is_symlink():
            continue
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        except OSError as exc:
            reason = exc.strerror or exc
            raise WorktreeError(f"cannot copy {rel} into {worktree}: {reason}") from exc
        copied.append(rel)
    return copied


def _checked_pattern(pattern: str) -> str:
    path = PurePosixPath(pattern)
    if not pattern or path.is_absolute() or ".." in path.parts or pattern.startswith(":"):
        raise WorktreeError(
            f"[workspace] copy pattern {pattern!r} must be a glob relative to the repository"
        )
    return pattern


def init_submodules(worktree: Path) -> bool:
    """`git submodule update --init --recursive` when the worktree has a .gitmodules."""
    if not (worktree / ".gitmodules").is_file():
        return False
    gitcmd.git(worktree, "submodule", "update", "--init", "--recursive", timeout=SUBMODULE_TIMEOUT)
    return True


def run_setup(
    worktree: Worktree,
    argv: Sequence[str],
    *,
    timeout: float = SETUP_TIMEOUT,
    env: Mapping[str, str] | None = None,
) -> Ran:
    """Run `[workspace] setup` in the worktree, with the agents' MAOS_* variables."""
    full_env = {**(env if env is not None else os.environ), **worktree.agent_env()}
    ran = run_capped(argv, worktree.path, timeout=timeout, cap=SETUP_OUTPUT_CAP, env=full_env)
    if not ran.ok:
        raise SetupFailed(ran)
    return ran
