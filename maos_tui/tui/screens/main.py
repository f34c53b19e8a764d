"""The main screen: header, agent bar, board, activity feed, filter line and footer.

Key actions mutate through the store's services, patch the on-screen cards at once (so a
key answers without waiting for a full reload) and leave the reconciling reload to the
app's change watcher. A move is drawn before it is saved: the store write (10-15 ms) runs
in the background, moves commit in key order, and a refused one puts the card back.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, ClassVar, TypeVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.dom import NoScreen
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, OptionList, Static

from maos_tui.domain import (
    BOARD_STATUSES,
    HUMAN,
    ActivityRecord,
    TaskRecord,
    TaskStatus,
    task_number,
)
from maos_tui.events import Event
from maos_tui.tui import queries
from maos_tui.tui.attempt import attempt
from maos_tui.tui.board_data import PAGE, BoardData, first_board, load_board, load_columns
from maos_tui.tui.filters import BoardFilter, parse_filter
from maos_tui.tui.keys import bindings
from maos_tui.tui.narrow import MIN_HEIGHT, MIN_WIDTH, ColumnSwitcher, fit_layout
from maos_tui.tui.queries import activities_after, activities_since, dependents_of, statuses_of
from maos_tui.tui.widgets.agent_bar import AgentBar
from maos_tui.tui.widgets.board import MORE_ID, Board, TaskList
from maos_tui.tui.widgets.feed import ActivityFeed
from maos_tui.tui.widgets.footer import KeyFooter
from maos_tui.tui.widgets.header import StatusHeader
from maos_tui.tui.widgets.welcome import Welcome

if TYPE_CHECKING:
    from maos_tui.store.stdlib.first_read import FirstReader
    from maos_tui.tui.app import MaosApp

T = TypeVar("T")
FEED_FIRST = 20  # feed lines read for the first paint (the feed shows six)


# What drawing raises once the app has begun removing its widgets on exit.
_TEARDOWN = (NoMatches, NoScreen)
_Undo = tuple[str, str, TaskStatus]  # ("move" or "archive", task ID, the status before)


@dataclass
class _Unsaved:
    """A card whose moves are drawn but not all committed yet."""

    stored: TaskRecord  # as the store has it
    shown: TaskStatus  # the column it is drawn in
    pending: int = 0  # moves not committed yet


def _reraise(error: BaseException) -> None:
    raise error


class MainScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = bindings("main")
    app: MaosApp
    # Textual repaints the whole screen when focus moves (~40 ms at 160×48), yet only the
    # two widgets whose focus styles change look different, and those repaint themselves.
    focused: Reactive[Widget | None] = Reactive(None, repaint=False)

    def __init__(self) -> None:
        super().__init__(id="main")
        self.data = BoardData()
        self.limits: dict[TaskStatus, int] = {}
        self.filter = BoardFilter()
        self.feed_task: str | None = None
        self.undo_stack: list[_Undo] = []
        self.filled = False  # the full pages the first paint left out are read
        self._first_feed: list[ActivityRecord] = []
        self.patches = 0  # how many times a key patched the board in (see place())
        # The last of the store writes already drawn, which run one at a time in key order
        # (see move()). Plain tasks, not workers: Textual cancels those as the app closes,
        # before MaosApp.on_unmount waits for the writes.
        self._saving: asyncio.Task[None] | None = None
        self._unsaved: dict[str, _Unsaved] = {}
        # Held, not queried: redraws that land while the app tears down on exit then touch
        # detached widgets harmlessly instead of failing to find them.
        self.header = StatusHeader(id="header")
        self.agent_bar = AgentBar(id="agent-bar")
        self.welcome = Welcome(id="welcome")
        self.board = Board()
        self.switcher = ColumnSwitcher(self.board)
        self.feed = ActivityFeed(id="feed")

    def compose(self) -> ComposeResult:
        yield self.header
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
        building and measuring a hundred cards a column was ~0.1 s of the wait. The rest
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
        async with self.app.store.read() as conn:
            self._first_feed = await activities_after(conn, 0, FEED_FIRST)

    def on_mount(self) -> None:
        self.show_first()

    def show_first(self) -> None:
        """Draw what read_first read, once the screen's widgets are mounted. Nothing here
        awaits: an await would let Textual paint a half-filled screen first, a full-screen
        render (~0.1 s) that is thrown away."""
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
        async with self.app.store.read() as conn:
            if refill_feed:
                self.feed.replace(await activities_after(conn, 0))
            else:
                self.feed.add(await activities_after(conn, self.feed.last_id))

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
        store = self.app.store
        data = self.data
        patches = self.patches
        changed = [e.task_id for e in events if e.task_id is not None]
        async with store.read() as conn:
            # Another process's commit in between shows as an Activity that is not ours.
            if await activities_since(conn, self.feed.last_id) != (len(events), max(activities)):
                return False
            counts = await store.tasks.counts(conn)
            stale = {s for s in TaskStatus if counts[s.value] != data.stored_counts.get(s.value)}
            stale |= await statuses_of(conn, changed)
            # Columns showing a changed task, or one waiting on it (its `blocked` badge).
            affected = set(changed) | await dependents_of(conn, changed)
            stale |= {
                s for s, tasks in data.columns.items() if any(t.id in affected for t in tasks)
            }
            data.counts = counts
            data.stored_counts = dict(counts)
            wanted = data.statuses()
            for status in set(data.columns) - set(wanted):
                del data.columns[status]
            await load_columns(store, conn, data, [s for s in wanted if s in stale], self.limits)
            self.feed.add(await activities_after(conn, self.feed.last_id))
        if self.patches != patches:  # see _reload()
            return False
        self.render_board()
        return True

    def render_board(self) -> None:
        with contextlib.suppress(*_TEARDOWN):  # see reload()
            self._render_board()

    def _render_board(self) -> None:
        now = self.app.clock()
        data = self.data
        self.header.show(
            self.app.workspace.name,
            self.app.scheduler_state,
            data.counts,
            float(data.totals.get("cost_usd", 0.0)),
            now,
            data.unread,
        )
        self.agent_bar.show(data.agents, data.agent_tasks, now)
        empty = not data.agents and not data.total_tasks
        self.set_class(empty, "welcome")
        if empty:
            self.welcome.show(self.app.config.default_model, self.app.workspace)
        self.board.show(data, self.filter, now)
        self.switcher.follow()  # a column may have come or gone

    # ------------------------------------------------------------ helpers

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
            if task.status in queries.NEWEST_FIRST:
                column.insert(0, task)
            else:
                column.append(task)
                column.sort(key=lambda t: (t.priority, task_number(t.id)))
        # No reload asked for: the store's event for this change makes the app refresh.
        self.render_board()

    # ------------------------------------------------------------ navigation

    def action_focus_column(self, delta: int) -> None:
        self.board.focus_column(delta)

    async def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if not isinstance(event.option_list, TaskList):
            return
        event.stop()
        status = event.option_list.status
        if event.option.id == MORE_ID:
            self.limits[status] = self.limits.get(status, PAGE) + PAGE
            await self.reload()
            return
        if event.option.id:
            from maos_tui.tui.screens.detail import TaskDetailScreen

            self.app.push_screen(TaskDetailScreen(event.option.id))

    # ------------------------------------------------------------ moving

    def move(self, task: TaskRecord, status: TaskStatus, *, undoable: bool = True) -> None:
        """Draw the move now and save it in the background (_commit_move)."""
        unsaved = self._unsaved.setdefault(task.id, _Unsaved(task, task.status))
        unsaved.shown = status
        unsaved.pending += 1
        undo: _Undo | None = ("move", task.id, task.status) if undoable else None
        if undo is not None:
            self.undo_stack.append(undo)
        # The store's record follows when the move is saved; until then the card shows what
        # a move changes.
        self.place(replace(task, status=status, updated_at=self.app.clock()), task.status)
        self.board.focus_task(status, task.id)
        self._save_later(lambda: self._commit_move(task.id, status, undo))

    async def _commit_move(self, task_id: str, status: TaskStatus, undo: _Undo | None) -> None:
        moved = await attempt(
            self,
            lambda: self.app.store.tasks.move(task_id, status),
            title=f"{task_id} not moved to {status.value}",
        )
        unsaved = self._unsaved[task_id]
        unsaved.pending -= 1
        if moved is not None:
            unsaved.stored = moved
        elif undo is not None:
            self.undo_stack[:] = [entry for entry in self.undo_stack if entry is not undo]
        if unsaved.pending:
            return  # a later move of this card decides where it is drawn
        del self._unsaved[task_id]
        if not self.is_attached:
            return
        focused = self.board.focused_list()
        follow = moved is None and focused is not None and focused.task_id == task_id
        self.place(unsaved.stored, unsaved.shown)
        if follow:  # the cursor goes back with the card, unless it has gone elsewhere
            self.board.focus_task(unsaved.stored.status, task_id)

    def _save_later(self, write: Callable[[], Awaitable[None]]) -> None:
        """Run `write` in the background, once the writes queued before it have run."""
        previous = self._saving

        async def in_turn() -> None:
            if previous is not None:
                await asyncio.wait([previous])
            await write()

        self._saving = asyncio.create_task(in_turn())
        self._saving.add_done_callback(self._saved)

    def _saved(self, saving: asyncio.Task[None]) -> None:
        if not saving.cancelled() and (error := saving.exception()) is not None:
            # A bug (attempt() reports a refused write): fail as a key's handler would.
            self.app.call_later(_reraise, error)

    async def settle_writes(self) -> None:
        """Wait until every move drawn so far is saved or, if refused, put back."""
        while (saving := self._saving) is not None and not saving.done():
            await asyncio.wait([saving])

    async def action_move_step(self, delta: int) -> None:
        task = self.require_task()
        if task is None:
            return
        order = list(BOARD_STATUSES)
        index = order.index(task.status) if task.status in order else 0
        target = order[max(0, min(index + delta, len(order) - 1))]
        if target is task.status:
            self.notify(f"{task.id} is already in the {target.value} column")
            return
        self.move(task, target)

    def action_pick_status(self) -> None:
        task = self.require_task()
        if task is None:
            return
        from maos_tui.tui.screens.pickers import StatusPicker

        def chosen(status: TaskStatus | None) -> None:
            if status is not None and status is not task.status:
                self.move(task, status)

        self.app.push_screen(StatusPicker(task), chosen)

    async def action_archive(self) -> None:
        task = self.require_task()
        if task is None:
            return
        archived = await self.attempt(lambda: self.app.store.tasks.archive(task.id))
        if archived is not None:
            self.undo_stack.append(("archive", task.id, task.status))
            self.place(archived, task.status)
            self.data.counts[task.status.value] = max(
                0, self.data.counts.get(task.status.value, 0) - 1
            )
            self.render_board()
            self.notify(f"Archived {task.id} (u to undo)")

    async def action_undo(self) -> None:
        if not self.undo_stack:
            self.notify("Nothing to undo.")
            return
        kind, task_id, status = self.undo_stack.pop()
        if kind == "archive":
            restored = await self.attempt(lambda: self.app.store.tasks.restore(task_id))
            if restored is not None:
                self.data.counts[restored.status.value] = (
                    self.data.counts.get(restored.status.value, 0) + 1
                )
                self.place(restored, None)
                self.board.focus_task(restored.status, restored.id)
                self.notify(f"Restored {task_id}")
            return
        current = await self.attempt(lambda: self.app.store.tasks.get(task_id))
        if current is not None:
            self.move(current, status, undoable=False)
            self.notify(f"Moved {task_id} back to {status.value}")

    # ------------------------------------------------------------ editing

    def action_new_task(self) -> None:
        from maos_tui.tui.screens.task_form import TaskForm

        self.app.push_screen(TaskForm(None), self.after_form)

    def action_edit_task(self) -> None:
        task = self.require_task()
        if task is None:
            return
        from maos_tui.tui.screens.task_form import TaskForm

        self.app.push_screen(TaskForm(task), self.after_form)

    async def after_form(self, saved: TaskRecord | None) -> None:
        if saved is None:
            return
        await self.reload()
        self.board.focus_task(saved.status, saved.id)

    def action_assign(self) -> None:
        task = self.require_task()
        if task is None:
            return
        if not self.data.agents:
            self.notify("No agents yet: press A to add one.", severity="warning")
            return
        from maos_tui.tui.screens.pickers import AgentPicker

        async def chosen(agent: str | None) -> None:
            if agent is None:
                return
            tasks = self.app.store.tasks
            call = tasks.unassign if agent in task.assignees else tasks.assign
            changed = await self.attempt(lambda: call(task.id, [agent]))
            if changed is not None:
                self.place(changed, task.status)
                self.board.focus_task(changed.status, changed.id)

        self.app.push_screen(AgentPicker(task, self.data.agents), chosen)

    async def action_priority(self, priority: int) -> None:
        task = self.require_task()
        if task is None or task.priority == priority:
            return
        changed = await self.attempt(lambda: self.app.store.tasks.edit(task.id, priority=priority))
        if changed is not None:
            self.place(changed, task.status)
            self.board.focus_task(changed.status, changed.id)

    # ------------------------------------------------------------ running

    async def action_retry(self) -> None:
        task = self.require_task()
        if task is None:
            return
        retried = await self.attempt(lambda: self.app.store.tasks.retry(task.id))
        if retried is not None:
            self.place(retried, task.status)
            self.notify(f"{task.id} goes back to the inbox for another try")

    def action_cancel_task(self) -> None:
        task = self.require_task()
        if task is None:
            return
        from maos_tui.tui.screens.pickers import Confirm

        async def confirmed(yes: bool | None) -> None:
            if yes:
                cancelled = await self.attempt(lambda: self.app.store.tasks.cancel(task.id))
                if cancelled is not None:
                    self.place(cancelled, task.status)
                    self.notify(f"Cancelled {task.id}")

        self.app.push_screen(Confirm(f"Cancel {task.id} “{task.title}”?"), confirmed)

    def action_toggle_scheduler(self) -> None:
        try:
            state = self.app.services_toggle_pause()
        except RuntimeError as exc:
            self.notify(str(exc), severity="warning")
            return
        self.notify(f"Scheduler {state}")
        self.render_board()

    # ------------------------------------------------------------ views

    def action_filter(self) -> None:
        field = self.query_one("#filter", Input)
        self.add_class("filtering")
        field.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "filter":
            return
        self.filter = parse_filter(event.value)
        self.feed.narrow(self.feed_keeps)
        self.render_board()
        # Then ask the store, which also knows the tasks no column has loaded yet.
        self.run_worker(self.reload, group="filter", exclusive=True)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "filter":
            return
        for problem in self.filter.problems:
            self.notify(problem, severity="warning")
        if not self.filter.active:
            self.remove_class("filtering")
        self.board.focus_column(0)

    def action_clear_filter(self) -> None:
        field = self.query_one("#filter", Input)
        if not self.filter.active and not self.has_class("filtering"):
            return
        field.value = ""
        self.filter = BoardFilter()
        self.remove_class("filtering")
        self.feed.narrow(self.feed_keeps)
        self.render_board()
        self.run_worker(self.reload, group="filter", exclusive=True)
        self.board.focus_column(0)

    def feed_keeps(self, activity: object) -> bool:
        if self.feed_task is not None and getattr(activity, "task_id", None) != self.feed_task:
            return False
        return self.filter.matches_activity(activity)  # type: ignore[arg-type]

    def action_feed_follow(self) -> None:
        if self.feed_task is not None:
            self.feed_task = None
            self.notify("Feed shows every task")
        else:
            task = self.require_task()
            if task is None:
                return
            self.feed_task = task.id
            self.notify(f"Feed shows only {task.id} (f again for all)")
        self.feed.narrow(self.feed_keeps)

    def action_agents(self) -> None:
        from maos_tui.tui.screens.agents import AgentsScreen

        self.app.push_screen(AgentsScreen())

    def action_notifications(self) -> None:
        from maos_tui.tui.screens.collab import NotificationsScreen

        self.app.push_screen(NotificationsScreen())

    def action_starter_team(self) -> None:
        model = self.app.config.default_model
        if model:
            self.run_worker(self.add_starter_team(model))
            return
        from maos_tui.tui.screens.pickers import ModelPrompt

        async def chosen(model: str | None) -> None:
            if model:
                self.app.remember_default_model(model)
                await self.add_starter_team(model)

        self.app.push_screen(ModelPrompt(), chosen)

    async def add_starter_team(self, model: str) -> None:
        from maos_tui.starter import add_starter_team

        added = await self.attempt(lambda: add_starter_team(self.app.store, model))
        if added is not None:
            names = ", ".join(a.name for a in added) or "nobody new (names already taken)"
            self.notify(f"Starter team added with {model}: {names}")
            await self.reload()
