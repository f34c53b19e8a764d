"""Hand edits that used to damage the file or the board in silence, through
`WorkingSync.sync_once` on a real SQLite store."""

from __future__ import annotations

import json
import time

from maos_tui.domain import TaskStatus, iso_z, utcnow
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


async def live_ids(store: Store) -> set[str]:
    return {t.id for t in await store.tasks.list()}


async def test_a_file_cut_short_is_held_and_makes_no_junk_task(store, sync, ws) -> None:
    for n in range(36):
        await store.tasks.create(f"Task number {n + 1}")
    await sync.sync_once()
    whole = ws.working_md.read_bytes()
    cut = whole.index(b"[TASK-006]") + len(b"[TASK-00")  # cut inside an ID, as a crash would
    ws.working_md.write_bytes(whole[:cut])
    problems = await sync.sync_once()
    reasons = [p.reason for p in problems]
    assert any(r.startswith("this save is held") and "would archive 31 tasks" in r for r in reasons)
    assert any("'[' is not closed" in r for r in reasons), reasons
    assert len(await live_ids(store)) == 36  # nothing archived, no junk task
    assert ws.working_md.read_bytes() == whole[:cut]  # the file is left as saved
    assert await sync.check() == sorted(problems, key=lambda p: p.line)
    # More store changes while it is held: still held, nothing applied, no new revision.
    revisions = len(sync.history.list())
    await store.tasks.create("added while held")
    await sync.sync_once()
    assert len(await live_ids(store)) == 37 and len(sync.history.list()) == revisions
    # The user confirms: the 31 tasks whose lines are gone are archived, and only those.
    problems = await sync.sync_once(accept=True)
    assert not [p for p in problems if p.reason.startswith("this save is held")]
    live = await live_ids(store)
    assert live == {f"TASK-{n:03d}" for n in range(1, 6)} | {"TASK-037"}, live


async def test_two_deleted_lines_are_applied_at_once(store, sync, ws, replace) -> None:
    for title in ("one", "two", "three"):
        await store.tasks.create(title)
    await sync.sync_once()
    replace(ws.working_md, "- [TASK-001] one\n", "")
    replace(ws.working_md, "- [TASK-002] two\n", "")
    assert await sync.sync_once() == []
    assert await live_ids(store) == {"TASK-003"}


async def test_a_changed_id_is_held_instead_of_archiving_the_task(store, sync, ws, replace) -> None:
    for title in ("one", "two", "three"):
        await store.tasks.create(title)
    await sync.sync_once()
    replace(ws.working_md, "- [TASK-003] three", "- [TASK-002] three")
    problems = await sync.sync_once()
    held = [p.reason for p in problems if p.reason.startswith("this save is held")]
    assert held and "changes the ID of TASK-003" in held[0], problems
    assert await live_ids(store) == {"TASK-001", "TASK-002", "TASK-003"}
    assert (await store.tasks.get("TASK-002")).title == "two"
    assert "- [TASK-002] three" in ws.working_md.read_text()


def _last_updated(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("Last Updated: "))


def test_a_stale_editor_buffer_is_held_until_accepted(cli, workspace) -> None:
    cli.ok("init")
    cli.ok("task", "add", "one")
    cli.ok("task", "add", "two")
    working = workspace / "WORKING.md"
    buffer = working.read_text()  # what an editor opened
    # `Last Updated` has whole seconds: the next write must be in a later one.
    deadline = time.monotonic() + 10
    while _last_updated(buffer) == f"Last Updated: {iso_z(utcnow())}":
        assert time.monotonic() < deadline, "the clock did not move"
        time.sleep(0.05)
    cli.ok("task", "add", "added while the editor was open")
    assert "added while the editor was open" in working.read_text()
    working.write_text(buffer.replace("] two", "] two, edited"))  # the editor saves
    result = cli("working", "sync")
    assert result.returncode == 1 and "in sync" not in result.stdout
    assert "held" in result.stderr and "TASK-003, added since" in result.stderr, result.stderr
    check = cli("working", "check")
    assert check.returncode == 1 and "TASK-003, added since" in check.stdout
    listed = json.loads(cli.ok("task", "list", "--json"))
    assert [t["title"] for t in listed] == ["one", "two", "added while the editor was open"]
    cli.ok("working", "sync", "--accept")
    listed = json.loads(cli.ok("task", "list", "--json"))
    assert [t["title"] for t in listed] == ["one", "two, edited"]
