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
        return self.path.read_bytes()


class History:
    def __init__(self, folder: Path, keep: int = KEEP) -> None:
        self.folder = folder
        self.keep = keep

    def list(self) -> list[Revision]:
        """Newest first."""
        found = []
        if self.folder.is_dir():
            for path in self.folder.iterdir():
                match = _NAME.match(path.name)
                if match:
                    when = datetime.strptime(match.group(2), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
                    found.append(Revision(int(match.group(1)), when, match.group(3), path))
        return sorted(found, key=lambda r: r.rev, reverse=True)

    def add(self, data: bytes, kind: str, when: datetime) -> Revision:
        """Callers hold the WORKING.md lock, so numbering cannot race."""
        existing = self.list()
        rev = existing[0].rev + 1 if existing else 1
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        stamp = when.astimezone(UTC).strftime("%Y%m%dT%H%M%S")
        path = self.folder / f"{rev:06d}-{stamp}Z-{kind}.md"
        path.write_bytes(data)
        for old in existing[self.keep - 1 :]:
            with contextlib.suppress(OSError):
                old.path.unlink()
        return Revision(rev, when, kind, path)

    def get(self, rev: int) -> Revision:
        for revision in self.list():
            if revision.rev == rev:
                return revision
        raise DomainError(f"no WORKING.md revision {rev} (see `maos-tui working history`)")
