"""Every board key, driven through the Pilot, checked in the store afterwards."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from maos_tui.domain import TaskStatus
from maos_tui.store import Store
from maos_tui.tui.app import MaosApp
from maos_tui.tui.screens.detail import TaskDetailScreen
from maos_tui.tui.screens.help import HelpScreen

from .conftest import card_ids, column

SIZE = (120, 36)


async def seed(store: Store) -> None:
    await store.agents.add("coder", model="openai/gpt-4o-mini", capabilities=["code"])
    await store.agents.add("qa", model="openai/gpt-4o-mini", capabilities=["review"])
    await store.tasks.create("Write the parser", priority=1)  # TASK-001
    await store.tasks.create("Document the CLI", priority=2)  # TASK-002
    await store.tasks.create("Ship it", priority=0, assignees=["coder"])  # TASK-003 assigned


async def test_board_shows_columns_counts_and_cards(store: Store, make_app: Callable[..., MaosApp]):
    await seed(store)
    app = make_app()
    async with app.run_test(size=SIZE):
        assert card_ids(app, "inbox") == ["TASK-001", "TASK-002"]
        assert card_ids(app, "assigned") == ["TASK-003"]
        title = app.main_screen.query_one("#column-inbox .column-title").render()
        assert "INBOX 2" in str(title)
        assert app.focused is column(app, "inbox")


async def test_navigation_keys(store: Store, make_app: Callable[..., MaosApp]):
    await seed(store)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        inbox = column(app, "inbox")
        await pilot.press("j")
        assert inbox.task_id == "TASK-002"
        await pilot.press("k")
        assert inbox.task_id == "TASK-001"
        await pilot.press("G")
        assert inbox.task_id == "TASK-002"
        await pilot.press("g")
        assert inbox.task_id == "TASK-001"
        await pilot.press("l")
        assert app.focused is column(app, "assigned")
        await pilot.press("right")
        assert app.focused is column(app, "in_progress")
        await pilot.press("h", "left")
        assert app.focused is inbox
        await pilot.press("down")
        assert inbox.task_id == "TASK-002"


async def test_brackets_move_to_neighbour_columns(store: Store, make_app: Callable[..., MaosApp]):
    await seed(store)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.main_screen
        await pilot.press("right_square_bracket")
        await screen.settle_writes()
        assert (await store.tasks.get("TASK-001")).status is TaskStatus.ASSIGNED
        assert "TASK-001" in card_ids(app, "assigned")
        await pilot.press("right_square_bracket", "right_square_bracket")
        await screen.settle_writes()
        assert (await store.tasks.get("TASK-001")).status is TaskStatus.REVIEW
        await pilot.press("left_square_bracket")
        await screen.settle_writes()
        assert (await store.tasks.get("TASK-001")).status is TaskStatus.IN_PROGRESS
        # u undoes the last move.
        await pilot.press("u")
        await pilot.pause()
        await screen.settle_writes()
        assert (await store.tasks.get("TASK-001")).status is TaskStatus.REVIEW


async def test_status_picker(store: Store, make_app: Callable[..., MaosApp]):
    await seed(store)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("m")
        await pilot.pause()
        # The picker starts on the current status (inbox); done is four below.
        await pilot.press("down", "down", "down", "down", "enter")
        await pilot.pause()
        await app.main_screen.settle_writes()
        assert (await store.tasks.get("TASK-001")).status is TaskStatus.DONE
        assert "TASK-001" in card_ids(app, "done")


async def test_priority_keys(store: Store, make_app: Callable[..., MaosApp]):
    await seed(store)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        for key in "0123":
            await pilot.press(key)
            await pilot.pause()
            assert (await store.tasks.get("TASK-001")).priority == int(key)


async def test_archive_and_undo(store: Store, make_app: Callable[..., MaosApp]):
    await seed(store)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d")
        await pilot.pause()
        assert (await store.tasks.get("TASK-001")).archived
        assert "TASK-001" not in card_ids(app, "inbox")
        await pilot.press("u")
        await pilot.pause()
        assert not (await store.tasks.get("TASK-001")).archived
        assert "TASK-001" in card_ids(app, "inbox")


async def test_assign_picker_toggles(store: Store, make_app: Callable[..., MaosApp]):
    await seed(store)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("enter")  # coder, the first agent
        await pilot.pause()
        task = await store.tasks.get("TASK-001")
        assert task.assignees == ("coder",)
        assert task.status is TaskStatus.ASSIGNED
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("enter")  # coder again: unassigned
        await pilot.pause()
        assert (await store.tasks.get("TASK-001")).assignees == ()


async def test_retry_and_cancel_with_confirmation(store: Store, make_app: Callable[..., MaosApp]):
    await seed(store)
    await store.tasks.move("TASK-001", TaskStatus.FAILED)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.main_screen.board.focus_task(TaskStatus.FAILED, "TASK-001")
        await pilot.press("r")
        await pilot.pause()
        assert (await store.tasks.get("TASK-001")).status is TaskStatus.INBOX
        app.main_screen.board.focus_task(TaskStatus.INBOX, "TASK-002")
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("n")  # no: nothing happens
        await pilot.pause()
        assert (await store.tasks.get("TASK-002")).status is TaskStatus.INBOX
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert (await store.tasks.get("TASK-002")).status is TaskStatus.CANCELLED


async def test_pause_key_drives_the_scheduler(store: Store, make_app: Callable[..., MaosApp]):
    class FakeScheduler:
        state = "running"
        active_runs: ClassVar[dict[str, object]] = {}

        def pause(self) -> None:
            self.state = "paused"

        def resume(self) -> None:
            self.state = "running"

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")  # no scheduler yet: a notice, nothing breaks
        await pilot.pause()
        assert app.scheduler_state == "off"
        from maos_tui.tui.services import Services

        app.services = Services(store, app.workspace, app.config, lambda _p: None)
        app.services.scheduler = FakeScheduler()
        await pilot.press("p")
        assert app.scheduler_state == "paused"
        await pilot.press("p")
        assert app.scheduler_state == "running"


async def test_filter_and_escape(store: Store, make_app: Callable[..., MaosApp]):
    await seed(store)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        await pilot.press(*"parser")
        await pilot.pause()
        assert card_ids(app, "inbox") == ["TASK-001"]
        await pilot.press("enter")
        await pilot.press("escape")
        await pilot.pause()
        assert card_ids(app, "inbox") == ["TASK-001", "TASK-002"]
        await pilot.press("slash")
        await pilot.press(*"@coder p0")
        await pilot.pause()
        assert card_ids(app, "inbox") == [] and card_ids(app, "assigned") == ["TASK-003"]


async def test_enter_opens_detail_and_dependencies_navigate(
    store: Store, make_app: Callable[..., MaosApp]
):
    await seed(store)
    await store.tasks.edit("TASK-002", after=["TASK-001"], description="# Heading\n\nSome *text*")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TaskDetailScreen) and screen.task_id == "TASK-001"
        await pilot.press("enter")  # "blocks TASK-002"
        await pilot.pause()
        assert isinstance(app.screen, TaskDetailScreen) and app.screen.task_id == "TASK-002"
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert app.screen is app.main_screen


async def test_help_lists_every_key_and_quit(store: Store, make_app: Callable[..., MaosApp]):
    from maos_tui.tui.keys import KEYS

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-keys").render())
        for spec in KEYS:
            assert spec.description in text
        await pilot.press("escape")
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_palette_offers_every_board_action(store: Store, make_app: Callable[..., MaosApp]):
    from maos_tui.tui.keys import KEYS, PALETTE_SCOPES

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        titles = {c.title for c in app.get_system_commands(app.main_screen)}
        wanted = {s.description for s in KEYS if s.palette and s.scope in PALETTE_SCOPES}
        assert wanted <= titles
        await pilot.press("ctrl+p")
        await pilot.press(*"New task")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "TaskForm"


async def test_keymap_from_config_remaps(
    store: Store, make_app: Callable[..., MaosApp], isolated_env
):
    isolated_env.parent.mkdir(parents=True, exist_ok=True)
    isolated_env.write_text('[keymap]\n"task.new" = "ctrl+o"\n', encoding="utf-8")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is app.main_screen
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert type(app.screen).__name__ == "TaskForm"


async def test_feed_follows_focused_task(store: Store, make_app: Callable[..., MaosApp]):
    await seed(store)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        feed = app.main_screen.feed
        assert len(feed.lines) == 5  # two agents added, three tasks created
        await pilot.press("f")
        await pilot.pause()
        assert len(feed.lines) == 1  # only TASK-001's creation
        await pilot.press("f")
        await pilot.pause()
        assert len(feed.lines) == 5
