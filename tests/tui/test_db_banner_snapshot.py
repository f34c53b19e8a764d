"""The line under the header while the database cannot be reached, pinned as a snapshot:
every read and write of the board fails as the store reports an unreachable server, and a
move drawn meanwhile waits to be saved."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from maos_tui.store import DatabaseUnavailableError

from .snapshot_app import build_app, no_blink

CAUSE = (
    "database unavailable: cannot read postgresql+asyncpg://maos:***@db.example:5432/maos "
    "(Connect call failed ('10.0.0.5', 5432))"
)


async def unreachable(*_args: Any, **_kwargs: Any) -> Any:
    raise DatabaseUnavailableError(CAUSE)


def test_database_unavailable_line(
    snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = build_app(tmp_path / "ws")

    async def run_before(pilot) -> None:
        await pilot.pause()
        # The header's cost to finish is read in a worker: wait for it, so the snapshot
        # does not depend on whether it landed before the outage began.
        deadline = time.monotonic() + 30
        while app.main_screen.forecast.to_go is None:
            assert time.monotonic() < deadline, "the board's forecast read within 30 s"
            await pilot.pause(0.05)
        monkeypatch.setattr(app.main_screen, "refresh_after", unreachable)
        monkeypatch.setattr(app.store.tasks, "move", unreachable)
        await pilot.press("right_square_bracket")  # the inbox's first card, to assigned
        await pilot.pause()
        no_blink(app)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 24), run_before=run_before)
