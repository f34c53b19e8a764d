"""A task whose work waits for the person's review (worktree isolation, no reviewer agent)
alerts them, from `maos-tui run` itself; one an agent reviews does not."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.conftest import Cli
from tests.worktrees.scheduled import coder, run_until_idle, setup, task


def _alerts_to(path: Path) -> str:
    append = f"import sys; open({str(path)!r}, 'a').write(sys.stdin.read() + '\\n')"
    return f"[alerts]\ncommand = {json.dumps([sys.executable, '-c', append])}\n"


def _kinds(path: Path) -> list[tuple[str, str | None]]:
    lines = path.read_text().splitlines() if path.exists() else []
    return [(a["kind"], a["task_id"]) for line in lines for a in json.loads(line)["alerts"]]


def test_work_waiting_for_the_persons_review_alerts_them(cli: Cli, tmp_path: Path) -> None:
    got = tmp_path / "alerts.jsonl"
    setup(cli, coder("coder", "edit", tmp_path / "log") + _alerts_to(got))
    run_until_idle(cli)  # the alerts start, and read on from here
    tid = cli.ok("task", "add", "Write the notes").strip()
    run_until_idle(cli)
    assert task(cli, tid)["status"] == "review"
    assert _kinds(got) == [("review", tid)]


def test_work_a_reviewer_agent_takes_alerts_nobody(cli: Cli, tmp_path: Path) -> None:
    got, log = tmp_path / "alerts.jsonl", tmp_path / "log"
    reviewer = coder("checker", "nothing", log, table='capabilities = ["review"]')
    setup(cli, coder("coder", "edit", log) + reviewer + _alerts_to(got))
    run_until_idle(cli)
    tid = cli.ok("task", "add", "Reviewed work", "--assign", "coder").strip()
    run_until_idle(cli)
    assert task(cli, tid)["branch"]["approved_by"] == "checker"
    assert _kinds(got) == []
