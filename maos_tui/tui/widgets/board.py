"""The kanban board: one column per status, each an OptionList of cards.

An OptionList draws only the lines on screen, and a column holds at most its window of
cards (see board_data.PAGE) plus a "N more" line, so long columns stay cheap. A refresh
rebuilds only the columns whose cards changed and keeps the highlighted card and the
scroll position, so live updates never steal focus or flicker.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widget import Widget
from textual.widgets.option_list import Option

from maos_tui.domain import BOARD_STATUSES, TaskRecord, TaskStatus
from maos_tui.store.records import TaskRunFigures
from maos_tui.tui.board_data import BoardData
from maos_tui.tui.cards import age, card, card_key, more_prompt
from maos_tui.tui.filters import BoardFilter
from maos_tui.tui.keys import bindings
from maos_tui.tui.widgets.card_list import CardList
from maos_tui.tui.widgets.fixed_scroll import fixed_box
from maos_tui.tui.widgets.line import FixedLine
from maos_tui.tui.widgets.width_cache import width_keyed_cache

MORE_ID = "__more__"
COLUMN_MIN = 26
FEED_MIN = 7  # the feed's height in app.tcss, which it keeps while the board needs the room


def column_title(status: TaskStatus) -> str:
    return status.value.replace("_", " ").upper()


@fixed_box(repaint=False)
@width_keyed_cache
class TaskList(CardList):
    BINDINGS: ClassVar[list[BindingType]] = bindings("list")

    def __init__(self, status: TaskStatus) -> None:
        super().__init__(id=f"list-{status.value}", classes="task-list")
        self.status = status
        self.signature: tuple[object, ...] = ()

    @property
    def task_id(self) -> str | None:
        option = self.highlighted_option
        if option is None or option.id == MORE_ID:
            return None
        return option.id

    def show(self, options: list[Option], signature: tuple[object, ...]) -> None:
        if signature == self.signature:
            return
        self.signature = signature
        keep_id = self.task_id
        keep_index = self.highlighted
        self.replace_options(options)
        if not options:
            self.highlighted = None
            return
        ids = [o.id for o in options]
        if keep_id in ids:
            self.highlighted = ids.index(keep_id)
        elif keep_index is not None:
            self.highlighted = min(keep_index, len(options) - 1)
        else:
            self.highlighted = 0
        self.scroll_to_highlight()

    def select_task(self, task_id: str) -> bool:
        for index, option in enumerate(self.options):
            if option.id == task_id:
                self.highlighted = index
                return True
        return False


class BoardColumn(Vertical):
    def __init__(self, status: TaskStatus) -> None:
        super().__init__(id=f"column-{status.value}", classes="column")
        self.status = status
        self.title = FixedLine(column_title(status), classes="column-title")
        self.tasks = TaskList(status)
        # The Option shown for each card, with what it was built from: handed back to the
        # list while the card is unchanged, so the list keeps its rendering.
        self.cards: dict[str, tuple[tuple[object, ...], Option]] = {}
        self.more: tuple[int, Option] | None = None

    def compose(self):  # type: ignore[no-untyped-def]
        yield self.title
        yield self.tasks

    def on_descendant_focus(self) -> None:
        self.title.add_class("-focused")

    def on_descendant_blur(self) -> None:
        self.title.remove_class("-focused")

    def show(
        self,
        tasks: list[TaskRecord],
        total: int,
        data: BoardData,
        board_filter: BoardFilter,
        now: datetime,
    ) -> None:
        # Also filtered here: a card patched in by a key shows the filter before the reload.
        shown = [t for t in tasks if board_filter.matches(t)] if board_filter.active else tasks
        matched = data.matched.get(self.status, len(shown)) if board_filter.active else total
        count = f"{matched}/{total}" if board_filter.active else str(total)
        self.title.show_line(Content(f"{column_title(self.status)} {count}"))
        figures = data.figures
        hidden = matched - len(tasks)
        running = tuple(
            age(since, now)
            for t in shown
            if (since := getattr(figures.get(t.id), "running_since", None)) is not None
        )
        # A card's looks depend on its card_key, its run figures and its running time. Checked
        # before building any card: most redraws (the clock, another column's change)
        # leave a column as it was, and a hundred cards cost milliseconds to build.
        signature = (
            tuple(card_key(t) for t in shown),
            tuple(figures.get(t.id) for t in shown),
            running,
            hidden,
        )
        if signature == self.tasks.signature:
            return
        options = [self.card_option(t, figures.get(t.id), now) for t in shown]
        self.cards = {o.id: self.cards[o.id] for o in options if o.id is not None}
        if hidden > 0:
            if self.more is None or self.more[0] != hidden:
                self.more = (hidden, Option(more_prompt(hidden), id=MORE_ID))
            options.append(self.more[1])
        self.tasks.show(options, signature)

    def card_option(
        self, task: TaskRecord, figures: TaskRunFigures | None, now: datetime
    ) -> Option:
        since = figures.running_since if figures is not None else None
        looks = (card_key(task), figures, age(since, now) if since is not None else None)
        known = self.cards.get(task.id)
        if known is None or known[0] != looks:
            known = self.cards[task.id] = (looks, Option(card(task, figures, now), id=task.id))
        return known[1]


class Board(Horizontal):
    """Scrolls sideways through CSS (overflow-x), without ScrollableContainer key bindings:
    left and right must reach the screen, where they move between columns."""

    def __init__(self) -> None:
        super().__init__(id="board")
        # The fixed columns are there from the start, so the first layout (made while the
        # store is still being read) already sizes them: the cards then paint in one pass,
        # instead of each column finding out on its first draw that it needs a scrollbar
        # and asking for another layout of the whole screen.
        self.columns: dict[TaskStatus, BoardColumn] = {s: BoardColumn(s) for s in BOARD_STATUSES}
        self.fitted: int | None = None  # the height given to the board, None: all but the feed

    def compose(self) -> ComposeResult:
        yield from self.columns.values()

    def show(self, data: BoardData, board_filter: BoardFilter, now: datetime) -> None:
        wanted = data.statuses()
        for status in list(self.columns):
            if status not in wanted:
                self.columns.pop(status).remove()
        for index, status in enumerate(wanted):
            column = self.columns.get(status)
            if column is None:
                # In board order: FAILED goes before a CANCELLED column already shown.
                after = [self.columns[s] for s in wanted[index + 1 :] if s in self.columns]
                column = self.columns[status] = BoardColumn(status)
                self.mount(column, before=after[0] if after else None)
            column.show(
                data.columns.get(status, []),
                data.counts.get(status.value, 0),
                data,
                board_filter,
                now,
            )
        self.columns = {s: self.columns[s] for s in wanted}
        self.fit_columns()
        self.fit_height()

    def on_resize(self) -> None:
        self.fit_columns()
        self.fit_height()

    def fit_height(self) -> None:
        """As tall as the longest column, when that leaves the feed more than FEED_MIN rows:
        the feed then takes the rest (#body.roomy in app.tcss). Only a change of that
        height lays the screen out again, so a full board (most keys) costs a comparison."""
        body = self.parent
        lists = self.lists()
        if not isinstance(body, Widget) or not body.size.height:
            return
        if any(not task_list.scrollable_content_region.width for task_list in lists):
            return  # not measured yet: the cards' heights depend on the width
        cards = max(task_list.line_count() for task_list in lists)
        needed = 1 + cards + self.scrollbar_size_horizontal  # the column titles, cards
        fitted = needed if needed + FEED_MIN <= body.size.height else None
        if fitted == self.fitted:
            return
        self.fitted = fitted
        body.set_class(fitted is not None, "roomy")
        self.styles.height = fitted

    def fit_columns(self) -> None:
        """Share the width between columns; below COLUMN_MIN each, the board scrolls sideways."""
        # Before its first layout the board has no size yet; it will span the screen, and
        # sizing the columns now spares a second layout of the first frame.
        board_width = self.size.width or self.app.size.width
        if not self.columns or not board_width:
            return
        width = max(COLUMN_MIN, board_width // len(self.columns))
        for column in self.columns.values():
            column.styles.width = width

    def lists(self) -> list[TaskList]:
        return [c.tasks for c in self.columns.values()]

    def focused_list(self) -> TaskList | None:
        focused = self.screen.focused
        return focused if isinstance(focused, TaskList) else None

    def focus_column(self, delta: int) -> None:
        lists = self.lists()
        if not lists:
            return
        current = self.focused_list()
        index = lists.index(current) + delta if current in lists else 0
        target = lists[max(0, min(index, len(lists) - 1))]
        if current is not None and target.option_count and current.highlighted is not None:
            target.highlighted = min(current.highlighted, target.option_count - 1)
        # Focus now, not on the next idle: a key typed right after must act on this column.
        self.screen.set_focus(target)
        target.parent.scroll_visible()  # type: ignore[union-attr]

    def focus_task(self, status: TaskStatus, task_id: str) -> None:
        column = self.columns.get(status)
        if column is None:
            return
        self.screen.set_focus(column.tasks)
        column.tasks.select_task(task_id)
        column.scroll_visible()
