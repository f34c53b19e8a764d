"""An OptionList whose redraws cost what changed on screen, not what it holds.

Textual's OptionList repaints every visible line when the highlight moves, and
`set_options` throws away every rendered option and every measured height. At 10,000
tasks that made a cursor step ~8 ms and a moved card ~60 ms (two columns of cards built,
measured and rendered again, one card having changed). Here:

- a highlight change repaints the lines of the option it leaves and the one it reaches;
- `replace_options` keeps the rendered strips and heights of the Option objects it is given
  again (the board hands back the same Option for an unchanged card), so only new cards
  are rendered, and repaints from the first option that changed down, not the lines above
  it (a moved card leaves its column's upper part as it was);
- a repaint brings the line list up to date once, not once per line drawn (each time
  re-measuring the content region), and looks each card, its cache key and each line
  style up once, not once per line (with the first, half of a column's repaint);
- focus changes the look of the highlighted option only, so gaining or losing focus
  repaints its lines, not the list and its scrollbar (~8 ms a column at 160x48, twice per
  column change). OptionList tints its background and restyles its cursor on focus; here
  the styles are the same with and without focus (so focus needs no restyle, which in
  Textual repaints a list and its scrollbar in full, changed or not), and the focused
  cursor is drawn with a component class of its own. CSS for a CardList must not depend
  on :focus either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from textual import events
from textual.geometry import Region, Spacing
from textual.reactive import reactive
from textual.strip import Strip
from textual.style import Style
from textual.widgets import OptionList
from textual.widgets.option_list import Option

_HIGHLIGHTED = "option-list--option-highlighted"
_CURSOR = "card-list--cursor"


@dataclass
class _Paint:
    """What one repaint looks up once rather than once per line."""

    strips: dict[tuple[Option, Style], list[Strip]] = field(default_factory=dict)
    # Textual works a style out anew for each line (~30 µs: the pseudo classes first).
    styles: dict[tuple[tuple[str, ...], bool], Style] = field(default_factory=dict)
    # Part of the key of OptionList's render cache, which it works out (and measures the
    # content region, ~50 µs together) before each lookup.
    padding: Spacing | None = None


class CardList(OptionList):
    COMPONENT_CLASSES: ClassVar[set[str]] = {_CURSOR}
    # The same styles with and without focus (OptionList's :focus rules undone), so that
    # focus never restyles the list; the focused cursor is card-list--cursor.
    DEFAULT_CSS = """
    CardList, CardList:focus {
        border: tall $border-blurred;
        background-tint: $foreground 0%;
        & > .option-list--option-highlighted {
            color: $foreground;
            background: $block-cursor-blurred-background;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    CardList > .card-list--cursor {
        color: $block-cursor-foreground;
        background: $block-cursor-background;
        text-style: $block-cursor-text-style;
    }
    """
    # Repainted line by line in watch_highlighted instead of as a whole.
    highlighted: reactive[int | None] = reactive(None, repaint=False)
    _painting: _Paint | None = None  # while a repaint runs

    def render_lines(self, crop: Region) -> list[Strip]:
        self._update_lines()
        self._painting = _Paint()
        try:
            return super().render_lines(crop)
        finally:
            self._painting = None

    def _update_lines(self) -> None:
        # OptionList calls this before every look at its lines (a dozen times a key) and
        # measures its content region each time to find there is nothing new. Nothing
        # adds options while the lines are drawn, and there is nothing new once the last
        # option is listed: replacing the options or a new width clears the lines first.
        lines = self._line_cache.lines
        if self._painting is None and not (lines and lines[-1][0] == len(self._options) - 1):
            super()._update_lines()

    def line_count(self) -> int:
        """How many lines the options take at the current width (listing them if needed)."""
        self._update_lines()
        return len(self._line_cache.lines)

    def get_visual_style(self, *component_classes: str, partial: bool = False) -> Style:
        painting = self._painting
        if painting is not None:
            known = painting.styles.get((component_classes, partial))
            if known is not None:
                return known
        asked = component_classes
        if self.has_focus and component_classes[-1:] == (_HIGHLIGHTED,):
            component_classes = (*component_classes[:-1], _CURSOR)
        style = super().get_visual_style(*component_classes, partial=partial)
        if painting is not None:
            painting.styles[asked, partial] = style
        return style

    def watch_has_focus(self, _has_focus: bool) -> None:
        """Nothing to restyle (see the module's docstring)."""

    def _on_focus(self, event: events.Focus) -> None:
        self._focus_changed(event, True, events.DescendantFocus(self))

    def _on_blur(self, event: events.Blur) -> None:
        self._focus_changed(event, False, events.DescendantBlur(self))

    def _focus_changed(self, event: events.Event, focused: bool, notice: events.Event) -> None:
        # Widget's own handlers, less their repaint of the whole widget.
        event.prevent_default()
        self.has_focus = focused
        self._refresh_option(self.highlighted)
        if self.parent is not None:
            self.parent.post_message(notice)

    def watch_highlighted(self, previous: int | None, highlighted: int | None) -> None:
        for index in (previous, highlighted):
            self._refresh_option(index)
        super().watch_highlighted(highlighted)

    def _refresh_option(self, index: int | None) -> None:
        if index is None or index >= len(self._options):
            return
        line = self._index_to_line.get(index)
        if line is not None:
            self.refresh_lines(line, self._heights[index])

    def replace_options(self, options: list[Option]) -> None:
        """Like set_options, but what was drawn for an Option that stays is kept, and the
        highlight and scroll position are left for the caller to settle."""
        kept = set(options)
        same = zip(self._options, options, strict=False)
        changed = next((i for i, (old, new) in enumerate(same) if old is not new), None)
        if changed is None:
            changed = min(len(self._options), len(options))
        self._options[:] = options
        self._id_to_option = {o.id: o for o in options if o.id is not None}
        self._option_to_index = {o: index for index, o in enumerate(options)}
        cache = self._option_render_cache
        drawn = cache.keys()  # an LRUCache: no iteration of its own
        for key in [key for key in drawn if key[0] not in kept]:
            cache.discard(key)
        self._mouse_hovering_over = None
        # The lines are re-listed from the heights each option's visual remembers.
        self._line_cache.clear()
        self._update_lines()
        self._refresh_from(changed)

    def _refresh_from(self, index: int) -> None:
        """Repaint the visible lines from option `index`'s first line down."""
        top = self._index_to_line.get(index, len(self._lines)) - self.scroll_offset.y
        height = self.scrollable_content_region.height
        if top < height:
            top = max(top, 0)
            self.refresh(Region(0, top, self.scrollable_content_region.width, height - top))

    def _get_option_render(self, option: Option, style: Style) -> list[Strip]:
        painting = self._painting
        strips = None
        if painting is not None:
            strips = painting.strips.get((option, style))
            if strips is not None:
                return strips
            if painting.padding is None:
                painting.padding = self.get_component_styles("option-list--option").padding
            strips = self._option_render_cache.get((option, style, painting.padding))
        if strips is None:
            strips = super()._get_option_render(option, style)
        # A kept option may have moved up or down the list: a click selects the option
        # whose index the strips carry, so they must carry the current one.
        index = self._option_to_index[option]
        if strips and _option_index(strips[0]) != index:
            strips[:] = [strip.apply_meta({"option": index}) for strip in strips]
        if painting is not None:
            painting.strips[option, style] = strips
        return strips


def _option_index(strip: Strip) -> object:
    for segment in strip:
        if segment.style is not None:
            return segment.style.meta.get("option")
    return None
