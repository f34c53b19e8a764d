"""Snapshots of the thread, the notifications screen and the document viewer (fixed data,
clock and zone; update deliberately with `pytest --snapshot-update`)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import update

from maos_tui.config import Workspace
from maos_tui.domain import HUMAN
from maos_tui.store import Store
from maos_tui.store.models import Document, DocumentVersion, Message, Notification
from maos_tui.tui.app import MaosApp
from maos_tui.tui.screens.collab import DocumentScreen
from maos_tui.tui.screens.detail import TaskDetailScreen

from .conftest import FIXED_NOW
from .snapshot_app import build_app, pin_times
from .test_snapshots import settle

SIZE = (100, 40)


async def add_collaboration(root: Path) -> None:
    store = await Store.open(Workspace(root).default_db_url())
    try:
        task = "TASK-003"
        question = await store.messages.post(
            task, "coder", "Should the loop **poll** or wait on events?", type="question"
        )
        await store.messages.post(task, HUMAN, "Events, with a 0.5 s poll as a fallback.",
                                  type="answer", reply_to=question.id)  # fmt: skip
        await store.messages.post(task, "qa", "@coder ping me when it is ready for review")
        await store.documents.write(task, "Scheduler design", "# Design\n\nPoll.\n", "coder")
        await store.documents.write(
            task, "Scheduler design", "# Design\n\nWait on **events**; poll every 0.5 s.\n",
            "coder", "research",
        )  # fmt: skip
        async with store.write() as tx:
            for table in (Message, Notification, DocumentVersion):
                await tx.conn.execute(update(table).values(created_at=FIXED_NOW))
            await tx.conn.execute(
                update(Document).values(created_at=FIXED_NOW, updated_at=FIXED_NOW)
            )
            # Shown before this start: no toast over the snapshot.
            await tx.conn.execute(update(Notification).values(delivered_at=FIXED_NOW))
        await pin_times(store)
    finally:
        await store.close()


def collab_app(tmp_path: Path) -> MaosApp:
    root = tmp_path / "ws"
    app = build_app(root)
    asyncio.run(add_collaboration(root))
    return app


def open_then(screen_factory, *keys: str):
    """Push a screen (if given), then settle and press `keys` like the board snapshots."""

    async def run_before(pilot) -> None:
        if screen_factory is not None:
            await pilot.pause()
            pilot.app.push_screen(screen_factory())
        await settle(*keys)(pilot)

    return run_before


def test_thread_view(snap_compare, tmp_path: Path):
    app = collab_app(tmp_path)
    before = open_then(lambda: TaskDetailScreen("TASK-003"), "c")
    assert snap_compare(app, terminal_size=SIZE, run_before=before)


def test_notifications_screen(snap_compare, tmp_path: Path):
    app = collab_app(tmp_path)
    assert snap_compare(app, terminal_size=SIZE, run_before=open_then(None, "N"))


def test_document_viewer_diff(snap_compare, tmp_path: Path):
    app = collab_app(tmp_path)
    before = open_then(lambda: DocumentScreen(1), "d")
    assert snap_compare(app, terminal_size=SIZE, run_before=before)
