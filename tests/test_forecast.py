"""The forecast's arithmetic on a hand-built history; every figure worked out by hand.

coder (on m1) did three tasks: T1 in 1 work run ($1.00), T2 in 2 ($3.00), T3 in 1 ($2.00);
qa reviewed T1 once ($0.20) and T2 twice ($0.60). Open: T4 (in progress, one failed run
of $0.50), T5 (inbox), T6 (in review after one work run of $1.00), all coder's; T7 for an
agent with no history, T8 for nobody yet.

coder's work runs: T1 1/$1.00, T2 2/$3.00, T3 1/$2.00, T4 1/$0.50, T6 1/$1.00
  cost per run: mean 7.50/6 = 1.25; each tally's mean run 0.5 1 1 1.5 2 → p90 (rank 5) 2.00
  tokens per run: 7500/6 = 1250
  work runs per done task: 1 2 1 → mean 4/3, p90 (rank 3) 2
  review runs per done task: 1 2 0 → mean 1, p90 (rank 3) 2
review runs: T1 1/$0.20, T2 2/$0.60 → mean 0.80/3, p90 of 0.20 0.30 (rank 2) 0.30;
  tokens 800/3
"""

from __future__ import annotations

import pytest

from maos_tui.forecast import (
    BASIS_AGENT,
    BASIS_NONE,
    BASIS_WORKSPACE,
    Forecaster,
    History,
    OpenTask,
    RunTally,
    chain,
    chains,
    parent_rollups,
    percentile,
    subtree,
    total,
)

TALLIES = [
    RunTally("T1", "coder", "m1", "work", 1, 1.00, 1000),
    RunTally("T2", "coder", "m1", "work", 2, 3.00, 3000),
    RunTally("T3", "coder", "m1", "work", 1, 2.00, 2000),
    RunTally("T4", "coder", "m1", "work", 1, 0.50, 500),
    RunTally("T6", "coder", "m1", "work", 1, 1.00, 1000),
    RunTally("T1", "qa", "m2", "review", 1, 0.20, 200),
    RunTally("T2", "qa", "m2", "review", 2, 0.60, 600),
]
HISTORY = History(TALLIES, frozenset({"T1", "T2", "T3"}), spent_usd=8.30)
OPEN = [
    OpenTask("T4", "four", "in_progress", "coder", "m1"),
    OpenTask("T5", "five", "inbox", "coder", "m1", after=("T4",)),
    OpenTask("T6", "six", "review", "coder", "m1", parent="T5"),
    OpenTask("T7", "seven", "inbox", "newbie", "m9", parent="T5"),
    OpenTask("T8", "eight", "inbox", None, None, after=("T5",)),
]


def test_each_open_task_from_its_agents_history() -> None:
    result = Forecaster(HISTORY).forecast(OPEN)
    t4, t5, t6 = result.tasks["T4"], result.tasks["T5"], result.tasks["T6"]
    # T4 made 1 of its 4/3 runs: 1 more at least (the floor), high 2-1 = 1;
    # reviews: mean 1, high 2. Likely 1*1.25 + 1*0.8/3, high 1*2.00 + 2*0.30.
    assert t4.likely_usd == pytest.approx(91 / 60)
    assert t4.high_usd == pytest.approx(2.60)
    assert t4.likely_tokens == 1517  # 1250 + 800/3
    assert (t4.basis, t4.note) == (BASIS_AGENT, "coder on m1: 6 runs, 3 tasks done")
    # T5 has no run: 4/3 runs, 1 review; high 2 runs, 2 reviews.
    assert t5.likely_usd == pytest.approx(4 / 3 * 1.25 + 0.8 / 3)  # 116/60
    assert t5.high_usd == pytest.approx(2 * 2.00 + 2 * 0.30)
    assert t5.likely_tokens == 1933  # 4/3*1250 + 800/3
    # T6 in review after 1 run: 1/3 run more (high 1), and at least the 1 review it waits for.
    assert t6.likely_usd == pytest.approx(1 / 3 * 1.25 + 1 * 0.8 / 3)  # 41/60
    assert t6.high_usd == pytest.approx(1 * 2.00 + 2 * 0.30)


def test_no_history_for_the_agent_takes_the_workspace_average() -> None:
    result = Forecaster(HISTORY).forecast(OPEN)
    t7, t8 = result.tasks["T7"], result.tasks["T8"]
    # Only coder worked, so the workspace's figures are coder's: T7 and T8 cost what T5 does.
    assert (t7.likely_usd, t7.high_usd) == pytest.approx((116 / 60, 4.6))
    assert (t7.basis, t7.note) == (BASIS_WORKSPACE, "no history: workspace average")
    assert (t8.likely_usd, t8.high_usd) == pytest.approx((116 / 60, 4.6))
    assert (t8.basis, t8.note) == (BASIS_WORKSPACE, "no agent yet: workspace average")


def test_board_parent_and_chain_roll_ups() -> None:
    result = Forecaster(HISTORY).forecast(OPEN)
    assert result.spent_usd == 8.30
    # 91 + 116 + 41 + 116 + 116 sixtieths; highs 2.6 + 4.6 + 2.6 + 4.6 + 4.6.
    assert result.board.likely_usd == pytest.approx(8.0)
    assert result.board.high_usd == pytest.approx(19.0)
    parents = {t.id: t.parent for t in OPEN}
    family = total("T5", result.tasks, subtree("T5", parents))
    assert family.tasks == ("T5", "T6", "T7")
    assert family.likely_usd == pytest.approx((116 + 41 + 116) / 60)
    assert family.high_usd == pytest.approx(4.6 + 2.6 + 4.6)
    # T8 waits on T5, which waits on T4: the one chain, ending at T8.
    (chain,) = chains(OPEN, result.tasks)
    assert (chain.id, set(chain.tasks)) == ("T8", {"T8", "T5", "T4"})
    assert chain.likely_usd == pytest.approx((116 + 116 + 91) / 60)


def test_without_any_history_the_forecast_is_zero_and_says_why() -> None:
    result = Forecaster(History([], frozenset())).forecast(OPEN)
    for estimate in result.tasks.values():
        assert (estimate.likely_usd, estimate.high_usd, estimate.likely_tokens) == (0, 0, 0)
        assert (estimate.basis, estimate.note) == (
            BASIS_NONE,
            "no history: no run has finished yet",
        )
    assert (result.board.likely_usd, result.board.high_usd) == (0, 0)


def test_without_finished_tasks_one_run_is_all_that_is_certain() -> None:
    history = History([RunTally("T4", "coder", "m1", "work", 2, 0.80, 10)], frozenset())
    t5 = Forecaster(history).estimate(OPEN[1])
    # 0.40 a run (both runs in one tally: the high is that tally's mean run too); no
    # per-task figure, so one run and no review.
    assert (t5.likely_usd, t5.high_usd, t5.likely_tokens) == pytest.approx((0.40, 0.40, 5))


def test_nearest_rank_percentile() -> None:
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 90) == 5.0
    assert percentile([1.0] * 9 + [10.0], 90) == 1.0
    assert percentile([7.0], 90) == 7.0


def test_parent_roll_ups_cover_every_ancestor_of_an_open_task() -> None:
    result = Forecaster(HISTORY).forecast(OPEN)
    parents = {"T6": "T5", "T7": "T5", "T5": "T1"}  # T1 is done: its subtree still adds up
    rollups = parent_rollups(OPEN, parents, result.tasks)
    assert [(r.id, r.tasks) for r in rollups] == [
        ("T1", ("T5", "T6", "T7")),
        ("T5", ("T5", "T6", "T7")),
    ]
    assert rollups[0].likely_usd == pytest.approx((116 + 41 + 116) / 60)
    assert chain("T5", OPEN, result.tasks).tasks == ("T5", "T4")
