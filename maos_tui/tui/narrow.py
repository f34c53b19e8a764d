"""The narrow layout, for a phone in portrait (about 40 columns): one board column at a
time, and a switcher line above it whose halves, tapped, show the previous or next column
(left and right, h and l, do the same). Wider screens keep every column side by side.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events
from textual.content import Content
from textual.widget import Widget

from maos_tui.tui.widgets.board import Board, BoardColumn, column_title
from maos_tui.tui.widgets.line import FixedLine

if TYPE_CHECKING:
    from textual.screen import Screen

# Below this width the board shows one column at a time.
NARROW_BELOW = 60
MIN_WIDTH, MIN_HEIGHT = 30, 16
NARROW = "narrow"  # on the screen
ONE_COLUMN = "-one-column"  # on the board
CURRENT = "-current"  # on the one column shown


def fit_layout(screen: Screen[object], board: Board, switcher: ColumnSwitcher) -> None:
    """The layout for the screen's size: too small, narrow, or the full board."""
    width, height = screen.size
    screen.set_class(width < MIN_WIDTH or height < MIN_HEIGHT, "too-small")
    narrow = width < NARROW_BELOW
    if narrow == screen.has_class(NARROW):
        return
    screen.set_class(narrow, NARROW)
    board.set_class(narrow, ONE_COLUMN)
    board.fit_columns()
    switcher.follow()


class ColumnSwitcher(FixedLine):
    """`◀ PREVIOUS   2/5   NEXT ▶` above the one column shown, on a narrow screen."""

    def __init__(self, board: Board) -> None:
        super().__init__(id="column-switcher")
        self.board = board

    def on_mount(self) -> None:
        self.watch(self.screen, "focused", self._focus_moved, init=False)

    def _focus_moved(self, focused: Widget | None) -> None:
        self.follow()

    @property
    def active(self) -> bool:
        return self.board.has_class(ONE_COLUMN)

    def shown(self) -> BoardColumn | None:
        """The column with the focus, else the one shown until now, else the first."""
        columns = list(self.board.columns.values())
        focused = self.board.focused_list()
        for column in columns:
            if column.tasks is focused:
                return column
        current = [column for column in columns if column.has_class(CURRENT)]
        return current[0] if current else next(iter(columns), None)

    def follow(self) -> None:
        """Show the current column only, and name its neighbours."""
        if not self.active:
            return
        shown = self.shown()
        columns = list(self.board.columns.values())
        for column in columns:
            column.set_class(column is shown, CURRENT)
        if shown is None:
            return
        index = columns.index(shown)
        before = column_title(columns[index - 1].status) if index > 0 else ""
        after = column_title(columns[index + 1].status) if index + 1 < len(columns) else ""
        left = f"◀ {before}" if before else ""
        right = f"{after} ▶" if after else ""
        middle = f"{index + 1}/{len(columns)}"
        room = self.content_size.width or NARROW_BELOW
        gap = max(1, room - len(left) - len(right) - len(middle))
        self.show_line(
            Content.assemble(
                (left, "bold"),
                " " * (gap // 2),
                (middle, "$text-muted"),
                " " * (gap - gap // 2),
                (right, "bold"),
            )
        )

    def on_click(self, event: events.Click) -> None:
        self.board.focus_column(-1 if event.x < self.size.width // 2 else 1)

    def on_resize(self) -> None:
        self.follow()
