"""The insights screen (`I`) and the runs behind one task's cost, on the hand-built history
of tests/test_store_insights.py moved to end at the snapshots' fixed clock."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from maos_tui.config import Workspace, load_config
from maos_tui.store import Store
from maos_tui.tui.app import MaosApp
from maos_tui.tui.screens.insights import InsightsScreen, TaskCostScreen
from tests.test_store_insights import build_history

from .conftest import FIXED_NOW
from .snapshot_app import no_blink

SMALL = (80, 24)
LARGE = (160, 48)


async def fill_history(root: Path) -> Workspace:
    root.mkdir(parents=True, exist_ok=True)
    ws = Workspace(root)
    ws.ensure_dirs()
    store = await Store.open(ws.default_db_url())
    try:
        await build_history(store, now=FIXED_NOW)
    finally:
        await store.close()
    return ws


def app_on(ws: Workspace) -> MaosApp:
    return MaosApp(ws, load_config(ws), clock=lambda: FIXED_NOW, start_services=False)


def history_app(root: Path, theme: str | None = None) -> MaosApp:
    ws = asyncio.run(fill_history(root))
    if theme:
        config_path = Path(os.environ["MAOS_CONFIG"])
        config_path.parent.mkdir(parents=True, exist_ok=True)
        config_path.write_text(f'theme = "{theme}"\n', encoding="utf-8")
    return app_on(ws)


async def until(pilot, check, what: str, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.02)


def opened(*more: str):  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.pause()
        await pilot.press("I")
        await until(pilot, lambda: getattr(pilot.app.screen, "insights", None) is not None,
                    "the insights figures")  # fmt: skip
        if more:
            await pilot.press(*more)
            await until(pilot, lambda: getattr(pilot.app.screen, "cost", None) is not None,
                        "the task's runs")  # fmt: skip
        no_blink(pilot.app)
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "160x48"])
def test_insights_screen(snap_compare, tmp_path: Path, size: tuple[int, int]):  # type: ignore[no-untyped-def]
    app = history_app(tmp_path / "ws")
    assert snap_compare(app, terminal_size=size, run_before=opened())


def test_insights_screen_high_contrast(snap_compare, tmp_path: Path):  # type: ignore[no-untyped-def]
    app = history_app(tmp_path / "ws", theme="maos-high-contrast")
    assert snap_compare(app, terminal_size=SMALL, run_before=opened())


def test_why_a_task_cost_that(snap_compare, tmp_path: Path):  # type: ignore[no-untyped-def]
    app = history_app(tmp_path / "ws")
    assert snap_compare(app, terminal_size=SMALL, run_before=opened("enter"))


async def test_enter_opens_the_runs_and_escape_comes_back(tmp_path: Path) -> None:
    app = app_on(await fill_history(tmp_path / "ws"))
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        await pilot.press("I")
        screen = app.screen
        assert isinstance(screen, InsightsScreen)
        await until(pilot, lambda: screen.insights is not None, "the insights figures")
        assert [t.task_id for t in screen.insights.costliest] == ["TASK-001", "TASK-002",
                                                                  "TASK-004"]  # fmt: skip
        await pilot.press("down", "enter")
        cost = app.screen
        assert isinstance(cost, TaskCostScreen) and cost.task_id == "TASK-002"
        await until(pilot, lambda: cost.cost is not None, "the task's runs")
        await pilot.press("escape")
        assert app.screen is screen
        await pilot.press("escape")
        assert app.screen is app.main_screen
