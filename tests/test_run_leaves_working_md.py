"""`maos-tui run` leaves WORKING.md current when it exits: the sync's last pass, as it
stops, writes what the runs did (no second rewrite follows it)."""

from __future__ import annotations

from maos_tui.working_md.render import DONE_MARK
from tests.conftest import Cli


def test_run_until_idle_leaves_the_finished_work_in_working_md(cli: Cli) -> None:
    cli.ok("init")
    cli.ok("agent", "add", "builder", "--command", "echo built")
    cli.ok("task", "add", "Build the site", "--assign", "builder")
    cli.ok("run", "--until-idle", "--max-seconds", "100")
    text = (cli.workspace / "WORKING.md").read_text(encoding="utf-8")
    line = next(line for line in text.splitlines() if "Build the site" in line)
    assert line.endswith(DONE_MARK), text
