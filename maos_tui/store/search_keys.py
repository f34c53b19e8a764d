"""Where a thing's row sits in the FTS table (`number * 4 + kind`, see search.py),
importable without SQLAlchemy for `task add`'s stdlib path."""

from __future__ import annotations

KIND_CODE = {"task": 0, "message": 1, "document": 2}
STRIDE = 4


def search_rowid(kind: str, number: int) -> int:
    return number * STRIDE + KIND_CODE[kind]
