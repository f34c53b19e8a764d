"""Hand edits that used to damage the file or the board in silence, through
`WorkingSync.sync_once` on a real SQLite store."""

from __future__ import annotations

from maos_tui.domain import TaskStatus
from maos_tui.store import Store
from maos_tui.working_md.parse import parse_working


async def test_an_unknown_heading_never_multiplies_a_task_line(store, sync, ws, replace) -> None:
    alpha = await store.tasks.create("Alpha")
    await store.tasks.create("Beta")
    await store.tasks.move(alpha.id, TaskStatus.IN_PROGRESS)
    await sync.sync_once()
    replace(ws.working_md, "### IN_PROGRESS\n", "### IN_PROGRESS\n### BACKLOG\n")
    for n in range(4):
        await store.tasks.create(f"later {n}")
        problems = await sync.sync_once()
        assert [p.reason for p in problems] == [
            "unknown status section (its lines are not applied)"
        ]
        assert ws.working_md.read_text().count("] Alpha") == 1, ws.working_md.read_text()
    # A task moved into the section is drawn above the unknown heading, so it stays a task
    # line: its next move reaches the file.
    moved = await store.tasks.create("Moved in")
    await store.tasks.move(moved.id, TaskStatus.IN_PROGRESS)
    await sync.sync_once()
    text = ws.working_md.read_text()
    assert text.index("] Moved in") < text.index("### BACKLOG") < text.index("] Alpha"), text
    await store.tasks.move(moved.id, TaskStatus.DONE)
    await sync.sync_once()
    done = parse_working(ws.working_md.read_text()).entries[TaskStatus.DONE]
    assert [e.task.title for e in done if e.task] == ["Moved in"]
    # Deleting the file draws it again from the last write: still one copy.
    ws.working_md.unlink()
    await sync.sync_once()
    text = ws.working_md.read_text()
    assert text.count("] Alpha") == 1 and text.count("] Moved in") == 1, text
    assert (await store.tasks.get(alpha.id)).status is TaskStatus.IN_PROGRESS


async def test_a_task_line_under_an_unknown_heading_applies_once_it_is_fixed(
    store: Store, sync, ws, replace
) -> None:
    task = await store.tasks.create("Alpha")
    await sync.sync_once()
    replace(ws.working_md, "### INBOX\n- [TASK-001] Alpha\n", "### INBOX\n")
    replace(ws.working_md, "### DONE\n", "### DONE\n### LATER\n- [TASK-001] Alpha\n")
    await sync.sync_once()
    assert ws.working_md.read_text().count("] Alpha") == 1
    assert not (await store.tasks.get(task.id)).archived
    replace(ws.working_md, "### LATER\n", "")
    assert await sync.sync_once() == []
    assert (await store.tasks.get(task.id)).status is TaskStatus.DONE
    assert ws.working_md.read_text().count("] Alpha") == 1
