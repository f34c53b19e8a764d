"""Helpers for the scheduler-in-a-worktree tests: a repository workspace with stand-in coding
agents (tests/worktrees/agents/coder.py) configured, and reading back what they did."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import Cli
from tests.worktrees.cli_setup import repo_workspace

CODER = Path(__file__).parent / "agents" / "coder.py"


def coder(name: str, mode: str, log: Path, *extra: str, table: str = "") -> str:
    argv = json.dumps([sys.executable, str(CODER), mode, str(log), *extra])
    return f'[[agents]]\nname = "{name}"\ncommand = {argv}\n{table}\n'


def setup(cli: Cli, config: str) -> Path:
    """The CLI's workspace as a repository with `.maos/` ignored, initialised, configured."""
    repo_workspace(cli.workspace)
    cli.ok("init")
    configure(cli, config)
    return cli.workspace


def configure(cli: Cli, config: str) -> None:
    path = cli.workspace / ".maos" / "config.toml"
    path.write_text("[scheduler]\nretry_base_seconds = 0\n\n" + config, encoding="utf-8")


def task(cli: Cli, task_id: str) -> dict:
    return json.loads(cli.ok("task", "show", task_id, "--json"))


def run_until_idle(cli: Cli, timeout: float = 120) -> str:
    result = cli("run", "--until-idle", "--max-seconds", str(timeout - 20), timeout=timeout)
    assert result.returncode == 0, result.stderr + result.stdout
    return result.stdout


def runs_of(log: Path, task_id: str) -> list[dict]:
    path = log / f"{task_id}.runs"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def wait_for(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what}: not reached in {timeout:g}s"
        time.sleep(0.05)
