"""The live activity feed: newest at the bottom, following new lines unless the user has
scrolled up to read, and narrowed by the board filter or to the focused task."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from typing import ClassVar

from rich.text import Text
from textual.binding import BindingType
from textual.widgets import RichLog

from maos_tui.domain import ActivityRecord
from maos_tui.tui.feed_text import describe
from maos_tui.tui.keys import bindings
from maos_tui.tui.widgets.fixed_scroll import fixed_box

KEEP = 500


@fixed_box()
class ActivityFeed(RichLog):
    BINDINGS: ClassVar[list[BindingType]] = bindings("scroll")

    def __init__(self, **kwargs: object) -> None:
        super().__init__(wrap=False, markup=False, max_lines=KEEP, **kwargs)  # type: ignore[arg-type]
        self.records: deque[ActivityRecord] = deque(maxlen=KEEP)
        self.last_id = 0
        self._keep: Callable[[ActivityRecord], bool] = lambda _a: True

    def _line(self, activity: ActivityRecord) -> Text:
        stamp = activity.created_at.astimezone().strftime("%H:%M:%S")
        accent = self.app.current_theme.accent if self.is_attached else None
        line = Text(f"{stamp} ", style="dim")
        line.append(describe(activity))
        if activity.task_id and accent:
            line.highlight_words([activity.task_id], style=accent)
        return line

    def add(self, activities: Iterable[ActivityRecord]) -> None:
        follow = self.is_vertical_scroll_end
        for activity in activities:
            self.records.append(activity)
            self.last_id = max(self.last_id, activity.id)
            if self._keep(activity):
                self.write(self._line(activity), scroll_end=follow)

    def replace(self, activities: Iterable[ActivityRecord]) -> None:
        """Start over with these (the history the first paint left out, and what is new)."""
        self.records.clear()
        self.last_id = 0
        self.clear()
        self.add(activities)

    def narrow(self, keep: Callable[[ActivityRecord], bool]) -> None:
        """Show only matching activities; rewrites the log from what is kept in memory."""
        self._keep = keep
        self.clear()
        for activity in self.records:
            if keep(activity):
                self.write(self._line(activity), scroll_end=True)
