"""Review comments on a task's change (issue #16): a remark anchored to a file and a line of
the diff, sent back to the task's author when the reviewer requests changes.

Pure data and checks, like domain.py: the store keeps them (store/reviews.py), the TUI's
diff screen writes them, and the author's run context reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from maos_tui.domain import DomainError, iso_z

COMMENT_MAX = 4000
PATH_MAX = 1000


class Side(StrEnum):
    """Which version of the file `line` counts in: a removed line exists only in the old one."""

    NEW = "new"
    OLD = "old"


@dataclass(frozen=True, slots=True)
class ReviewComment:
    id: int
    task_id: str
    file: str
    line: int
    text: str
    author: str
    created_at: datetime
    side: Side = Side.NEW
    addressed_at: datetime | None = None  # set when the next review round started

    @property
    def anchor(self) -> str:
        """`path:12`, or `path:-12` for a line the change removed (the old file's line)."""
        return f"{self.file}:{'-' if self.side is Side.OLD else ''}{self.line}"

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "task_id": self.task_id,
            "file": self.file,
            "line": self.line,
            "side": self.side.value,
            "text": self.text,
            "author": self.author,
            "created_at": iso_z(self.created_at),
            "addressed_at": iso_z(self.addressed_at) if self.addressed_at else None,
        }


def check_comment(file: str, line: int, text: str) -> tuple[str, int, str]:
    """The comment's file, line and text as stored, or a one-line DomainError."""
    body = text.strip()
    if not body:
        raise DomainError("review comment is empty")
    if len(body) > COMMENT_MAX:
        raise DomainError(f"review comment is too long ({len(body)} characters, at most "
                          f"{COMMENT_MAX})")  # fmt: skip
    path = file.strip()
    if not path or "\0" in path or "\n" in path or len(path) > PATH_MAX:
        raise DomainError(f"review comment needs a file of the change, not {file[:80]!r}")
    if isinstance(line, bool) or not isinstance(line, int) or line < 1:
        raise DomainError(f"review comment line must be a number from 1, not {line!r}")
    return path, line, body
