"""WORKING.md problems reach the TUI as notices: plain text, each once."""

from __future__ import annotations

from pathlib import Path

from maos_tui.config import Workspace
from maos_tui.store import Store
from maos_tui.working_md.sync import WorkingSync


async def test_a_working_md_problem_is_one_plain_text_notice(
    make_app, store: Store, workspace: Path
) -> None:
    await store.tasks.create("first")
    ws = Workspace(workspace)
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        sync = WorkingSync(store, ws, settle=0.01, empty_grace=0, on_problems=app.on_sync_problems)
        await sync.sync_once()
        text = ws.working_md.read_text()
        # Markup in the line must be shown as it is, not parsed (`[/]` would crash it).
        ws.working_md.write_text(text.replace("### INBOX\n", "### INBOX\n- [TASK-050] [/]x\n"))
        for _ in range(3):
            await store.tasks.create("another change")
            await sync.sync_once()
        await pilot.pause()
        notices = [n for n in app._notifications if "TASK-050" in n.message]
        assert len(notices) == 1, [n.message for n in app._notifications]
        assert notices[0].message == ("WORKING.md line 9: unknown task TASK-050: - [TASK-050] [/]x")
        assert notices[0].markup is False
