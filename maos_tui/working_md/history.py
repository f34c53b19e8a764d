"""Revisions of WORKING.md in `.maos/history/`: every rewrite and every applied hand edit.

Files are named `<rev>-<UTC time>-<kind>.md` (kind: rewrite or edit); the newest
`KEEP` are kept. Revision numbers only grow, so `working restore REV` is unambiguous.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from maos_tui.domain import DomainError, iso_z
from maos_tui.safe_read import read_regular_file
from maos_tui.working_md.files import MAX_BYTES

KEEP = 200
_NAME = re.compile(r"^(\d{6,})-(\d{8}T\d{6})Z-(rewrite|edit)\.md$")


@dataclass(frozen=True, slots=True)
class Revision:
    rev: int
    time: datetime
    kind: str
    path: Path

    def to_json(self) -> dict[str, object]:
        return {
            "rev": self.rev,
            "time": iso_z(self.time),
            "kind": self.kind,
            "bytes": self.path.stat().st_size,
            "path": str(self.path),
        }

    def read(self) -> bytes:
        return read_regular_file(self.path, MAX_BYTES)


class History:
    def __init__(self, folder: Path, keep: int = KEEP) -> None:
        self.folder = folder
        self.keep = keep

    def list(self) -> list[Revision]:
        """Newest first."""
        return [
            Revision(
                int(match.group(1)),
                datetime.strptime(match.group(2), "%Y%m%dT%H%M%S").replace(tzinfo=UTC),
                match.group(3),
                path,
            )
            for match, path in self._scan()
        ]

    def _scan(self) -> list[tuple[re.Match[str], Path]]:
        """The revision files, newest first, with their names parsed but not their times
        (`add` runs after every rewrite and needs only the numbers)."""
        found = []
        if self.folder.is_dir():
            for path in self.folder.iterdir():
                match = _NAME.match(path.name)
                if match:
                    found.append((match, path))
        return sorted(found, key=lambda item: int(item[0].group(1)), reverse=True)

    def add(self, data: bytes, kind: str, when: datetime) -> Revision:
        """Callers hold the WORKING.md lock, so numbering cannot race. A save held for the
        user (holds.py) is met again at every pass: it is kept once."""
        existing = self._scan()
        if existing and kind == "edit":
            match, newest = existing[0]
            if match.group(3) == kind and _same(newest, data):
                return Revision(int(match.group(1)), when, kind, newest)
        rev = int(existing[0][0].group(1)) + 1 if existing else 1
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        stamp = when.astimezone(UTC).strftime("%Y%m%dT%H%M%S")
        path = self.folder / f"{rev:06d}-{stamp}Z-{kind}.md"
        path.write_bytes(data)
        for _, old in existing[self.keep - 1 :]:
            with contextlib.suppress(OSError):
                old.unlink()
        return Revision(rev, when, kind, path)

    def get(self, rev: int) -> Revision:
        for revision in self.list():
            if revision.rev == rev:
                return revision
        raise DomainError(f"no WORKING.md revision {rev} (see `maos-tui working history`)")


def _same(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False
