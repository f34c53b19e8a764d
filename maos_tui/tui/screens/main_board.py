"""The main screen's base: its widgets, the board it shows, and how it reads and redraws
that board. The keys that change the board are in main_moves.py, main_edits.py and
main_views.py; main.py puts them together.

Keys patch the on-screen cards at once (so a key answers without waiting for a full
reload) and leave the reconciling reload to the app's change watcher.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.dom import NoScreen
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, Static

from maos_tui.domain import HUMAN, ActivityRecord, TaskRecord, TaskStatus, task_number
from maos_tui.events import Event
from maos_tui.tui.attempt import attempt
from maos_tui.tui.board_data import (
    NEWEST_FIRST,
    PAGE,
    BoardData,
    first_board,
    load_board,
    read_feed,
    reread_changed,
)
from maos_tui.tui.filters import BoardFilter
from maos_tui.tui.narrow import MIN_HEIGHT, MIN_WIDTH, ColumnSwitcher, fit_layout
from maos_tui.tui.services import isolation_note, workers_note
from maos_tui.tui.to_go import BoardForecast
from maos_tui.tui.widgets.agent_bar import AgentBar
from maos_tui.tui.widgets.board import Board
from maos_tui.tui.widgets.db_banner import DbBanner
from maos_tui.tui.widgets.feed import ActivityFeed
from maos_tui.tui.widgets.footer import KeyFooter
from maos_tui.tui.widgets.header import StatusHeader
from maos_tui.tui.widgets.welcome import Welcome
from maos_tui.tui.write_queue import WriteQueue

if TYPE_CHECKING:
    from maos_tui.store.stdlib.first_read import FirstReader
    from maos_tui.tui.app import MaosApp

T = TypeVar("T")
FEED_FIRST = 20  # feed lines read for the first paint (the feed shows six)

# What drawing raises once the app has begun removing its widgets on exit.
_TEARDOWN = (NoMatches, NoScreen)
Undo = tuple[str, str, TaskStatus]  # ("move" or "archive", task ID, the status before)


def _reraise(error: BaseException) -> None:
    raise error


class BoardScreen(Screen[None]):
    app: MaosApp
    # Textual repaints the whole screen when focus moves, yet only the two widgets whose
    # focus styles change look different, and those repaint themselves.
    focused: Reactive[Widget | None] = Reactive(None, repaint=False)

    def __init__(self) -> None:
        super().__init__(id="main")
        self.data = BoardData()
        self.limits: dict[TaskStatus, int] = {}
        self.filter = BoardFilter()
        self.feed_task: str | None = None
        self.undo_stack: list[Undo] = []
        self.filled = False  # the full pages the first paint left out are read
        self._first_feed: list[ActivityRecord] = []
        self.patches = 0  # how many times a key patched the board in (see place())
        self.forecast = BoardForecast()
        self._forecast_wanted = self._forecasting = False
        # A bug in a write fails as a key's handler would.
        self.writes = WriteQueue(lambda error: self.app.call_later(_reraise, error))
        # Held, not queried: redraws that land while the app tears down on exit then touch
        # detached widgets harmlessly instead of failing to find them.
        self.header = StatusHeader(id="header")
        self.db_banner = DbBanner(id="db-banner")
        self.agent_bar = AgentBar(id="agent-bar")
        self.welcome = Welcome(id="welcome")
        self.board = Board()
        self.switcher = ColumnSwitcher(self.board)
        self.feed = ActivityFeed(id="feed")

    def compose(self) -> ComposeResult:
        yield self.header
        yield self.db_banner
        yield self.agent_bar
        with Vertical(id="body"):
            yield self.welcome
            yield self.switcher
            yield self.board
            yield self.feed
        yield Input(placeholder="filter: words @agent status:name p0-p3 blocked", id="filter")
        yield Static(
            f"Terminal too small: maos-tui needs at least {MIN_WIDTH}×{MIN_HEIGHT}.",
            id="too-small",
        )
        yield KeyFooter()

    def on_resize(self) -> None:
        fit_layout(self, self.board, self.switcher)

    # ------------------------------------------------------------ loading

    async def reload(self) -> None:
        """Read the store and redraw what changed."""
        # Timers, store events and filter workers can still call in while the app tears
        # its widgets down on exit: there is nothing left to draw then, and no error to show.
        with contextlib.suppress(*_TEARDOWN):
            await self._reload()

    async def finish_loading(self) -> None:
        """After the first paint: read the full column pages and the feed's history."""
        with contextlib.suppress(*_TEARDOWN):
            await self._reload(refill_feed=True)
            self.filled = True

    async def read_first(self, reader: FirstReader | None = None) -> None:
        """The first paint's read, made before the screen is drawn (MaosApp.on_load).

        Only the cards a column can show, not a whole page, and the feed's last lines:
        building and measuring a hundred cards a column was much of the wait. The rest
        is read right after the paint (finish_loading). With `reader`, the same statements
        run on the stdlib reader, before the store is open; sqlite3.Error then escapes."""
        shown = min(PAGE, self.app.size.height // 2 + 1)
        limits = dict.fromkeys(TaskStatus, shown)
        if reader is not None:
            self.data = first_board(reader, limits)
            self._first_feed = reader.feed(FEED_FIRST)
            return
        self.data = await load_board(self.app.store, limits, self.filter)
        # Only the unread count: toasting marks notifications delivered, a write that
        # finish_loading does once the board is up.
        self.data.unread = await self.app.store.notifications.unread_count(HUMAN)
        self._first_feed = await read_feed(self.app.store, 0, FEED_FIRST)

    def on_mount(self) -> None:
        self.show_first()

    def show_first(self) -> None:
        """Draw what read_first read, once the screen's widgets are mounted. Nothing here
        awaits: an await would let Textual paint a half-filled screen first, a full-screen
        render that is thrown away."""
        self.render_board()
        self.feed.add(self._first_feed)
        filled = next((lst for lst in self.board.lists() if lst.option_count), None)
        (filled or self.board.lists()[0]).focus()

    async def _reload(self, *, refill_feed: bool = False) -> None:
        from maos_tui.tui.notices import toast_new

        for _attempt in range(3):  # keys held down must not starve the reload
            # A read made before a drawn move is saved (retries too) draws it where it was.
            await self.settle_writes()
            patches = self.patches
            data = await load_board(self.app.store, self.limits, self.filter)
            # A key changed a card while this read ran: it may predate that change, and
            # drawing it would undo what the key just showed.
            if self.patches == patches:
                break
        self.data = data
        self.data.unread = await toast_new(self.app)
        self.render_board()
        self.read_forecast_soon()
        if refill_feed:
            self.feed.replace(await read_feed(self.app.store, 0))
        else:
            self.feed.add(await read_feed(self.app.store, self.feed.last_id))

    async def refresh_after(self, events: list[Event]) -> None:
        """Show commits this process made: when they are all the store has changed since
        the last read and only touched tasks, re-read just the columns they concern;
        otherwise reload everything. A moved card thus costs two column reads, not ten."""
        with contextlib.suppress(*_TEARDOWN):
            if not await self._patch(events):
                await self._reload()

    async def _patch(self, events: list[Event]) -> bool:
        activities = [e.activity.id for e in events if e.topic == "task" and e.activity]
        if not self.filled or self.filter.active or len(activities) != len(events):
            return False
        await self.settle_writes()  # see _reload()
        patches = self.patches
        changed = [e.task_id for e in events if e.task_id is not None]
        expected = (len(events), max(activities))
        feed = await reread_changed(
            self.app.store, self.data, changed, self.feed.last_id, expected, self.limits
        )
        if feed is None:
            return False
        self.feed.add(feed)
        if self.patches != patches:  # see _reload()
            return False
        self.render_board()
        self.read_forecast_soon()
        return True

    def read_forecast_soon(self) -> None:
        """Read the cost to finish again in one worker: a reload landing while it reads
        makes it read once more after, not start a second read."""
        self._forecast_wanted = True
        if not self._forecasting:
            self._forecasting = True
            self.run_worker(self._read_forecast(), group="forecast", exit_on_error=False)

    async def _read_forecast(self) -> None:
        try:
            while self._forecast_wanted:
                self._forecast_wanted = False
                if await self.forecast.refresh(self.app.store, self.data.counts):
                    with contextlib.suppress(*_TEARDOWN):
                        self._show_header()
        finally:
            self._forecasting = False

    def render_board(self) -> None:
        with contextlib.suppress(*_TEARDOWN):  # see reload()
            self._render_board()

    def _render_board(self) -> None:
        now = self.app.clock()
        data = self.data
        self._show_header()
        self.agent_bar.show(data.agents, data.agent_tasks, now)
        empty = not data.agents and not data.total_tasks
        self.set_class(empty, "welcome")
        if empty:
            self.welcome.show(self.app.config.default_model, self.app.workspace)
        self.board.show(data, self.filter, now)
        self.switcher.follow()  # a column may have come or gone

    def _show_header(self) -> None:
        data = self.data
        self.header.show(
            self.app.workspace.name,
            self.app.scheduler_state
            + isolation_note(self.app.services)
            + workers_note(data.workers, self.app.services),
            data.counts,
            float(data.totals.get("cost_usd", 0.0)),
            self.app.clock(),
            data.unread,
            to_go=self.forecast.to_go,
        )

    # ------------------------------------------------------------ helpers

    async def settle_writes(self) -> None:
        """Wait until every move drawn so far is saved or, if refused, put back."""
        await self.writes.settle()

    def focused_task(self) -> TaskRecord | None:
        task_list = self.board.focused_list()
        if task_list is None or task_list.task_id is None:
            return None
        return next(
            (t for t in self.data.columns.get(task_list.status, []) if t.id == task_list.task_id),
            None,
        )

    def require_task(self) -> TaskRecord | None:
        task = self.focused_task()
        if task is None:
            self.notify("Select a card first (arrows or h/j/k/l).", severity="warning")
        return task

    async def attempt(self, action: Callable[[], Awaitable[T]]) -> T | None:
        if self.app.db_status.down:
            # Not after the moves waiting to be saved: the key would hang until they are.
            self.notify(
                "The database is unavailable: nothing was changed (try again once it is back).",
                severity="error",
            )
            return None
        await self.settle_writes()  # a key's write lands after the moves drawn before it
        result = await attempt(self, action)
        # If the app began to exit while the store call ran, the change is saved but there
        # is no board left to update: the caller's follow-up is skipped.
        return result if self.is_attached else None

    def place(self, task: TaskRecord, previous: TaskStatus | None) -> None:
        """Patch the cached board with a changed task and redraw, before any reload."""
        self.patches += 1
        data = self.data
        for status, tasks in data.columns.items():
            data.columns[status] = [t for t in tasks if t.id != task.id]
        if previous is not None and previous is not task.status:
            data.counts[previous.value] = max(0, data.counts.get(previous.value, 0) - 1)
            data.counts[task.status.value] = data.counts.get(task.status.value, 0) + 1
        if not task.archived and task.status in data.statuses():
            column = data.columns.setdefault(task.status, [])
            if task.status in NEWEST_FIRST:
                column.insert(0, task)
            else:
                column.append(task)
                column.sort(key=lambda t: (t.priority, task_number(t.id)))
        # No reload asked for: the store's event for this change makes the app refresh.
        self.render_board()
