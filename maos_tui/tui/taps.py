"""A tap (a click) beside a dialog closes it, as the dialog's esc does: a phone's keyboard has
no esc. Not a dialog with fields: a stray tap must not throw away what was typed (its footer
shows esc first)."""

from __future__ import annotations

from textual import events
from textual.app import App
from textual.screen import ModalScreen, SystemModalScreen


class TapBesideCloses(App[int]):
    def on_click(self, event: events.Click) -> None:
        screen = self.screen
        # Textual's own dialogs (the command palette) close on such a click themselves.
        if isinstance(screen, SystemModalScreen) or not isinstance(screen, ModalScreen):
            return
        if event.widget is screen and not screen.query("Input, TextArea"):
            self.simulate_key("escape")
