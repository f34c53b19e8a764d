"""Fixtures for the WORKING.md tests: a workspace, an un-started WorkingSync with short
timings and a fixed clock, and small helpers to edit the file like a person would."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from maos_tui.config import Workspace
from maos_tui.store import Store
from maos_tui.working_md.sync import WorkingSync

FIXED_NOW = datetime(2026, 2, 2, 10, 30, tzinfo=UTC)


@pytest.fixture
def ws(workspace: Path) -> Workspace:
    found = Workspace(workspace)
    found.ensure_dirs()
    return found


@pytest.fixture
def sync(store: Store, ws: Workspace) -> WorkingSync:
    return WorkingSync(
        store, ws, debounce=0.05, settle=0.02, empty_grace=0.0, clock=lambda: FIXED_NOW, tz=UTC
    )


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in:\n{text}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def replace() -> Callable[[Path, str, str], None]:
    """Edit a file in place, failing loudly if the text to change is not there."""
    return _replace
