"""The scheduler's Backlog: read once, then kept current from change notices."""

from __future__ import annotations

from pathlib import Path

from fakes.instant import InstantRunner
from fakes.support import make_scheduler, until

from maos_tui.domain import HUMAN, TaskRecord, TaskStatus
from maos_tui.events import Event
from maos_tui.scheduler.backlog import Backlog
from maos_tui.store import Store


def follow(store: Store) -> Backlog:
    """A Backlog fed by the bus the way the scheduler feeds its own."""
    backlog = Backlog(store)

    def on_event(event: Event) -> None:
        if event.topic in ("task", "message"):
            backlog.changed(event.task_id)

    store.bus.subscribe(on_event)
    return backlog


async def refreshed(store: Store, backlog: Backlog) -> dict[str, TaskRecord]:
    async with store.read() as conn:
        await backlog.refresh(await store.reader(conn))
    return {t.id: t for t in backlog.tasks()}


async def test_a_finished_dependency_unblocks_its_dependents(store: Store) -> None:
    first = await store.tasks.create("first")
    second = await store.tasks.create("second", after=[first.id])
    backlog = follow(store)
    assert (await refreshed(store, backlog))[second.id].blocked
    # Only `first` is named by the events; `second` must be read again with it.
    await store.tasks.move(first.id, TaskStatus.DONE)
    tasks = await refreshed(store, backlog)
    assert first.id not in tasks
    assert not tasks[second.id].blocked


async def test_changes_in_this_process_are_read_back(store: Store) -> None:
    low = await store.tasks.create("low", priority=3)
    high = await store.tasks.create("high", priority=1)
    gone = await store.tasks.create("gone")
    backlog = follow(store)
    assert list(await refreshed(store, backlog)) == [high.id, gone.id, low.id]
    await store.tasks.edit(low.id, priority=0)
    await store.tasks.archive(gone.id)
    added = await store.tasks.create("added", needs=["sql"])
    tasks = await refreshed(store, backlog)
    assert list(tasks) == [low.id, high.id, added.id]
    assert tasks[added.id].needs == ("sql",)


async def test_a_question_to_the_human_parks_the_task_until_answered(store: Store) -> None:
    task = await store.tasks.create("ask")
    await store.agents.add("coder", command=["true"])
    backlog = follow(store)
    assert task.id in await refreshed(store, backlog)
    await store.messages.post(task.id, "coder", "@human which format?", type="question")
    assert task.id not in await refreshed(store, backlog)
    await store.messages.post(task.id, HUMAN, "JSON")
    assert task.id in await refreshed(store, backlog)


async def test_reasons_it_wrote_need_no_read(store: Store) -> None:
    task = await store.tasks.create("waits")
    backlog = follow(store)
    await refreshed(store, backlog)
    async with store.write() as tx:
        await store.tasks.set_reasons_in(tx, {task.id: "no agents"})
    backlog.set_reasons({task.id: "no agents"})
    assert (await refreshed(store, backlog))[task.id].status_reason == "no agents"


async def test_a_task_changed_by_another_process_is_run(
    store: Store, workspace: Path, tmp_path: Path
) -> None:
    """Another process's commit names no task: the commit counter makes the scheduler
    read the whole backlog again within its poll interval."""
    await store.agents.add("coder", command=["true"], capabilities=["python"])
    task = await store.tasks.create("needs sql first", needs=["sql"])
    runner = InstantRunner()
    scheduler = make_scheduler(store, workspace, runner_factory=runner.factory)
    await scheduler.start()
    other = await Store.open(store.url)
    try:
        await scheduler.settle()
        assert (await store.tasks.get(task.id)).status_reason == "no agent with capability: sql"
        await other.tasks.edit(task.id, needs=["python"])  # not on this store's bus
        await until(
            lambda: _done(store, task.id), message="the edit from another store was not seen"
        )
    finally:
        await scheduler.stop()
        await other.close()
    assert [entry[1] for entry in runner.log if entry[0] == "start"] == [task.id]


async def _done(store: Store, task_id: str) -> bool:
    return (await store.tasks.get(task_id)).status is TaskStatus.DONE
