"""Scrolling widgets whose box never depends on how much they hold.

Textual lays out the whole screen whenever a scroll view's virtual size changes, and a
layout redraws every widget: a moved card (two columns change length) or a new feed line
cost ~100 ms at 10,000 tasks. The board's columns and the activity feed are sized by CSS
alone, so content that grows or shrinks there cannot move anything else: only their
scrollbars need updating. A scrollbar appearing or going still asks for the layout it
needs (`show_vertical_scrollbar` does that).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from textual.geometry import Size
from textual.reactive import Reactive
from textual.scroll_view import ScrollView

V = TypeVar("V", bound=type[ScrollView])


def fixed_box(*, repaint: bool = True) -> Callable[[V], V]:
    """Class decorator: a change of virtual size updates the scrollbars, not the layout.
    With `repaint=False` it does not repaint the widget either, for one that repaints what
    changed itself (CardList: a moved card leaves the lines above it as they were)."""

    def decorate(cls: V) -> V:
        def watch_virtual_size(self: ScrollView, size: Size) -> None:
            self._scroll_update(size)

        reactive: Reactive[Size] = Reactive(Size(0, 0), layout=False, repaint=repaint)
        reactive.__set_name__(cls, "virtual_size")
        cls.virtual_size = reactive  # type: ignore[assignment]
        cls._reactives = {**cls._reactives, "virtual_size": reactive}
        cls.watch_virtual_size = watch_virtual_size  # type: ignore[attr-defined]
        return cls

    return decorate
