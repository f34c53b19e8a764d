"""A unified diff read once into flat arrays: each line's kind, its file and its line numbers
in the old and new file, for the diff screen to draw any line on demand and to anchor
review comments. Free of Textual; built in a worker thread.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from maos_tui.review import ReviewComment, Side
from maos_tui.worktrees import FileStat


class Kind(IntEnum):
    FILE = 0  # `diff --git a/x b/x`: a file's first line
    META = 1  # index, mode, rename, ---/+++ and "Binary files differ" lines
    HUNK = 2  # @@ -a,b +c,d @@
    ADDED = 3
    REMOVED = 4
    CONTEXT = 5
    NOTE = 6  # "\ No newline at end of file", the truncation note


CODE = frozenset((Kind.ADDED, Kind.REMOVED, Kind.CONTEXT))
_HUNK = re.compile(r"@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")
_CONTENT = {"+": Kind.ADDED, "-": Kind.REMOVED, " ": Kind.CONTEXT}


@dataclass(frozen=True)
class Anchor:
    """Where a comment on a diff line points: a file and a line of its new or old version."""

    file: str
    line: int
    side: Side


class DiffModel:
    def __init__(self, lines: Sequence[str], files: Sequence[FileStat], truncated: bool) -> None:
        self.lines = lines
        self.truncated = truncated
        self.kinds = bytearray(len(lines))
        self.old = array("i", bytes(4 * len(lines)))  # 0: none
        self.new = array("i", bytes(4 * len(lines)))
        self.file_of = array("i", bytes(4 * len(lines)))
        self.starts: list[int] = []  # each file's FILE line
        self._read()
        self.files = [self._stat(i, files) for i in range(len(self.starts))]
        self.width = max(map(len, lines), default=0)

    def _read(self) -> None:
        kinds, old, new, file_of, starts = self.kinds, self.old, self.new, self.file_of, self.starts
        in_hunk = False
        old_no = new_no = 0
        current = -1
        for index, line in enumerate(self.lines):
            kind = _CONTENT.get(line[:1]) if in_hunk else None
            if kind is None:
                if line.startswith("diff --git "):
                    kind, in_hunk = Kind.FILE, False
                    starts.append(index)
                    current += 1
                elif line.startswith("@@") and (found := _HUNK.match(line)):
                    kind, in_hunk = Kind.HUNK, True
                    old_no, new_no = int(found[1]), int(found[2])
                elif line.startswith("\\") or line.startswith("[diff truncated"):
                    kind = Kind.NOTE
                else:
                    kind, in_hunk = Kind.META, False
            elif kind is Kind.ADDED:
                new[index], new_no = new_no, new_no + 1
            elif kind is Kind.REMOVED:
                old[index], old_no = old_no, old_no + 1
            else:
                old[index], new[index] = old_no, new_no
                old_no, new_no = old_no + 1, new_no + 1
            kinds[index] = kind
            file_of[index] = current

    def _stat(self, index: int, stats: Sequence[FileStat]) -> FileStat:
        # git writes the stat and the diff in the same order; a header is the fallback.
        if index < len(stats):
            return stats[index]
        header = self.lines[self.starts[index]]
        return FileStat(header.rsplit(" b/", 1)[-1], None, None)

    def __len__(self) -> int:
        return len(self.lines)

    def kind(self, index: int) -> Kind:
        return Kind(self.kinds[index])

    def path_of(self, index: int) -> str | None:
        file = self.file_of[index]
        return self.files[file].path if file >= 0 else None

    def anchor(self, index: int) -> Anchor | None:
        """What a comment on this line anchors to; None for a line that is not code."""
        kind = self.kind(index)
        path = self.path_of(index)
        if kind not in CODE or path is None:
            return None
        if kind is Kind.REMOVED:
            return Anchor(path, self.old[index], Side.OLD)
        return Anchor(path, self.new[index], Side.NEW)

    def locate(self, comment: ReviewComment) -> int | None:
        """The line a comment belongs under: its own line, else its file's first line."""
        try:
            file = next(i for i, f in enumerate(self.files) if f.path == comment.file)
        except StopIteration:
            return None
        start = self.starts[file]
        end = self.starts[file + 1] if file + 1 < len(self.starts) else len(self.lines)
        numbers = self.old if comment.side is Side.OLD else self.new
        wanted = Kind.REMOVED if comment.side is Side.OLD else Kind.ADDED
        for index in range(start, end):
            kind = self.kinds[index]
            if numbers[index] == comment.line and (kind == wanted or kind == Kind.CONTEXT):
                return index
        return start

    def file_at(self, index: int) -> int:
        return max(self.file_of[index], 0) if len(self.lines) else 0


def counts_label(stat: FileStat) -> str:
    if stat.added is None or stat.removed is None:
        return "binary"
    return f"+{stat.added} -{stat.removed}"
