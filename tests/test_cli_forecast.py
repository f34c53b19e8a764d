"""`maos-tui forecast`, through the real program in subprocesses.

History: coder finished TASK-001 in two work runs ($1.00, $3.00) and TASK-002 in one
($0.50). Per run: mean 4.50/3 = $1.50; the tallies' mean runs are 2.00 and 0.50, p90 2.00.
Runs per task: 2 and 1, mean 1.5, p90 2. No reviews. So an open task of coder's (or, with
only coder's history, of nobody's yet) costs 1.5 x 1.50 = $2.25 likely, 2 x 2.00 = $4.00
high.
"""

from __future__ import annotations

import json

from tests.conftest import Cli

RUNS = [("TASK-001", 1.00), ("TASK-001", 3.00), ("TASK-002", 0.50)]


def seed(cli: Cli) -> None:
    cli.ok("init")
    cli.ok("agent", "add", "coder", "--model", "openai/gpt-4o-mini")
    for title in ("done one", "done two"):
        cli.ok("task", "add", title)
    cli.ok("task", "add", "parent", "--assign", "coder")
    cli.ok("task", "add", "child", "--parent", "TASK-003", "--after", "TASK-003")
    for n in (1, 2):
        cli.ok("task", "move", f"TASK-00{n}", "done")
    for task_id, cost in RUNS:
        cli.rows(
            "INSERT INTO runs (task_id, agent_name, kind, started_at, ended_at, outcome,"
            " tokens_in, tokens_out, cost_usd, output_log) VALUES (:task, 'coder', 'work',"
            " '2026-01-01 10:00:00', '2026-01-01 10:05:00', 'done', 100, 50, :cost, '')",
            task=task_id,
            cost=cost,
        )


def test_the_board_forecast_in_words(cli: Cli) -> None:
    seed(cli)
    lines = cli.ok("forecast").splitlines()
    assert (
        lines[0] == "board: $4.50 likely, $8.00 high to finish (2 open tasks); $4.50 spent so far"
    )
    basis = "coder on openai/gpt-4o-mini: 3 runs, 2 tasks done"
    assert lines[3] == f"TASK-003  assigned        $2.25     $4.00  {basis}  · parent"
    assert (
        lines[4]
        == "TASK-004  inbox           $2.25     $4.00  no agent yet: workspace average  · child"
    )
    assert lines[6:] == [
        "parents, with their subtasks:",
        "TASK-003      $4.50 likely     $8.00 high  TASK-003 TASK-004",
        "",
        "chains:",
        "TASK-004      $4.50 likely     $8.00 high  TASK-004 TASK-003",
    ]


def test_the_json_of_one_task(cli: Cli) -> None:
    seed(cli)
    shown = json.loads(cli.ok("forecast", "TASK-004", "--json"))
    assert shown == {
        "scope": "TASK-004",
        "spent_usd": 4.5,
        "likely_usd": 2.25,
        "high_usd": 4.0,
        "tasks": [
            {
                "id": "TASK-004",
                "title": "child",
                "status": "inbox",
                "agent": None,
                "model": None,
                "likely_usd": 2.25,
                "high_usd": 4.0,
                "likely_tokens": 225,
                "basis": "workspace",
                "note": "no agent yet: workspace average",
            }
        ],
        "parents": [],
        # To finish TASK-004, TASK-003 must be finished first.
        "chains": [
            {
                "id": "TASK-004",
                "likely_usd": 4.5,
                "high_usd": 8.0,
                "tasks": ["TASK-004", "TASK-003"],
            }
        ],
    }
    parent = json.loads(cli.ok("forecast", "TASK-003", "--json"))
    assert (parent["likely_usd"], parent["high_usd"]) == (4.5, 8.0)
    assert [t["id"] for t in parent["tasks"]] == ["TASK-003", "TASK-004"]


def test_no_history_is_said_not_guessed(cli: Cli) -> None:
    cli.ok("init")
    cli.ok("task", "add", "first")
    lines = cli.ok("forecast").splitlines()
    assert lines[0] == "board: $0.00 likely, $0.00 high to finish (1 open task); $0.00 spent so far"
    assert lines[3].endswith("$0.00     $0.00  no history: no run has finished yet  · first")


def test_an_unknown_task_is_one_error_line(cli: Cli) -> None:
    seed(cli)
    result = cli("forecast", "TASK-099")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "TASK-099" in result.stderr
    bad = cli("forecast", "nonsense")
    assert bad.returncode == 2 and bad.stderr.startswith("error: ")


def test_task_allow_records_the_allowance_once(cli: Cli) -> None:
    cli.ok("init")
    cli.ok("task", "add", "pricey")
    cli.rows(
        "UPDATE tasks SET status_reason = :reason WHERE id = 'TASK-001'",
        reason="held: forecast $1.00 would pass budget $2.50",
    )
    assert cli.ok("task", "allow", "TASK-001") == "TASK-001 may start once, whatever its forecast\n"
    shown = json.loads(cli.ok("task", "show", "TASK-001", "--json"))
    assert shown["status"] == "inbox"
    # The card no longer says held: the next pass starts it.
    assert cli.rows("SELECT status_reason FROM tasks WHERE id = 'TASK-001'") == [(None,)]
    verbs = cli.rows("SELECT actor, verb FROM activities WHERE task_id = 'TASK-001' ORDER BY id")
    assert verbs[-1] == ("human", "allowed past forecast")
    again = json.loads(cli.ok("task", "allow", "TASK-001", "--json"))
    assert again["id"] == "TASK-001"
    missing = cli("task", "allow", "TASK-042")
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1
    assert missing.stderr.startswith("error: ") and "TASK-042" in missing.stderr
