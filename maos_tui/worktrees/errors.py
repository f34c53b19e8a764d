"""The errors of the worktree layer: each message is one line, ready for `error: ...`."""

from __future__ import annotations

from collections.abc import Sequence

# How many file names an error lists before it says "and N more".
_NAMED = 10


def name_files(files: Sequence[str]) -> str:
    shown = ", ".join(files[:_NAMED])
    more = len(files) - _NAMED
    return f"{shown} and {more} more" if more > 0 else shown


class WorktreeError(Exception):
    """Something the worktree layer could not do; `str()` is one line."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


class IsolationUnavailable(WorktreeError):
    """The workspace is not a git repository with a commit: tasks run in the folder itself."""


class PathRefused(WorktreeError):
    """A file tool's path leads outside the worktree; the message tells the model what to do."""


class FilesError(WorktreeError):
    """An operation refused or failed because of these files (named in the message)."""

    def __init__(self, message: str, files: Sequence[str]) -> None:
        self.files = list(files)
        super().__init__(f"{message}: {name_files(self.files)}" if files else message)


class DirtyCheckout(FilesError):
    """The merge would change files the user has modified in the main checkout."""


class MergeConflict(FilesError):
    """The branch no longer merges cleanly into its base."""
