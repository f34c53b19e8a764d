"""TUI fixtures: the app on a real store in tmp_path, a fixed clock, no background services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from maos_tui.config import Workspace, load_config
from maos_tui.store import Store
from maos_tui.tui.app import MaosApp
from maos_tui.tui.widgets.board import TaskList

FIXED_NOW = datetime(2025, 6, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def make_app(workspace: Path, store: Store) -> Callable[..., MaosApp]:
    def factory(**kwargs: object) -> MaosApp:
        ws = Workspace(workspace)
        return MaosApp(
            ws,
            load_config(ws),
            store=store,
            start_services=False,
            clock=lambda: FIXED_NOW,
            **kwargs,  # type: ignore[arg-type]
        )

    return factory


def column(app: MaosApp, status: str) -> TaskList:
    return app.main_screen.query_one(f"#list-{status}", TaskList)


def card_ids(app: MaosApp, status: str) -> list[str]:
    return [o.id for o in column(app, status).options if o.id]
