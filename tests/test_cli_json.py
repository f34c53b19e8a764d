"""What the task commands print: the task object after every change with --json, unknown
names said out loud, and `task show` telling what a task's reason and result are."""

from __future__ import annotations

import json

import pytest

from maos_tui.domain import TaskStatus
from maos_tui.store import Store
from tests.conftest import Cli

CHANGES = [
    ("move", "TASK-002", "in-progress"),
    ("assign", "TASK-002", "a1", "a2"),
    ("unassign", "TASK-002", "a2"),
    ("edit", "TASK-002", "--title", "better", "--after", "TASK-001"),
    ("cancel", "TASK-002"),
    ("retry", "TASK-002"),
    ("archive", "TASK-002"),
    ("restore", "TASK-002"),
]


def test_every_task_change_prints_the_task_with_json(cli: Cli) -> None:
    cli.ok("init")
    cli.ok("agent", "add", "a1", "--command", "echo one")
    cli.ok("agent", "add", "a2", "--command", "echo two")
    cli.ok("task", "add", "dep")
    cli.ok("task", "add", "work")
    seen = []
    for action, *rest in CHANGES:
        printed = json.loads(cli.ok("task", action, *rest, "--json"))
        assert printed == json.loads(cli.ok("task", "show", "TASK-002", "--json")), action
        seen.append(
            (printed["status"], printed["assignees"], printed["title"], printed["archived"])
        )
    assert seen == [
        ("in_progress", [], "work", False),
        ("in_progress", ["a1", "a2"], "work", False),
        ("in_progress", ["a1"], "work", False),
        ("in_progress", ["a1"], "better", False),
        ("cancelled", ["a1"], "better", False),
        ("inbox", ["a1"], "better", False),
        ("inbox", ["a1"], "better", True),
        ("inbox", ["a1"], "better", False),
    ]
    # Without --json, still one line for people.
    assert cli.ok("task", "move", "TASK-002", "review") == "TASK-002 -> review\n"


def test_listing_by_an_unknown_assignee_is_an_error(cli: Cli) -> None:
    cli.ok("init")
    cli.ok("agent", "add", "coder", "--command", "echo hi")
    cli.ok("task", "add", "mine", "--assign", "coder")
    assert cli.error("task", "list", "--assignee", "nobody") == "error: unknown agent nobody"
    assert cli.ok("task", "list", "--assignee", "coder").startswith("TASK-001 ")
    cli.ok("agent", "add", "idle", "--command", "echo hi")
    assert cli.ok("task", "list", "--assignee", "idle") == ""  # known, with nothing to do


async def test_show_labels_the_waiting_reason_once(cli: Cli, store: Store) -> None:
    task = await store.tasks.create("wait for coder")
    reason = "waiting: coder is paused (paused by human)"  # as the scheduler words it
    async with store.write() as tx:
        await store.tasks.set_reasons_in(tx, {task.id: reason})
    shown = cli.ok("task", "show", task.id)
    assert f"  reason:     {reason}\n" in shown
    assert "waiting:    waiting:" not in shown


@pytest.mark.parametrize(
    ("status", "label"),
    [(TaskStatus.DONE, "result:     "), (TaskStatus.FAILED, "old result: "),
     (TaskStatus.CANCELLED, "old result: "), (TaskStatus.IN_PROGRESS, "old result: ")],
)  # fmt: skip
async def test_a_result_is_shown_as_old_once_the_task_moved_on(
    cli: Cli, store: Store, status: TaskStatus, label: str
) -> None:
    task = await store.tasks.create("answer")
    async with store.write() as tx:
        await store.tasks.update_fields_in(tx, task.id, result="the first answer")
    await store.tasks.move(task.id, TaskStatus.DONE)
    if status is not TaskStatus.DONE:
        await store.tasks.move(task.id, status)
    shown = cli.ok("task", "show", task.id)
    assert f"  {label}the first answer\n" in shown
    # --json keeps the data as stored; its status says which attempt it belongs to.
    printed = json.loads(cli.ok("task", "show", task.id, "--json"))
    assert (printed["status"], printed["result"]) == (status.value, "the first answer")


async def test_money_is_rounded_to_six_decimals_in_json(cli: Cli, store: Store) -> None:
    await store.agents.add("coder", command=["echo", "hi"])
    task = await store.tasks.create("priced")
    for cost in (0.1, 0.2):  # summed as binary floats: 0.30000000000000004
        async with store.write() as tx:
            run_id = await store.runs.start_in(tx, task.id, "coder")
        await store.runs.add_usage(run_id, "coder", 1, 1, cost)
    status = json.loads(cli.ok("status", "--json"))
    assert status["cost_usd"] == 0.3
    assert [a["cost_usd"] for a in status["agents"]] == [0.3]
    assert json.loads(cli.ok("agent", "show", "coder", "--json"))["cost_usd"] == 0.3


def test_an_unknown_name_in_a_description_is_warned_about(cli: Cli) -> None:
    cli.ok("init")
    cli.ok("agent", "add", "coder", "--command", "echo hi")
    added = cli("task", "add", "Review", "--description", "@ghost and @coder have a look")
    assert added.returncode == 0, added.stderr
    assert added.stdout == "TASK-001\n"
    assert added.stderr == "warning: @ghost is not an agent or the user; kept as plain text\n"
    # The known name is still notified, as msg post does.
    assert cli.rows("SELECT recipient FROM notifications") == [("coder",)]
    edited = cli("task", "edit", "TASK-001", "--description", "now @phantom too")
    assert edited.returncode == 0, edited.stderr
    assert "@phantom is not an agent" in edited.stderr
    quiet = cli("task", "add", "Plain", "--description", "@coder only")
    assert (quiet.returncode, quiet.stderr) == (0, "")
