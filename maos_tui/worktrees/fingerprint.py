"""A worktree's change as one hash, for telling whether an agent's work moved: its HEAD
commit and the content of every changed or untracked file (ignored files are no change).

Blocking (git and file reads): run it in a thread. Two git commands and a read of the
changed files only, however large the repository's history.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from maos_tui.worktrees import gitcmd
from maos_tui.worktrees.porcelain import changed_paths

_CHUNK = 1024 * 1024


def diff_fingerprint(worktree: Path) -> str:
    """Equal for two moments when no commit was made and no file changed between them
    (or every change was undone). Raises WorktreeError when git cannot say."""
    digest = hashlib.sha256((gitcmd.commit_sha(worktree, "HEAD") or "no commit").encode())
    for name in sorted(set(changed_paths(worktree))):
        digest.update(b"\0" + name.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(_content_digest(worktree / name))
    return digest.hexdigest()


def _content_digest(path: Path) -> bytes:
    """The file's content hashed; a link's target; a deleted file (or one that went while
    it was read) or a folder (a new submodule) by a marker."""
    try:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            return b"link:" + os.fsencode(os.readlink(path))
        if not stat.S_ISREG(info.st_mode):
            return b"other"
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
        return digest.digest()
    except FileNotFoundError:
        return b"gone"
    except OSError as exc:  # unreadable: a change of that shows in its error
        return f"unreadable:{exc.errno}".encode()
