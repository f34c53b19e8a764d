"""Keeping an LLM agent's file tools inside its worktree. Each refusal says what to send
instead, so the model can correct its next call."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from maos_tui.worktrees.errors import PathRefused


def confined(root: Path, path: object) -> Path:
    """`path` (relative to the worktree root) as an absolute path that is inside the root once
    every symlink is resolved; PathRefused otherwise. "" and "." name the root itself."""
    if not isinstance(path, str):
        raise PathRefused(
            "the path must be a string relative to the worktree root, e.g. 'src/app.py'"
        )
    if "\0" in path:
        raise PathRefused(f"{path!r} contains a NUL character: send a plain relative path")
    pure = PurePosixPath(path)
    if (
        pure.is_absolute()
        or path.startswith("~")
        or PurePosixPath(path.replace("\\", "/")).is_absolute()
    ):
        raise PathRefused(
            f"{path!r} is an absolute path: send a path relative to the worktree root, "
            "e.g. 'src/app.py'"
        )
    if ".." in pure.parts:
        raise PathRefused(
            f"{path!r} contains '..': paths must stay inside the worktree; send it relative to "
            "the worktree root without '..'"
        )
    if ".git" in pure.parts:
        raise PathRefused(f"{path!r} is inside .git, git's own data: work on the project's files")
    real_root = Path(os.path.realpath(root))
    target = Path(os.path.realpath(real_root / pure))
    if target != real_root and not target.is_relative_to(real_root):
        raise PathRefused(
            f"{path!r} leads outside the worktree through a symbolic link: use a path whose "
            "folders and file are inside the worktree"
        )
    return target


def relative(root: Path, target: Path) -> str:
    """How a tool names a confined path back to the model."""
    rel = target.relative_to(Path(os.path.realpath(root))).as_posix()
    return rel if rel != "." else "."
