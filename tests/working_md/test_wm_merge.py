"""The merge rules, one test each, through `WorkingSync.sync_once` on a real SQLite store."""

from __future__ import annotations

import json

from sqlalchemy import select

from maos_tui.domain import TaskStatus
from maos_tui.store import Store
from maos_tui.store.models import Activity
from maos_tui.working_md.sync import WorkingSync


async def activities(store: Store, verb: str) -> list[dict]:
    async with store.read() as conn:
        rows = await conn.execute(select(Activity).where(Activity.verb == verb))
        return [{"task": r.task_id, **json.loads(r.details)} for r in rows]


async def board(store: Store, sync: WorkingSync) -> None:
    await store.agents.add("coder", command=["true"])
    await store.agents.add("writer", command=["true"])
    await store.tasks.create("Research pricing", priority=1)
    await store.tasks.create("Design page", after=["TASK-001"])
    await store.tasks.create("Implement auth", assignees=["coder"])
    assert await sync.sync_once() == []


async def test_a_line_moved_to_another_section_moves_the_task(store, sync, ws, replace) -> None:
    await board(store, sync)
    replace(ws.working_md, "- [TASK-002] Design page after:TASK-001\n", "")
    replace(ws.working_md, "### REVIEW\n", "### REVIEW\n- [TASK-002] Design page after:TASK-001\n")
    assert await sync.sync_once() == []
    assert (await store.tasks.get("TASK-002")).status is TaskStatus.REVIEW
    assert (await activities(store, "moved"))[-1]["to"] == "review"
    assert "### REVIEW\n- [TASK-002] Design page" in ws.working_md.read_text()


async def test_edited_fields_change_in_the_store(store, sync, ws, replace) -> None:
    await board(store, sync)
    replace(
        ws.working_md,
        "- [TASK-002] Design page after:TASK-001",
        "- [TASK-002] @writer - Design the landing page !P0 needs:web parent:TASK-001",
    )
    assert await sync.sync_once() == []
    got = await store.tasks.get("TASK-002")
    assert (got.title, got.priority, got.assignees, got.after, got.needs, got.parent) == (
        "Design the landing page",
        0,
        ("writer",),
        (),
        ("web",),
        "TASK-001",
    )
    assert got.status is TaskStatus.ASSIGNED  # assigning an inbox task assigns it


async def test_new_lines_create_tasks_and_get_their_ids(store, sync, ws, replace) -> None:
    await board(store, sync)
    replace(
        ws.working_md,
        "### IN_PROGRESS\n",
        "### IN_PROGRESS\n- Write the docs @coder !P1\n- [ ] Proofread\n",
    )
    assert await sync.sync_once() == []
    docs, proof = await store.tasks.list(statuses=[TaskStatus.IN_PROGRESS])
    assert (docs.id, docs.title, docs.assignees, docs.priority) == (
        "TASK-004",
        "Write the docs",
        ("coder",),
        1,
    )
    assert (proof.id, proof.title) == ("TASK-005", "Proofread")
    text = ws.working_md.read_text()
    assert "- [TASK-004] @coder - Write the docs !P1\n- [TASK-005] Proofread\n" in text
    assert "\n- Write the docs" not in text and "[ ]" not in text
    assert await sync.sync_once() == []  # applied once, not twice
    assert len(await store.tasks.list()) == 5


async def test_a_deleted_line_archives_the_task_and_restore_brings_it_back(
    store, sync, ws, replace
) -> None:
    await board(store, sync)
    replace(ws.working_md, "- [TASK-001] Research pricing !P1\n", "")
    assert await sync.sync_once() == []
    assert (await store.tasks.get("TASK-001")).archived
    assert (await activities(store, "archived"))[-1] == {
        "task": "TASK-001",
        "reason": "line deleted from WORKING.md",
    }
    await store.tasks.restore("TASK-001")
    await sync.sync_once()
    assert "- [TASK-001] Research pricing !P1" in ws.working_md.read_text()


async def test_edits_to_generated_sections_are_ignored_and_regenerated(
    store, sync, ws, replace
) -> None:
    await board(store, sync)
    before = ws.working_md.read_text()
    replace(ws.working_md, "- coder [IDLE] - waiting for work", "- coder [ACTIVE] - hacking")
    replace(ws.working_md, "human created TASK-001", "someone deleted everything")
    assert await sync.sync_once() == []
    assert ws.working_md.read_text() == before
    assert (await store.agents.get("coder")).status.value == "idle"


async def test_notes_unknown_sections_and_hand_text_survive_rewrites(
    store, sync, ws, replace
) -> None:
    await board(store, sync)
    replace(ws.working_md, "## Notes\n", "## Notes\nRemember the demo.\n")
    replace(
        ws.working_md, "## Recent Activity", "## Links\n- https://example.com\n\n## Recent Activity"
    )
    replace(ws.working_md, "### ASSIGNED\n", "### ASSIGNED\nAsk Bob about these.\n")
    assert await sync.sync_once() == []
    await store.tasks.create("After the edit")
    await store.tasks.move("TASK-003", TaskStatus.DONE)
    await sync.sync_once()
    text = ws.working_md.read_text()
    assert "## Links\n- https://example.com\n\n## Recent Activity" in text
    assert "Remember the demo.\n" in text
    assert "### ASSIGNED\nAsk Bob about these.\n\n### IN_PROGRESS" in text
    assert "- [TASK-004] After the edit" in text


async def test_same_field_changed_on_both_sides_the_hand_edit_wins_and_is_recorded(
    store, sync, ws, replace
) -> None:
    await board(store, sync)
    await store.tasks.edit("TASK-001", title="Store title", priority=3)
    replace(ws.working_md, "- [TASK-001] Research pricing !P1", "- [TASK-001] Hand title !P1")
    assert await sync.sync_once() == []
    got = await store.tasks.get("TASK-001")
    assert (got.title, got.priority) == ("Hand title", 3)  # priority: only the store changed
    [conflict] = await activities(store, "conflict")
    assert conflict == {
        "task": "TASK-001",
        "field": "title",
        "store": "Store title",
        "file": "Hand title",
        "kept": "file",
    }


async def test_bad_lines_are_kept_and_reported_while_good_ones_apply(
    store, sync, ws, replace
) -> None:
    await board(store, sync)
    replace(
        ws.working_md,
        "- [TASK-001] Research pricing !P1",
        "- [TASK-001] @ghost - Research pricing !P1",
    )
    replace(ws.working_md, "- [TASK-002] Design page after:TASK-001", "- [TASK-002] Design page!")
    replace(
        ws.working_md,
        "### REVIEW\n",
        "### REVIEW\n- [TASK-099] Nobody knows me\n- [TASK-003] @coder - Implement auth after:TASK-077\n- New one @ghost\n",
    )
    replace(ws.working_md, "### ASSIGNED\n- [TASK-003] @coder - Implement auth\n", "### ASSIGNED\n")
    problems = await sync.sync_once()
    assert sorted(p.reason for p in problems) == [
        "unknown agent ghost",
        "unknown agent ghost",
        "unknown task TASK-077",
        "unknown task TASK-099",
    ]
    assert (await store.tasks.get("TASK-002")).title == "Design page!"
    assert (await store.tasks.get("TASK-001")).assignees == ()
    assert (await store.tasks.get("TASK-003")).status is TaskStatus.ASSIGNED
    assert len(await store.tasks.list()) == 3  # the bad new line created nothing
    text = ws.working_md.read_text()
    lines = text.split("\n")
    for problem in problems:  # kept verbatim, and reported where they are now
        assert lines[problem.line - 1] == problem.text
    assert "[TASK-003] @coder - Implement auth\n" not in text  # not regenerated meanwhile
    # Reported again on the next pass, until fixed...
    assert len(await sync.sync_once()) == 4
    assert len(await sync.check()) == 4
    # ...and applied once the missing agent exists.
    await store.agents.add("ghost", command=["true"])
    assert len(await sync.sync_once()) == 2
    assert (await store.tasks.get("TASK-001")).assignees == ("ghost",)
    assert [t.title for t in await store.tasks.list(assignee="ghost")][-1] == "New one"


async def test_a_dependency_cycle_is_an_error_on_that_line(store, sync, ws, replace) -> None:
    await board(store, sync)
    replace(
        ws.working_md,
        "- [TASK-001] Research pricing !P1",
        "- [TASK-001] Research pricing !P0 after:TASK-002",
    )
    [problem] = await sync.sync_once()
    assert problem.reason == "cycle: TASK-001 -> TASK-002 -> TASK-001"
    got = await store.tasks.get("TASK-001")
    assert (got.after, got.priority) == ((), 1)  # the whole line is refused, not half of it


async def test_duplicate_ids_first_wins_and_the_duplicate_is_reported(
    store, sync, ws, replace
) -> None:
    await board(store, sync)
    replace(ws.working_md, "### DONE\n", "### DONE\n- [TASK-001] Research pricing !P1\n")
    [problem] = await sync.sync_once()
    assert problem.reason.startswith("duplicate TASK-001")
    assert (await store.tasks.get("TASK-001")).status is TaskStatus.INBOX
    assert ws.working_md.read_text().count("[TASK-001]") == 2


async def test_empty_file_is_regenerated_and_changes_nothing(store, sync, ws) -> None:
    await board(store, sync)
    before = ws.working_md.read_text()
    ws.working_md.write_text("")
    assert await sync.sync_once() == []
    assert ws.working_md.read_text() == before
    assert len(await store.tasks.list()) == 3


async def test_a_file_without_current_tasks_archives_nothing(store, sync, ws) -> None:
    await board(store, sync)
    ws.working_md.write_text("just some notes\n")
    [problem] = await sync.sync_once()
    assert "no '## Current Tasks'" in problem.reason
    assert len(await store.tasks.list()) == 3
    text = ws.working_md.read_text()
    assert "just some notes" in text and "- [TASK-001] Research pricing" in text


async def test_deleted_file_is_recreated_from_the_store(store, sync, ws, replace) -> None:
    await board(store, sync)
    replace(ws.working_md, "## Notes\n", "## Notes\nkeep me\n")
    await sync.sync_once()
    ws.working_md.unlink()
    assert await sync.sync_once() == []
    assert "keep me" in ws.working_md.read_text()
    assert len(await store.tasks.list()) == 3


async def test_binary_and_non_utf8_files_are_refused_and_kept(store, sync, ws) -> None:
    await board(store, sync)
    for junk in (b"\x00\x01binary\xff", "# caf\xe9\n".encode("latin-1")):
        ws.working_md.write_bytes(junk)
        [problem] = await sync.sync_once()
        assert "refused" in problem.reason
        kept = sorted(ws.root.glob("WORKING.md.rejected-*"))
        assert kept[-1].read_bytes() == junk
        assert "- [TASK-001] Research pricing" in ws.working_md.read_text()
    assert len(await store.tasks.list()) == 3


async def test_a_20_mb_file_is_refused_whole_and_kept(store, sync, ws) -> None:
    await board(store, sync)
    big = ws.working_md.read_bytes() + b"x" * (20 * 1024 * 1024)
    ws.working_md.write_bytes(big)
    [problem] = await sync.sync_once()
    assert "MB" in problem.reason
    [kept] = ws.root.glob("WORKING.md.rejected-*")
    assert kept.stat().st_size == len(big)
    assert len(await store.tasks.list()) == 3


async def test_windows_line_endings_and_missing_final_newline(store, sync, ws, replace) -> None:
    await board(store, sync)
    text = ws.working_md.read_text().replace("### DONE\n", "### DONE\n- Shipped it")
    text = text.replace("\n", "\r\n").rstrip()
    ws.working_md.write_bytes(text.encode())
    assert await sync.sync_once() == []
    data = ws.working_md.read_bytes()
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    assert (await store.tasks.get("TASK-004")).status is TaskStatus.DONE


async def test_last_updated_changes_only_with_the_rest_of_the_file(store, ws) -> None:
    times = iter(
        ["2026-01-01T00:00:00+00:00", "2026-01-02T00:00:00+00:00", "2026-01-03T00:00:00+00:00"]
    )
    from datetime import datetime

    sync = WorkingSync(
        store, ws, settle=0.01, empty_grace=0, clock=lambda: datetime.fromisoformat(next(times))
    )
    await sync.sync_once()
    await sync.sync_once()
    assert "Last Updated: 2026-01-01T00:00:00Z" in ws.working_md.read_text()
    await store.tasks.create("Something")
    await sync.sync_once()
    assert "Last Updated: 2026-01-03T00:00:00Z" in ws.working_md.read_text()


async def test_restore_puts_an_old_revision_back_as_a_hand_edit(store, sync, ws) -> None:
    await board(store, sync)
    old = sync.history.list()[0].rev
    await store.tasks.create("Made later")
    await store.tasks.edit("TASK-001", title="Renamed later")
    await sync.sync_once()
    await sync.restore(old)
    assert (await store.tasks.get("TASK-001")).title == "Research pricing"
    assert (await store.tasks.get("TASK-004")).archived  # not in that revision
    kinds = [r.kind for r in sync.history.list()]
    assert kinds[:2] == ["rewrite", "edit"]


async def test_history_keeps_only_the_newest_revisions(store, ws) -> None:
    sync = WorkingSync(store, ws, settle=0.01, empty_grace=0, history_keep=5)
    for number in range(8):
        await store.tasks.create(f"Task {number}")
        await sync.sync_once()
    revisions = sync.history.list()
    assert len(revisions) == 5
    assert revisions[0].rev == 8 and revisions[-1].rev == 4
    assert b"Task 7" in revisions[0].read()


async def test_a_store_change_parses_and_draws_the_file_once(store, sync, ws, monkeypatch) -> None:
    """The pass after a one-shot command: the file is as we left it. Parsing our last write
    as well, or drawing once per `Last Updated` candidate, doubled its cost."""
    from maos_tui.working_md import passes, render

    await board(store, sync)
    calls: list[str] = []

    def counted(name: str, real):
        def wrapper(*args, **kwargs):
            calls.append(name)
            return real(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(passes, "parse_working", counted("parse", passes.parse_working))
    monkeypatch.setattr(render, "_generated", counted("draw", render._generated))
    await store.tasks.create("One more")
    assert await sync.sync_once() == []
    assert calls.count("parse") == 1
    assert calls.count("draw") == 3  # one per generated section: agents, tasks, activity
    assert "- [TASK-004] One more" in ws.working_md.read_text()
    assert "Last Updated: 2026-02-02T10:30:00Z" in ws.working_md.read_text()
