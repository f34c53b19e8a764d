"""The diff screen (`D`): a task's change from a real git worktree, its files with counts,
keys that jump and scroll, comments written to the store, request changes and approve."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Static

from maos_tui.config import Workspace, load_config
from maos_tui.domain import TaskStatus
from maos_tui.review import Side
from maos_tui.store import Store
from maos_tui.store.views import read_view
from maos_tui.tui.app import MaosApp
from maos_tui.tui.diff_model import Kind
from maos_tui.tui.screens.detail import TaskDetailScreen
from maos_tui.tui.screens.diff import CommentInput, DiffScreen
from maos_tui.tui.widgets.diff_view import DiffView
from maos_tui.tui.widgets.scrolling import KeyedList

from .diff_repo import git, task_in_review
from .probes import screen_text, until
from .snapshot_app import no_blink, pin_times
from .test_scroll_keys import scrolls

SIZE = (110, 30)


async def opened(pilot: Pilot[object], app: MaosApp) -> DiffScreen:
    await until(pilot, lambda: isinstance(app.screen, DiffScreen), "the diff screen")
    screen = app.screen
    assert isinstance(screen, DiffScreen)
    await until(pilot, lambda: screen.model is not None, "the diff to load")
    return screen


def file_rows(screen: DiffScreen) -> list[str]:
    files = screen.query_one("#diff-files", KeyedList)
    return [str(files.get_option_at_index(i).prompt) for i in range(files.option_count)]


async def test_D_on_the_board_shows_the_files_with_counts_and_the_diff(
    store: Store, workspace: Path, make_app: Callable[..., MaosApp]
) -> None:
    tid = await task_in_review(store, workspace)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.main_screen.board.focus_task(TaskStatus.REVIEW, tid)
        await pilot.press("D")
        screen = await opened(pilot, app)
        assert screen.task_id == tid
        assert [row.split() for row in file_rows(screen)] == [
            ["+0", "-1", "OLD.txt"],
            ["+3", "-0", "docs/notes.md"],
            ["+2", "-1", "src/app.py"],
        ]
        await pilot.pause()
        text = screen_text(app)
        assert "3 files  +5 -2" in text
        assert "-to be removed" in text and "+# Notes" in text
        # Still on screen: the widgets are the same few whatever the diff's length.
        assert len(list(screen.walk_children())) < 40


async def test_D_from_the_task_detail(
    store: Store, workspace: Path, make_app: Callable[..., MaosApp]
) -> None:
    tid = await task_in_review(store, workspace)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(TaskDetailScreen(tid))
        await until(pilot, lambda: isinstance(app.screen, TaskDetailScreen), "the detail")
        await pilot.press("D")
        screen = await opened(pilot, app)
        assert screen.task_id == tid and len(file_rows(screen)) == 3


async def test_n_and_p_jump_between_files(
    store: Store, workspace: Path, make_app: Callable[..., MaosApp]
) -> None:
    tid = await task_in_review(store, workspace)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(DiffScreen(tid))
        screen = await opened(pilot, app)
        view, model = screen.view, screen.model
        assert model is not None
        files = screen.query_one("#diff-files", KeyedList)
        starts = model.starts
        assert view.cursor == starts[0]
        for key, want in (("n", 1), ("n", 2), ("n", 2), ("p", 1), ("p", 0)):
            await pilot.press(key)
            await until(pilot, lambda w=want: view.cursor == starts[w], f"{key} to file {want}")
            assert files.highlighted == want
        await pilot.press("j", "j", "p")  # inside a file: back to its start first
        await until(pilot, lambda: view.cursor == starts[0], "p to this file's start")
        # The file list follows the cursor as it scrolls into the next file.
        for _ in range(starts[1] - starts[0]):
            await pilot.press("j")
        await until(pilot, lambda: files.highlighted == 1, "the list to follow the cursor")


async def test_every_scroll_key_scrolls_a_long_diff(
    store: Store, workspace: Path, make_app: Callable[..., MaosApp]
) -> None:
    tid = await task_in_review(store, workspace)
    tree = workspace / ".maos" / "worktrees" / tid
    (tree / "src" / "big.py").write_text("".join(f"N_{i} = {i}\n" for i in range(600)))
    git(tree, "add", "-A")
    git(tree, "commit", "-q", "-m", "more")
    app = make_app()
    async with app.run_test(size=(100, 24)) as pilot:
        app.push_screen(DiffScreen(tid))
        screen = await opened(pilot, app)
        view = screen.query_one(DiffView)
        await until(pilot, lambda: view.max_scroll_y > 500, "the long diff")
        assert app.focused is view
        await scrolls(pilot, view)
        await pilot.press("j")
        await until(pilot, lambda: view.cursor == 1, "j to move the cursor with the page")


async def test_c_writes_a_comment_on_the_cursor_line(
    store: Store, workspace: Path, make_app: Callable[..., MaosApp]
) -> None:
    tid = await task_in_review(store, workspace)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(DiffScreen(tid))
        screen = await opened(pilot, app)
        model = screen.model
        assert model is not None
        field = screen.query_one(CommentInput)
        await pilot.press("c")  # on the first file's header: not a line of code
        await pilot.pause()
        assert not field.display
        added = next(
            i
            for i in range(len(model))
            if model.kind(i) is Kind.ADDED and "3 * 10" in model.lines[i]
        )
        screen.view.move_cursor(added)
        await pilot.press("c")
        await until(pilot, lambda: field.display and app.focused is field, "the comment field")
        await pilot.press(*"Use a constant", "enter")
        await until(pilot, lambda: bool(screen.comments), "the comment to be saved")
        [comment] = await store.reviews.comments(tid)
        assert (comment.file, comment.line, comment.side, comment.text) == (
            "src/app.py", 8, Side.NEW, "Use a constant",
        )  # fmt: skip
        assert not field.display and app.focused is screen.view
        await pilot.pause()
        assert "Use a constant" in screen_text(app)  # shown under its line
        # escape closes the field without saving
        await pilot.press("c", *"never mind", "escape")
        await until(pilot, lambda: not field.display, "escape to close the field")
        assert len(await store.reviews.comments(tid)) == 1
        assert isinstance(app.screen, DiffScreen)


async def test_R_sends_the_task_back_to_its_author_with_the_comments(
    store: Store, workspace: Path, make_app: Callable[..., MaosApp]
) -> None:
    tid = await task_in_review(store, workspace)
    await store.reviews.add(tid, "src/app.py", 8, "Use a constant")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(DiffScreen(tid))
        await opened(pilot, app)
        await pilot.press("R")
        await until(pilot, lambda: not isinstance(app.screen, DiffScreen), "the screen to close")
    task = await store.tasks.get(tid)
    assert task.status is TaskStatus.IN_PROGRESS and task.review_rounds == 1
    async with read_view(store) as view:
        history = await view.history(tid)
    requested = [a for a in history if a.verb == "changes requested"]
    assert requested and requested[-1].details["comments"] == 1
    # The author's run reads them: still open until the task is back in review.
    assert [c.text for c in await store.reviews.comments(tid)] == ["Use a constant"]


async def test_a_approves_and_merges_the_branch(
    store: Store, workspace: Path, make_app: Callable[..., MaosApp]
) -> None:
    tid = await task_in_review(store, workspace)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(DiffScreen(tid))
        await opened(pilot, app)
        await pilot.press("a")
        await until(pilot, lambda: not isinstance(app.screen, DiffScreen), "the merge", 120)
    task = await store.tasks.get(tid)
    assert task.status is TaskStatus.DONE and task.branch is not None
    assert task.branch.merge_commit
    assert git(workspace, "show", "main:docs/notes.md").startswith("# Notes")
    assert not (workspace / ".maos" / "worktrees" / tid).exists()


async def test_a_task_without_a_branch_shows_a_one_line_error(
    store: Store, workspace: Path, make_app: Callable[..., MaosApp]
) -> None:
    task = await store.tasks.create("Never ran")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("D")
        await until(pilot, lambda: isinstance(app.screen, DiffScreen), "the diff screen")
        error = app.screen.query_one("#diff-error", Static)
        await until(pilot, lambda: error.display, "the error line")
        shown = str(error.render())
        assert shown.startswith(f"error: {task.id} has no worktree") and "\n" not in shown
        await pilot.press("a", "R", "escape")  # nothing to approve: a notice, no crash
        await until(pilot, lambda: not isinstance(app.screen, DiffScreen), "escape to go back")


async def _seed_review(root: Path) -> None:
    store = await Store.open(Workspace(root).default_db_url())
    try:
        tid = await task_in_review(store, root)
        await store.reviews.add(tid, "src/app.py", 8, "Name this factor: SCALE = 10.")
        await pin_times(store)
    finally:
        await store.close()


def test_diff_screen_snapshot(snap_compare, tmp_path: Path) -> None:
    from .conftest import FIXED_NOW

    root = tmp_path / "ws"
    root.mkdir()
    Workspace(root).ensure_dirs()
    asyncio.run(_seed_review(root))
    ws = Workspace(root)
    app = MaosApp(ws, load_config(ws), clock=lambda: FIXED_NOW, start_services=False)

    async def run_before(pilot: Pilot[object]) -> None:
        await pilot.pause()
        app.push_screen(DiffScreen("TASK-001"))
        screen = await opened(pilot, app)
        await until(pilot, lambda: bool(screen.comments), "the comment")
        await pilot.press("n", "n", *"j" * 9)  # src/app.py, on its first added line
        no_blink(app)
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


async def test_control_characters_in_the_change_are_shown_escaped(
    store: Store, workspace: Path, make_app: Callable[..., MaosApp]
) -> None:
    tid = await task_in_review(store, workspace)
    tree = workspace / ".maos" / "worktrees" / tid
    (tree / "AAA.txt").write_text("title \x1b]52;c;aGVsbG8=\x07 [bold]x[/]\n")
    git(tree, "add", "-A")
    git(tree, "commit", "-q", "-m", "hostile")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(DiffScreen(tid))
        screen = await opened(pilot, app)
        assert file_rows(screen)[0].split() == ["+1", "-0", "AAA.txt"]
        await pilot.pause()
        text = screen_text(app)
        assert "+title \\x1b]52;c;aGVsbG8=\\x07 [bold]x[/]" in text
        assert "\x1b" not in text
