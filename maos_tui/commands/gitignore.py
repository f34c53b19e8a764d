"""`init` in a git repository: keep `.maos/` (the database, the sync state, the history) out
of commits. Git itself says whether the folder is in a repository and already ignored; the
user's `.gitignore` is changed only when they ask (`init --gitignore`)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from maos_tui.domain import DomainError
from maos_tui.safe_read import MIB, read_regular_file

LINE = ".maos/"
_GIT_TIMEOUT = 10.0


def _ignored(root: Path) -> bool | None:
    """True / False, or None when `root` is not in a git work tree (or git is missing)."""
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "check-ignore", "--quiet", LINE],
            capture_output=True,
            timeout=_GIT_TIMEOUT,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    # check-ignore exits 0 when ignored, 1 when not, 128 outside a repository.
    return {0: True, 1: False}.get(done.returncode)


def gitignore_advice(root: Path, *, add: bool) -> str | None:
    """The line `init` prints about `.maos/` and git, if any; with `add`, append `.maos/` to
    `root/.gitignore` first."""
    ignored = _ignored(root)
    if ignored is None:
        return "not a git repository: no .gitignore was changed" if add else None
    if ignored:
        return f"{LINE} is already ignored by git" if add else None
    if not add:
        return (
            f"hint: {root} is in a git repository; keep the local database out of it with "
            f"`maos-tui init --gitignore` (adds {LINE} to .gitignore)"
        )
    path = root / ".gitignore"
    try:
        try:
            existing = read_regular_file(path, MIB)
        except FileNotFoundError:
            existing = b""
        with path.open("ab") as out:
            out.write((b"" if existing.endswith(b"\n") or not existing else b"\n") + b".maos/\n")
    except OSError as exc:
        raise DomainError(f"could not add {LINE} to {path}: {exc}") from None
    return f"added {LINE} to {path}"
