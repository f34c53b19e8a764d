"""The forecast's read view (store/history_views.py), on both databases: the history of
tests/test_forecast.py written as real rows reads back as the same figures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert

from maos_tui.domain import TaskStatus, utcnow
from maos_tui.forecast import Forecaster, OpenTask, RunTally
from maos_tui.store import Store
from maos_tui.store.history_views import forecast_inputs, history_stamp
from maos_tui.store.models import Run

# (task number, agent, kind, runs, cost of each, tokens of each); numbers as in test_forecast.
RUNS = [
    (1, "coder", "work", 1, 1.00, 1000),
    (2, "coder", "work", 2, 1.50, 1500),
    (3, "coder", "work", 1, 2.00, 2000),
    (4, "coder", "work", 1, 0.50, 500),
    (6, "coder", "work", 1, 1.00, 1000),
    (1, "qa", "review", 1, 0.20, 200),
    (2, "qa", "review", 2, 0.30, 300),
    (5, "qa", "reply", 1, 9.00, 9000),  # a reply is not the task's work: not in the history
]


def tid(n: int) -> str:
    return f"TASK-{n:03d}"


async def seed(store: Store) -> None:
    await store.agents.add("coder", model="openai/gpt-4o-mini")
    await store.agents.add("qa", model="anthropic/claude-sonnet-4-5", capabilities=["review"])
    await store.agents.add("newbie", model="ollama/llama3.1")
    for n in range(1, 4):
        await store.tasks.create(f"done {n}")
        await store.tasks.move(tid(n), TaskStatus.DONE)
    await store.tasks.create("four", assignees=["coder"])
    await store.tasks.create("five", after=[tid(4)])
    await store.tasks.create("six", parent=tid(5))
    await store.tasks.create("seven", parent=tid(5), assignees=["newbie"])
    await store.tasks.create("eight", after=[tid(5)])
    await store.tasks.create("archived", assignees=["coder"])
    await store.tasks.archive(tid(9))
    await store.tasks.move(tid(4), TaskStatus.IN_PROGRESS)
    await store.tasks.move(tid(6), TaskStatus.REVIEW)
    start = utcnow() - timedelta(hours=1)
    rows = [
        dict(
            task_id=tid(n),
            agent_name=agent,
            kind=kind,
            started_at=start,
            ended_at=start + timedelta(minutes=1),
            outcome="done",
            cost_usd=cost,
            tokens_in=tokens // 2,
            tokens_out=tokens - tokens // 2,
        )
        for n, agent, kind, runs, cost, tokens in RUNS
        for _ in range(runs)
    ]
    # An open run: its cost so far is spent, but it is not history yet.
    open_run = dict(rows[0], task_id=tid(4), ended_at=None, outcome=None, cost_usd=0.05)
    rows.append(open_run | {"tokens_in": 0, "tokens_out": 0})
    async with store.write() as tx:
        await tx.conn.execute(insert(Run), rows)


async def test_the_history_and_open_tasks_read_back(store: Store) -> None:
    await seed(store)
    inputs = await forecast_inputs(store)
    history = inputs.history
    assert sorted(history.tallies, key=lambda t: (t.kind, t.task_id)) == [
        RunTally(
            tid(1), "qa", "anthropic/claude-sonnet-4-5", "review", 1, pytest.approx(0.20), 200
        ),
        RunTally(
            tid(2), "qa", "anthropic/claude-sonnet-4-5", "review", 2, pytest.approx(0.60), 600
        ),
        RunTally(tid(1), "coder", "openai/gpt-4o-mini", "work", 1, pytest.approx(1.00), 1000),
        RunTally(tid(2), "coder", "openai/gpt-4o-mini", "work", 2, pytest.approx(3.00), 3000),
        RunTally(tid(3), "coder", "openai/gpt-4o-mini", "work", 1, pytest.approx(2.00), 2000),
        RunTally(tid(4), "coder", "openai/gpt-4o-mini", "work", 1, pytest.approx(0.50), 500),
        RunTally(tid(6), "coder", "openai/gpt-4o-mini", "work", 1, pytest.approx(1.00), 1000),
    ]
    assert history.done == {tid(1), tid(2), tid(3)}
    assert history.spent_usd == pytest.approx(8.30 + 9.00 + 0.05)
    assert inputs.tasks == [
        OpenTask(tid(4), "four", "in_progress", "coder", "openai/gpt-4o-mini"),
        OpenTask(tid(5), "five", "inbox", None, None, None, (tid(4),)),
        # Nobody assigned: the agent that made its work runs works it.
        OpenTask(tid(6), "six", "review", "coder", "openai/gpt-4o-mini", tid(5)),
        OpenTask(tid(7), "seven", "assigned", "newbie", "ollama/llama3.1", tid(5)),
        OpenTask(tid(8), "eight", "inbox", None, None, None, (tid(5),)),
    ]
    assert inputs.parents == {tid(6): tid(5), tid(7): tid(5)}
    # The figures of the hand-checked test: T5 has no agent here, so it takes the
    # workspace's, which are coder's; the board adds up to the same 8.0 and 19.0.
    board = Forecaster(history).forecast(inputs.tasks).board
    assert (board.likely_usd, board.high_usd) == pytest.approx((8.0, 19.0))


async def test_the_stamp_moves_with_the_history(store: Store) -> None:
    async with store.read() as conn:
        assert await history_stamp(conn) == (0, 0, 0)
    await seed(store)
    async with store.read() as conn:
        before = await history_stamp(conn)
    assert before == (len(RUNS) + 3, 1, 3)  # every run row, the open one, three done
    await store.tasks.move(tid(8), TaskStatus.DONE)
    async with store.read() as conn:
        assert await history_stamp(conn) == (before[0], 1, 4)
