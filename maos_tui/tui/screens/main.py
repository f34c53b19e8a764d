"""The main screen: header, agent bar, board, activity feed, filter line and footer.

Put together from its parts: the board and how it is read and drawn (main_board.py), and
the keys that move cards (main_moves.py), change tasks (main_edits.py) and change what is
shown (main_views.py). Navigation between cards is here.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import BindingType
from textual.widgets import OptionList

from maos_tui.tui.board_data import PAGE
from maos_tui.tui.keys import bindings
from maos_tui.tui.screens.main_edits import EditKeys
from maos_tui.tui.screens.main_moves import MoveKeys
from maos_tui.tui.screens.main_views import ViewKeys
from maos_tui.tui.widgets.board import MORE_ID, TaskList


class MainScreen(MoveKeys, EditKeys, ViewKeys):
    BINDINGS: ClassVar[list[BindingType]] = bindings("main")

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
