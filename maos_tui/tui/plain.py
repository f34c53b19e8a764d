"""Text that users, agents and files wrote, made safe to draw.

Such text is never read as Textual markup (`[/]` would end the app with a MarkupError, and
`[@click=app.quit]` would become a live action), and its control characters are shown
escaped (an OSC 52 title would write the clipboard). Widgets get it as Content built here,
or as `markup=False` strings passed through `printable`.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import App
from textual.content import Content
from textual.notifications import SeverityLevel

from maos_tui.printable import printable


def plain(text: str, style: str = "") -> Content:
    """One or more lines of user text, styled as a whole with `style` (theme variables ok)."""
    shown = printable(text, keep_newlines=True)
    return Content.styled(shown, style) if style else Content(shown)


def plain_cell(text: str) -> Text:
    """User text for a DataTable cell: the table reads a str as markup, and sizes its
    columns by measuring Rich renderables (a Content cell would not widen its column)."""
    return Text(printable(text))


class PlainToasts(App[int]):
    """An App whose toasts are always plain text, whatever the caller asked (Widget.notify
    asks for markup by default): they carry messages, titles, names and errors that users
    and agents wrote."""

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        shown = printable(message, keep_newlines=True)
        super().notify(
            shown, title=printable(title), severity=severity, timeout=timeout, markup=False
        )
