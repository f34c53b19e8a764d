"""The diff itself: a line-API widget that draws only the rows on screen, so a change of
20,000 lines costs no more to open than one of twenty. Rows are the diff's lines with the
review comments shown under the line they are on; a cursor line is what `c` comments on.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.syntax import RICH_SYNTAX_THEMES, ANSISyntaxTheme
from textual.binding import BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from maos_tui.printable import printable
from maos_tui.review import ReviewComment
from maos_tui.tui.diff_model import CODE, DiffModel, Kind, counts_label
from maos_tui.tui.keys import bindings

GUTTER = 12  # two right-aligned 5-digit line numbers and their spaces
_PREFIX = {Kind.ADDED: "diff--added", Kind.REMOVED: "diff--removed"}
_TEXT_CLASS = {
    Kind.FILE: "diff--file",
    Kind.META: "diff--meta",
    Kind.HUNK: "diff--hunk",
    Kind.NOTE: "diff--meta",
}
_THEMES = {dark: ANSISyntaxTheme(RICH_SYNTAX_THEMES[name])
           for dark, name in ((True, "ansi_dark"), (False, "ansi_light"))}  # fmt: skip
Row = tuple[int, int]  # (diff line, -1) or (diff line, index into that line's comment rows)


def _lexer(path: str) -> Any:
    from pygments.lexers import get_lexer_for_filename
    from pygments.util import ClassNotFound

    try:
        return get_lexer_for_filename(path, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


class DiffView(ScrollView, can_focus=True):
    class CursorMoved(Message):
        """The cursor went to another diff line (the file list follows it)."""

        def __init__(self, line: int) -> None:
            super().__init__()
            self.line = line

    BINDINGS: ClassVar[list[BindingType]] = bindings("scroll")
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "diff--added", "diff--removed", "diff--file", "diff--meta", "diff--hunk",
        "diff--gutter", "diff--comment", "diff--cursor",
    }  # fmt: skip
    DEFAULT_CSS = """
    DiffView { background: $surface; }
    DiffView > .diff--added { background: $success 18%; }
    DiffView > .diff--removed { background: $error 18%; }
    DiffView > .diff--file { background: $primary 30%; text-style: bold; }
    DiffView > .diff--meta { color: $text-muted; }
    DiffView > .diff--hunk { color: $accent; }
    DiffView > .diff--gutter { color: $text-muted; }
    DiffView > .diff--comment { background: $warning 20%; color: $text; }
    DiffView > .diff--cursor { background: $accent 35%; }
    DiffView:focus > .diff--cursor { background: $accent 55%; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.model: DiffModel | None = None
        self.cursor = 0  # a diff line
        self._rows: list[Row] | None = None  # None: one row per diff line, no comments
        self._comment_rows: dict[int, list[str]] = {}
        self._strips: LRUCache[Row, Strip] = LRUCache(1024)
        self._lexers: dict[int, Any] = {}

    # ------------------------------------------------------------ content

    def show(self, model: DiffModel, comments: list[ReviewComment]) -> None:
        self.model = model
        self.cursor = min(self.cursor, max(len(model) - 1, 0))
        self.set_comments(comments)

    def set_comments(self, comments: list[ReviewComment]) -> None:
        model = self.model
        if model is None:
            return
        under: dict[int, list[str]] = {}
        for comment in comments:
            line = model.locate(comment)
            if line is not None:
                texts = printable(comment.text, keep_newlines=True).splitlines() or [""]
                under.setdefault(line, []).append(f"  ▶ {comment.author} on {comment.anchor}:")
                under[line].extend(f"      {text}" for text in texts)
        self._comment_rows = under
        if under:
            rows: list[Row] = []
            for index in range(len(model)):
                rows.append((index, -1))
                rows.extend((index, n) for n in range(len(under.get(index, ()))))
            self._rows = rows
        else:
            self._rows = None
        self._strips.clear()
        count = len(self._rows) if self._rows is not None else len(model)
        self.virtual_size = Size(model.width + GUTTER + 1, count)
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    # ------------------------------------------------------------ rows

    def _row(self, y: int) -> Row | None:
        if self.model is None:
            return None
        if self._rows is None:
            return (y, -1) if y < len(self.model) else None
        return self._rows[y] if y < len(self._rows) else None

    def row_of(self, line: int) -> int:
        """The row a diff line is drawn on."""
        if self._rows is None:
            return line
        from bisect import bisect_left

        return bisect_left(self._rows, (line, -1))

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        row = self._row(scroll_y + y)
        base = self.rich_style
        if row is None:
            return Strip.blank(width, base)
        strip = self._strips.get(row)
        if strip is None:
            strip = self._strips[row] = self._build(row)
        fill = self._fill(row)
        strip = strip.crop_extend(scroll_x, scroll_x + width, fill)
        if row[1] < 0 and row[0] == self.cursor:
            # Over the line's own colours: only the background changes.
            cursor = Style(bgcolor=self.get_component_rich_style("diff--cursor").bgcolor)
            strip = Strip(Segment.apply_style(strip, post_style=cursor), strip.cell_length)
        return strip.apply_offsets(scroll_x, scroll_y + y)

    def _fill(self, row: Row) -> Style:
        assert self.model is not None
        if row[1] >= 0:
            return self.rich_style + self.get_component_rich_style("diff--comment")
        name = _PREFIX.get(self.model.kind(row[0])) or (
            "diff--file" if self.model.kind(row[0]) is Kind.FILE else None
        )
        return self.rich_style + self.get_component_rich_style(name) if name else self.rich_style

    def _build(self, row: Row) -> Strip:
        model = self.model
        assert model is not None
        index, sub = row
        fill = self._fill(row)
        if sub >= 0:
            return Strip([Segment(self._comment_rows[index][sub], fill)])
        kind = model.kind(index)
        line = model.lines[index]
        gutter_style = fill + self.get_component_rich_style("diff--gutter")
        if kind not in CODE:
            text_style = fill + self.get_component_rich_style(_TEXT_CLASS[kind])
            if kind is Kind.FILE:
                stat = model.files[model.file_at(index)]
                line = f"{stat.path}  {counts_label(stat)}"
            return Strip([Segment(" " * GUTTER, gutter_style),
                          Segment(printable(line.expandtabs(4)), text_style)])  # fmt: skip
        old = str(model.old[index]) if kind is not Kind.ADDED else ""
        new = str(model.new[index]) if kind is not Kind.REMOVED else ""
        segments = [Segment(f"{old:>5} {new:>5} ", gutter_style), Segment(line[:1], fill)]
        segments.extend(self._code(index, printable(line[1:].expandtabs(4)), fill))
        return Strip(segments)

    def _code(self, index: int, code: str, fill: Style) -> list[Segment]:
        assert self.model is not None
        file = self.model.file_at(index)
        if file not in self._lexers:
            self._lexers[file] = _lexer(self.model.files[file].path) if self.model.files else None
        lexer = self._lexers[file]
        if lexer is None or not code:
            return [Segment(code, fill)]
        theme = _THEMES[self.app.current_theme.dark]
        return [
            Segment(value, fill + theme.get_style_for_token(token))
            for token, value in lexer.get_tokens(code)
            if value and value != "\n"
        ]

    # ------------------------------------------------------------ cursor and keys

    def move_cursor(self, line: int, *, top: bool = False) -> None:
        """Put the cursor on a diff line and scroll it into view (to the top with `top`)."""
        if self.model is None or not len(self.model):
            return
        old_row = self.row_of(self.cursor)
        self.cursor = max(0, min(line, len(self.model) - 1))
        row = self.row_of(self.cursor)
        height = max(self.size.height, 1)
        y = self.scroll_offset.y
        if top or row < y:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif row >= y + height:
            self.scroll_to(y=row - height + 1, animate=False, immediate=True)
        self.refresh_line(old_row)
        self.refresh_line(row)
        self.post_message(self.CursorMoved(self.cursor))

    def _shift(self, rows: int) -> None:
        """Scroll by `rows` with the cursor keeping its place on screen; at either end of
        the scroll the cursor alone goes on, to the first or last line."""
        if self.model is None or not len(self.model):
            return
        last = self.virtual_size.height - 1
        row = max(0, min(self.row_of(self.cursor) + rows, last))
        self.scroll_to(y=self.scroll_offset.y + rows, animate=False, immediate=True)
        found = self._row(row)
        self.move_cursor(found[0] if found else self.cursor)

    def _step(self, lines: int) -> int:
        """The rows between the cursor and the diff line `lines` away (comments included)."""
        assert self.model is not None
        target = max(0, min(self.cursor + lines, len(self.model) - 1))
        return self.row_of(target) - self.row_of(self.cursor)

    def action_scroll_down(self) -> None:
        if self.model is not None:
            self._shift(self._step(1))

    def action_scroll_up(self) -> None:
        if self.model is not None:
            self._shift(self._step(-1))

    def action_page_down(self) -> None:
        self._shift(max(self.size.height - 1, 1))

    def action_page_up(self) -> None:
        self._shift(-max(self.size.height - 1, 1))

    def action_scroll_home(self) -> None:
        self.move_cursor(0, top=True)

    def action_scroll_end(self) -> None:
        if self.model is not None and len(self.model):
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)
            self.move_cursor(len(self.model) - 1)
