"""The header says when each task works in its own git worktree."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from maos_tui.store import Store
from maos_tui.tui.app import MaosApp
from maos_tui.tui.services import Services, workspace_isolation
from maos_tui.tui.widgets.header import StatusHeader
from tests.worktrees.conftest import git, write

SIZE = (120, 30)


def header(app: MaosApp) -> str:
    return str(app.main_screen.query_one(StatusHeader).render())


async def test_the_header_shows_worktree_isolation(
    store: Store, workspace: Path, make_app: Callable[..., MaosApp]
) -> None:
    app = make_app()
    assert workspace_isolation(app.workspace, app.config) == "none"  # not a repository
    async with app.run_test(size=SIZE) as pilot:
        app.services = Services(store, app.workspace, app.config, lambda _p: None)
        app.main_screen.render_board()
        await pilot.pause()
        assert "scheduler off" in header(app) and "worktrees" not in header(app)

        git(workspace, "init", "-q", "-b", "main")
        write(workspace, "README.md", "hi\n")
        git(workspace, "add", "README.md")
        git(workspace, "-c", "user.name=A", "-c", "user.email=a@b", "commit", "-qm", "first")
        app.services.isolation = workspace_isolation(app.workspace, app.config)
        app.main_screen.render_board()
        await pilot.pause()
        assert "scheduler off · worktrees" in header(app)
