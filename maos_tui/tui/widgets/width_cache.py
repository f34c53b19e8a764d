"""OptionLists that keep their rendered cards across a Resize that leaves the width alone.

Textual's OptionList throws its rendered options away on every Resize event. A widget gets
one after each layout that shows or resizes it, and the event arrives after the frame that
layout drew, so the first paint of the board rendered every card twice (~0.1 s). A card's
strips depend only on the width (a column's height changes how many show, not how they
look), so the caches are dropped when the width changes, right before drawing at it.
"""

from __future__ import annotations

from typing import TypeVar

from textual import events
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import OptionList

L = TypeVar("L", bound=type[OptionList])


def width_keyed_cache(cls: L) -> L:
    """Class decorator: render caches are rebuilt when the content width changes only."""
    draw = cls.render_lines

    def render_lines(self: OptionList, crop: Region) -> list[Strip]:
        width = self.scrollable_content_region.width
        if width != getattr(self, "_cached_width", None):
            # Dropped here, not on Resize: this frame must already use the new width.
            self._option_render_cache.clear()
            self._line_cache.clear()
            self._cached_width = width  # type: ignore[attr-defined]
        return draw(self, crop)

    def _on_resize(self: OptionList, event: events.Resize) -> None:
        # Textual calls every class's handler along the MRO; OptionList's is the one that
        # clears the caches, so a Resize that keeps the width stops before reaching it.
        if self.scrollable_content_region.width == getattr(self, "_cached_width", None):
            event.prevent_default()

    cls.render_lines = render_lines  # type: ignore[method-assign]
    cls._on_resize = _on_resize  # type: ignore[method-assign]
    return cls
