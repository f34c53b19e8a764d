"""Cancelling or archiving a dependency leaves its dependents blocked, and says so: an
Activity on each dependent, and a line from `task cancel` / `task archive`."""

from __future__ import annotations

from pathlib import Path

from maos_tui.domain import HUMAN, TaskStatus
from maos_tui.events import Event
from maos_tui.store import Store
from tests.conftest import Cli


async def seed(store: Store) -> None:
    await store.tasks.create("Design the schema")  # TASK-001
    await store.tasks.create("Write the migration", after=["TASK-001"])  # TASK-002
    await store.tasks.create("Load the data", after=["TASK-001"])  # TASK-003
    await store.tasks.create("Unrelated")  # TASK-004


def notes(seen: list[Event]) -> list[tuple[str, str | None, object]]:
    return [
        (e.activity.actor, e.activity.task_id, e.activity.details.get("reason"))
        for e in seen
        if e.activity and e.activity.verb == "left blocked"
    ]


async def test_cancelling_a_dependency_tells_each_dependent_it_stays_blocked(
    store: Store,
) -> None:
    await seed(store)
    await store.tasks.move("TASK-003", TaskStatus.DONE)  # finished: nothing to tell it
    seen: list[Event] = []
    store.bus.subscribe(seen.append)
    await store.tasks.cancel("TASK-001", actor="lead")
    why = "it waits for TASK-001, which was cancelled and will not be done"
    assert notes(seen) == [("lead", "TASK-002", why)]
    assert (await store.tasks.get("TASK-002")).blocked  # still blocked: told, not unblocked


async def test_archiving_an_unfinished_dependency_tells_its_dependents(store: Store) -> None:
    await seed(store)
    seen: list[Event] = []
    store.bus.subscribe(seen.append)
    await store.tasks.archive("TASK-001")
    why = "it waits for TASK-001, which was archived and will not be done"
    assert notes(seen) == [(HUMAN, "TASK-002", why), (HUMAN, "TASK-003", why)]
    assert (await store.tasks.get("TASK-003")).blocked


async def test_archiving_a_done_dependency_strands_nobody(store: Store) -> None:
    await seed(store)
    await store.tasks.move("TASK-001", TaskStatus.DONE)
    seen: list[Event] = []
    store.bus.subscribe(seen.append)
    await store.tasks.archive("TASK-001")
    assert notes(seen) == []
    assert not (await store.tasks.get("TASK-002")).blocked


def test_task_cancel_and_archive_say_which_tasks_stay_blocked(cli: Cli, workspace: Path) -> None:
    cli.ok("init")
    cli.ok("task", "add", "Design the schema")
    cli.ok("task", "add", "Write the migration", "--after", "TASK-001")
    cli.ok("task", "add", "Load the data", "--after", "TASK-001")
    cli.ok("task", "add", "Index it", "--after", "TASK-001")
    cancel = cli("task", "cancel", "TASK-001")
    assert cancel.returncode == 0, cancel.stderr
    assert cancel.stdout == "TASK-001 -> cancelled\n"  # stdout stays one line for scripts
    assert cancel.stderr == (
        "warning: TASK-002, TASK-003 and TASK-004 stay blocked: waiting for TASK-001, which "
        "will not be done now (`maos-tui task retry TASK-001` brings it back; "
        "`maos-tui task edit ID --after ...` drops it)\n"
    )
    cli.ok("task", "cancel", "TASK-003")
    cli.ok("task", "cancel", "TASK-004")
    archive = cli("task", "archive", "TASK-001")
    assert archive.returncode == 0, archive.stderr
    assert archive.stderr == (
        "warning: TASK-002 stays blocked: waiting for TASK-001, which will not be done now "
        "(`maos-tui task restore TASK-001` brings it back; "
        "`maos-tui task edit ID --after ...` drops it)\n"
    )
    rows = cli.rows(
        "SELECT task_id, count(*) FROM activities WHERE verb = 'left blocked' GROUP BY task_id"
    )
    assert dict(rows) == {"TASK-002": 2, "TASK-003": 1, "TASK-004": 1}
    assert "inbox  (blocked)" in cli.ok("task", "show", "TASK-002")
