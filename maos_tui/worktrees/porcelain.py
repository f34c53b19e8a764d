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
    items = text.split("\0")
    i = 0
    while i < len(items):
        item = items[i]
        i += 1
        if not item:
            continue
        kind = item[0]
        if kind in "?u" or kind == "1":
            fields = 1 if kind == "?" else (10 if kind == "u" else 8)
            paths.append(item.split(" ", fields)[-1])
        elif kind == "2":
            paths.append(item.split(" ", 9)[-1])
            paths.append(items[i])  # the rename's original path follows
            i += 1
    return paths
