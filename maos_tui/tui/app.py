"""Placeholder app until the board lands: shows the workspace and quits with q."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer, Header, Static

if TYPE_CHECKING:
    from maos_tui.commands.context import Context


class MaosApp(App[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("q", "quit", "Quit", id="quit")]

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"maos-tui: {self.ctx.workspace.root}")
        yield Footer()
