"""Parsing git's porcelain outputs: `worktree list --porcelain -z` and `status --porcelain=v2`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from maos_tui.worktrees import gitcmd


@dataclass(frozen=True)
class WorktreeEntry:
    path: Path
    head: str | None
    branch: str | None  # short name; None when detached or bare
    bare: bool = False
    prunable: bool = False  # git knows it, its folder is gone
    locked: bool = False


def worktree_entries(cwd: Path) -> list[WorktreeEntry]:
    """Every worktree of the repository `cwd` is in, the main checkout first."""
    text = gitcmd.git(cwd, "worktree", "list", "--porcelain", "-z").stdout
    entries: list[WorktreeEntry] = []
    fields: dict[str, str] = {}
    for item in [*text.split("\0"), ""]:
        if item:
            key, _, value = item.partition(" ")
            fields[key] = value
            continue
        if "worktree" in fields:
            branch = fields.get("branch")
            entries.append(
                WorktreeEntry(
                    path=Path(fields["worktree"]),
                    head=fields.get("HEAD"),
                    branch=branch.removeprefix("refs/heads/") if branch else None,
                    bare="bare" in fields,
                    prunable="prunable" in fields,
                    locked="locked" in fields,
                )
            )
        fields = {}
    return entries


def changed_paths(worktree: Path, *, untracked: bool = True) -> list[str]:
    """Files with uncommitted changes (staged, unstaged, untracked, conflicted), both sides of
    a rename. Ignored files are not changes."""
    text = gitcmd.git(
        worktree,
        "status",
        "--porcelain=v2",
        "-z",
        f"--untracked-files={'all' if untracked else 'no'}",
        "--ignore-submodules=none",
    ).stdout
    paths: list[str] = []
    items = iter(text.split("\0"))
    # Fields before the path: `1 XY sub mH mI mW hH hI path`, `u` has 10, `?` has 1; a
    # rename (`2`) has 9 and its original path follows as the next item.
    fields = {"1": 8, "2": 9, "u": 10, "?": 1}
    for item in items:
        if not item or item[0] not in fields:
            continue
        paths.append(item.split(" ", fields[item[0]])[-1])
        if item[0] == "2":
            paths.append(next(items))
    return paths
