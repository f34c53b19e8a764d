"""A one-line widget that redraws only when its text or styles change."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


class FixedLine(Static):
    """A Static whose size never depends on its text (CSS gives it a fixed height and a
    width set by its container). The board redraws its header, agent bar and column titles
    on every change and every clock tick; Static.update() then asked for a layout of the
    whole screen each time, even for the same text, which cost tens of milliseconds at
    10,000 tasks. Here an unchanged line is skipped and a changed one only repainted."""

    def __init__(self, text: str = "", *, id: str | None = None, classes: str | None = None):
        super().__init__(text, id=id, classes=classes)
        self._drawn: tuple[object, ...] | None = None

    def show_line(self, content: Content) -> None:
        # Content's == compares the text only: a change of colour alone must redraw too.
        drawn = (content.plain, tuple(content.spans))
        if drawn == self._drawn:
            return
        self._drawn = drawn
        self.update(content, layout=False)
