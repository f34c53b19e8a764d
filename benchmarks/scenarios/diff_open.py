"""diff-open: the diff screen of a task whose branch changes 20,000 lines, from the key that
opens it to its first screen drawn: the task's branch read from the store, `git diff` in a
worker thread, the lines read into the screen's model, the file list and the first rows.

Runs the real `MaosApp` under Textual's `run_test` (headless, background services off) on
a real repository; each sample opens the screen afresh.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path
from typing import Any

from benchmarks.data import Bench, bench_workspace
from benchmarks.harness import Measured, Options, Target, Unavailable, p95, scenario, summary

CHANGED_LINES = 20_000
FILES = 40  # half changed, half new
SIZE = (160, 48)


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, timeout=600)


def _module(number: int, version: int) -> str:
    # Half the files rewritten (each line removed and added), half new: 3 lines per line.
    lines = CHANGED_LINES // (3 * FILES // 2)
    return "".join(f"VALUE_{number}_{i} = {i * version}  # line {i}\n" for i in range(lines))


def _make_change(root: Path) -> tuple[str, str]:
    """A repository whose task branch rewrites half of the files and adds the other half;
    returns the branch and the base's SHA."""
    _git(root, "init", "-q", "-b", "main")
    _git(root, "config", "user.name", "Bench")
    _git(root, "config", "user.email", "bench@example.com")
    (root / ".gitignore").write_text(".maos/\n")
    (root / "pkg").mkdir()
    for number in range(FILES // 2):
        (root / "pkg" / f"mod{number:03d}.py").write_text(_module(number, 1))
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "base")
    base = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                          text=True, check=True).stdout.strip()  # fmt: skip
    branch = "maos/TASK-001-bench"
    _git(root, "checkout", "-q", "-b", branch)
    for number in range(FILES):
        (root / "pkg" / f"mod{number:03d}.py").write_text(_module(number, 2))
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "TASK-001: the change")
    _git(root, "checkout", "-q", "main")
    return branch, base


async def _record(bench: Bench, branch: str, base: str) -> Any:
    from maos_tui.domain import TaskStatus
    from maos_tui.store.worktree_state import TaskBranchService

    store = await bench.open_store()
    task = await store.tasks.create("Rewrite the modules")
    await TaskBranchService(store).created(
        task.id, branch=branch, base_branch="main", base_sha=base, path=str(bench.root),
        actor="bench",
    )  # fmt: skip
    await store.tasks.move(task.id, TaskStatus.REVIEW)
    return store, task.id


def _watch_rows() -> list[bool]:
    """A list that becomes true once the diff view draws a row of a diff (not the empty view
    it shows while git runs)."""
    from maos_tui.tui.widgets.diff_view import DiffView

    drawn: list[bool] = []
    original = DiffView.render_line

    def render_line(view: DiffView, y: int) -> Any:
        if view.model is not None and not drawn:
            drawn.append(True)
        return original(view, y)

    DiffView.render_line = render_line  # type: ignore[method-assign]
    return drawn


async def _measure(bench: Bench, branch: str, base: str, runs: int) -> tuple[list[float], int]:
    try:
        from maos_tui.config import load_config
        from maos_tui.tui.app import MaosApp
        from maos_tui.tui.screens.diff import DiffScreen
    except ImportError as exc:
        raise Unavailable(f"TUI not importable: {exc}") from None
    store, task_id = await _record(bench, branch, base)
    drawn = _watch_rows()
    samples: list[float] = []
    lines = 0
    try:
        env = bench.env()
        app = MaosApp(bench.workspace, load_config(bench.workspace, env), store=store,
                      start_services=False, env=env)  # fmt: skip
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            for _ in range(runs):
                start = time.perf_counter()
                screen = DiffScreen(task_id)
                app.push_screen(screen)
                drawn.clear()
                while not drawn:
                    # Composite at once rather than at the next frame tick (≤ 1/60 s).
                    if screen.is_current:
                        screen._on_timer_update()
                    await asyncio.sleep(0.001)
                samples.append(time.perf_counter() - start)
                assert screen.model is not None
                lines = len(screen.model)
                app.pop_screen()
                await pilot.pause()
    finally:
        await store.close()
    return samples, lines


@scenario("diff-open", "diff screen of a 20,000-line change: first screen, p95", Target(200, "ms"))
def diff_open(options: Options) -> Measured:
    with bench_workspace() as bench:
        branch, base = _make_change(bench.root)
        samples, lines = asyncio.run(_measure(bench, branch, base, options.runs(10, 2)))
    return Measured(
        p95(samples) * 1000, f"{summary(samples, 'ms', 1000)}; {lines} diff lines, {FILES} files"
    )
