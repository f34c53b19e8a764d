"""`?`: every key, grouped, as currently bound (a `[keymap]` remap shows here too)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from maos_tui.tui.keys import display_key, groups
from maos_tui.tui.widgets.footer import KeyFooter
from maos_tui.tui.widgets.scrolling import ScrollBody


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close help"),
    ]

    def compose(self) -> ComposeResult:
        keymap = getattr(self.app, "_keymap", {})
        parts: list[str | tuple[str, str]] = []
        for group, specs in groups().items():
            parts.append((f"{group}\n", "bold"))
            for spec in specs:
                keys = keymap.get(spec.id, spec.keys)
                shown = " ".join(display_key(k) for k in keys.split(","))
                parts += [(f"  {shown:<18} ", "bold $accent"), f"{spec.description}\n"]
            parts.append("\n")
        parts += [("Anywhere\n", "bold"), (f"  {'ctrl+p':<18} ", "bold $accent")]
        parts.append("Command palette: every action by name")
        with ScrollBody(classes="dialog help"):
            yield Static("Keys   (esc to close)", classes="dialog-title")
            yield Static(Content.assemble(*parts), id="help-keys")
        yield KeyFooter()  # closed by a tap: a phone's keyboard has no esc

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
