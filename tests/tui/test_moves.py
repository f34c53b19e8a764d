"""A moved card is drawn before the move is saved: the write runs in the background, in key
order, and a move the store refuses puts the card back and says why."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from fakes.support import PATIENCE, until

from maos_tui.domain import TaskStatus
from maos_tui.store import Store, StoreError
from maos_tui.tui.app import MaosApp
from maos_tui.tui.screens import main_board as main_screen

from .conftest import card_ids, column

SIZE = (120, 36)


class HeldMoves:
    """store.tasks.move, held until the test lets each call through (in call order)."""

    def __init__(self, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
        self.real = store.tasks.move
        self.gates: list[asyncio.Event] = []
        self.calls = 0
        self.error: Exception | None = None
        monkeypatch.setattr(store.tasks, "move", self.move)

    def release(self, count: int = 1) -> None:
        for _ in range(count):
            self.gate(len([g for g in self.gates if g.is_set()])).set()

    def gate(self, index: int) -> asyncio.Event:
        while len(self.gates) <= index:
            self.gates.append(asyncio.Event())
        return self.gates[index]

    async def move(self, *args: Any, **kwargs: Any) -> Any:
        index = self.calls
        self.calls += 1
        try:
            async with asyncio.timeout(PATIENCE):
                await self.gate(index).wait()
        except TimeoutError:
            # A test that failed before releasing a move must not hang on the app's exit,
            # which waits for every drawn move to be saved.
            raise AssertionError(f"move {index + 1} was never released") from None
        if self.error is not None:
            raise self.error
        return await self.real(*args, **kwargs)


async def status(store: Store, task_id: str = "TASK-001") -> TaskStatus:
    return (await store.tasks.get(task_id)).status


async def seed(store: Store) -> None:
    await store.tasks.create("Write the parser", priority=1)  # TASK-001
    await store.tasks.create("Document the CLI", priority=2)  # TASK-002
    await store.tasks.create("Ship it", priority=0)  # TASK-003
    await store.tasks.move("TASK-003", TaskStatus.ASSIGNED)


async def test_a_move_is_drawn_before_it_is_saved(
    store: Store, make_app: Callable[..., MaosApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed(store)
    app = make_app()
    moves = HeldMoves(store, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert card_ids(app, "assigned") == ["TASK-003", "TASK-001"]
        assert card_ids(app, "inbox") == ["TASK-002"]
        assert app.focused is column(app, "assigned")
        assert column(app, "assigned").task_id == "TASK-001"
        assert await status(store) is TaskStatus.INBOX  # not saved yet
        drawn = column(app, "assigned").get_option("TASK-001")
        moves.release()
        await app.main_screen.settle_writes()
        assert await status(store) is TaskStatus.ASSIGNED
        # The saved record differs only in what no card shows: the card is not redrawn.
        assert column(app, "assigned").get_option("TASK-001") is drawn


async def test_a_refused_move_puts_the_card_back_and_says_why(
    store: Store, make_app: Callable[..., MaosApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed(store)
    app = make_app()
    moves = HeldMoves(store, monkeypatch)
    moves.error = StoreError("disk I/O error")
    async with app.run_test(size=SIZE) as pilot:
        title = app.main_screen.query_one("#column-inbox .column-title")
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert card_ids(app, "assigned") == ["TASK-003", "TASK-001"]
        assert "INBOX 1" in str(title.render())
        moves.release()
        await app.main_screen.settle_writes()
        await pilot.pause()
        assert card_ids(app, "inbox") == ["TASK-001", "TASK-002"]
        assert card_ids(app, "assigned") == ["TASK-003"]
        assert "INBOX 2" in str(title.render())
        # The cursor, still on the card, goes back with it.
        assert app.focused is column(app, "inbox")
        assert column(app, "inbox").task_id == "TASK-001"
        errors = [n for n in app._notifications if n.severity == "error"]
        assert [(n.title, n.message) for n in errors] == [
            ("TASK-001 not moved to assigned", "disk I/O error")
        ]
        assert app.main_screen.undo_stack == []  # nothing to undo
        assert await status(store) is TaskStatus.INBOX


async def test_a_refused_move_leaves_the_cursor_where_it_went(
    store: Store, make_app: Callable[..., MaosApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed(store)
    app = make_app()
    moves = HeldMoves(store, monkeypatch)
    moves.error = StoreError("disk I/O error")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("right_square_bracket", "up")  # on to TASK-003
        await pilot.pause()
        moves.release()
        await app.main_screen.settle_writes()
        assert card_ids(app, "inbox") == ["TASK-001", "TASK-002"]
        assert app.focused is column(app, "assigned")
        assert column(app, "assigned").task_id == "TASK-003"


async def test_moves_are_saved_in_key_order_and_the_card_shows_the_last(
    store: Store, make_app: Callable[..., MaosApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed(store)
    app = make_app()
    moves = HeldMoves(store, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("right_square_bracket", "right_square_bracket")
        await pilot.pause()
        assert card_ids(app, "in_progress") == ["TASK-001"]
        moves.release()  # the first move is saved: the card stays where the second put it
        await until(lambda: moves.calls == 2, message="the second move never started")
        assert await status(store) is TaskStatus.ASSIGNED
        await pilot.pause()
        assert card_ids(app, "in_progress") == ["TASK-001"]
        assert "TASK-001" not in card_ids(app, "assigned")
        moves.release()
        await app.main_screen.settle_writes()
        assert await status(store) is TaskStatus.IN_PROGRESS
        assert card_ids(app, "in_progress") == ["TASK-001"]


async def test_a_reload_waits_for_the_moves_already_drawn(
    store: Store, make_app: Callable[..., MaosApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed(store)
    app = make_app()
    moves = HeldMoves(store, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("right_square_bracket")
        await pilot.pause()
        # A read now would find the card still in the inbox and draw it there.
        reload = asyncio.ensure_future(app.main_screen.reload())
        await asyncio.sleep(0.2)
        assert not reload.done()
        assert "TASK-001" in card_ids(app, "assigned")
        moves.release()
        await reload
        assert card_ids(app, "assigned") == ["TASK-003", "TASK-001"]


async def test_a_move_drawn_while_the_board_is_read_stays_drawn(
    store: Store, make_app: Callable[..., MaosApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read that began before a key moved a card is read again; the new read waits for
    the move to be saved, or it would draw the card back where the store still has it."""
    await seed(store)
    app = make_app()
    moves = HeldMoves(store, monkeypatch)
    reading, read_done = asyncio.Event(), asyncio.Event()

    async def held_read(*args: Any, **kwargs: Any) -> Any:
        board = await real_read(*args, **kwargs)
        if not read_done.is_set():
            reading.set()
            async with asyncio.timeout(PATIENCE):
                await read_done.wait()
        return board

    real_read = main_screen.load_board
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: app.main_screen.filled, pause=pilot.pause)
        monkeypatch.setattr(main_screen, "load_board", held_read)
        reload = asyncio.ensure_future(app.main_screen.reload())
        await until(reading.is_set, message="the reload never read the board")
        await pilot.press("right_square_bracket")
        read_done.set()  # the read, made before the move, comes back
        await until(lambda: moves.calls == 1, pause=pilot.pause)
        await pilot.pause(0.2)
        assert card_ids(app, "assigned") == ["TASK-003", "TASK-001"]
        moves.release()
        await reload
        assert card_ids(app, "assigned") == ["TASK-003", "TASK-001"]
        assert await status(store) is TaskStatus.ASSIGNED


async def test_a_move_made_just_before_quitting_is_saved(
    store: Store, make_app: Callable[..., MaosApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed(store)
    app = make_app()
    moves = HeldMoves(store, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("right_square_bracket")
        await pilot.pause()
        # Let the write through only once the app is closing.
        asyncio.get_running_loop().call_later(0.3, moves.release)
        app.exit()
    assert await status(store) is TaskStatus.ASSIGNED
