"""A task's change for review: `git diff base...branch`, per-file counts and the text,
bounded so a huge change never fills memory."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from maos_tui.worktrees import gitcmd
from maos_tui.worktrees.errors import WorktreeError

DIFF_CAP = 4 * 1024 * 1024
# Plumbing-stable output whatever the user configured: no colour, no external diff driver.
_DIFF_OPTIONS = ("--no-color", "--no-ext-diff", "--find-renames")


@dataclass(frozen=True)
class FileStat:
    path: str
    added: int | None  # None for a binary file
    removed: int | None
    old_path: str | None = None  # set for a rename

    def as_json(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class DiffText:
    text: str
    truncated: bool  # the diff went on past the cap
    files: list[FileStat]

    def as_json(self) -> dict[str, object]:
        return {
            "files": [f.as_json() for f in self.files],
            "added": sum(f.added or 0 for f in self.files),
            "removed": sum(f.removed or 0 for f in self.files),
            "truncated": self.truncated,
            "diff": self.text,
        }


def _range(repo_root: Path, base: str, branch: str) -> str:
    for ref in (base, branch):
        if gitcmd.commit_sha(repo_root, ref) is None:
            raise WorktreeError(f"no branch or commit named {ref!r} in {repo_root}")
    return f"{base}...{branch}"


def diff_stat(repo_root: Path, base: str, branch: str) -> list[FileStat]:
    """`git diff --numstat base...branch`: what the branch changed since it left the base."""
    text = gitcmd.git(
        repo_root, "diff", "--numstat", "-z", *_DIFF_OPTIONS, _range(repo_root, base, branch), "--"
    ).stdout
    items = iter(text.split("\0"))
    stats = []
    for head in items:
        if not head:
            continue
        added, removed, path = head.split("\t", 2)
        old = None
        if not path:  # a rename: the old and new paths follow as their own items
            old, path = next(items), next(items)
        stats.append(FileStat(path, _count(added), _count(removed), old))
    return stats


def _count(text: str) -> int | None:
    return None if text == "-" else int(text)


def iter_diff(repo_root: Path, base: str, branch: str, *, cap: int = DIFF_CAP) -> Iterator[str]:
    """The unified diff's lines as git writes them, stopping (and stopping git) at `cap` bytes;
    a last line `[diff truncated ...]` says when it did."""
    argv = ["git", "diff", *_DIFF_OPTIONS, _range(repo_root, base, branch), "--"]
    child = subprocess.Popen(
        argv, cwd=repo_root, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL, env=gitcmd.git_env(),
    )  # fmt: skip
    assert child.stdout is not None
    sent = 0
    try:
        for raw in child.stdout:
            sent += len(raw)
            if sent > cap:
                yield f"[diff truncated at {cap} bytes: see `git diff {base}...{branch}`]"
                return
            yield raw.decode("utf-8", errors="replace").rstrip("\n")
    finally:
        child.kill()
        child.stdout.close()
        child.wait()


def file_offsets(lines: Sequence[str]) -> list[int]:
    """Where each file's section starts in the diff's lines, in `diff_stat`'s order (git
    writes both in the same order), for jumping between files."""
    return [i for i, line in enumerate(lines) if line.startswith("diff --git ")]


def diff_text(repo_root: Path, base: str, branch: str, *, cap: int = DIFF_CAP) -> DiffText:
    lines = list(iter_diff(repo_root, base, branch, cap=cap))
    truncated = bool(lines) and lines[-1].startswith("[diff truncated")
    return DiffText("\n".join(lines), truncated, diff_stat(repo_root, base, branch))
