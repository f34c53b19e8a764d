"""First run: what to press to get going, shown while there are no agents and no tasks."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from maos_tui.config import Workspace
from maos_tui.printable import printable
from maos_tui.starter import STARTER_TEAM


class Welcome(Static):
    def show(self, default_model: str | None, workspace: Workspace) -> None:
        trio = ", ".join(m.name for m in STARTER_TEAM)
        if default_model:
            starter = f"starter team ({trio}) with {printable(default_model)}"
        else:
            starter = f"starter team ({trio}); asks for a model first"
        lines = [
            ("Welcome to maos-tui. Nothing here yet.\n\n", "bold"),
            ("  n  ", "bold $accent"),
            "add a task\n",
            ("  A  ", "bold $accent"),
            "add an agent, for example from a shell:\n",
            ("       maos-tui agent add coder --model openai/gpt-4o-mini\n", "$text-muted"),
            ("       maos-tui agent add local --model ollama/llama3.1\n", "$text-muted"),
            ('       maos-tui agent add aider --command "aider --yes"\n', "$text-muted"),
            ("  S  ", "bold $accent"),
            f"{starter}\n",
            ("  ?  ", "bold $accent"),
            "every key\n\n",
            "The board is mirrored in ",
            (workspace.working_md.name, "bold"),
            " in the workspace folder: edit it by hand in any editor.",
        ]
        self.update(Content.assemble(*lines))
