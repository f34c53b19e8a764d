"""The same scroll keys on every screen: `down`/`j`, `up`/`k`, `pagedown`/`space`/`ctrl+d`,
`pageup`/`ctrl+u`, `home`/`g` and `end`/`G` (the "Scroll" keys of tui/keys.py).

A ScrollBody scrolls its content; in a KeyedList the same keys move the highlight, which
scrolls the list along with it.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.widgets import OptionList

from maos_tui.tui.keys import bindings


class ScrollBody(VerticalScroll):
    """A scrolling column of content (task detail, a document, the help)."""

    BINDINGS: ClassVar[list[BindingType]] = bindings("scroll")


class KeyedList(OptionList):
    """An OptionList answering the scroll keys by moving its highlight."""

    BINDINGS: ClassVar[list[BindingType]] = bindings("scroll")

    def action_scroll_down(self) -> None:
        self.action_cursor_down()

    def action_scroll_up(self) -> None:
        self.action_cursor_up()

    def action_scroll_home(self) -> None:
        self.action_first()

    def action_scroll_end(self) -> None:
        self.action_last()
