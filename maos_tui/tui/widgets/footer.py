"""The footer of every screen: Textual's, minus the rebuilds that change nothing."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class KeyFooter(Footer):
    """Textual's Footer re-mounts all its keys whenever the focus moves. On the board the
    focus moves with nearly every key (between columns, after a card moves) while the keys
    shown stay the same; the re-mount and restyle of ~20 widgets was most of such a key's
    time at 10,000 tasks. This one rebuilds only when what it would show differs."""

    def __init__(self) -> None:
        super().__init__()
        self._shown: tuple[object, ...] | None = None

    def bindings_changed(self, screen: Screen) -> None:  # type: ignore[type-arg]
        shown = tuple(
            (binding.key, binding.action, binding.description, enabled, tooltip)
            for _node, binding, enabled, tooltip in screen.active_bindings.values()
            if binding.show
        )
        if shown == self._shown:
            return
        super().bindings_changed(screen)
        # Footer skips the rebuild while the terminal is unfocused or for another screen:
        # remember only what was really drawn, so a later call still redraws.
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self._shown = shown
