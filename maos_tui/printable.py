"""Make untrusted text safe to show on a terminal.

Titles, messages, agent output and file contents may hold escape sequences (OSC 52 writes
the clipboard, OSC 0 retitles the pane, `ESC [2J` blanks the screen). Human-readable
output shows every control character as a visible `\\xNN` escape instead; `--json`
keeps the exact text. Nothing here imports Textual, so the CLI and the TUI share it.
"""

from __future__ import annotations

# C0 (with DEL) and C1: the ranges a terminal may act on instead of printing.
_CONTROLS = [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]
_ESCAPED = {code: f"\\x{code:02x}" for code in _CONTROLS}
_LAYOUT = {ord("\n"), ord("\t")}
_ESCAPED_KEEPING_LAYOUT = {code: shown for code, shown in _ESCAPED.items() if code not in _LAYOUT}


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """`text` with every C0/C1 control character (ESC, BEL, CR, DEL...) shown as `\\xNN`.

    With `keep_newlines`, newline and tab are left as they are, for layouts that show
    several lines; otherwise they are escaped too, so one value stays on one line.
    """
    if text.isascii() and text.isprintable():
        return text
    return text.translate(_ESCAPED_KEEPING_LAYOUT if keep_newlines else _ESCAPED)
