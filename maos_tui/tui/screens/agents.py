"""The agents screen: every agent with what it runs, its load, tokens and cost; add, edit,
pause, resume, remove and check them. Validation is the store's, the same as the CLI's."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Checkbox, DataTable, Input, Label, Static, TextArea

from maos_tui.agents.readiness import shown
from maos_tui.agents.secrets import mask_url_secrets
from maos_tui.domain import (
    DEFAULT_HEARTBEAT_SECONDS,
    DEFAULT_MAX_CONCURRENT,
    AgentKind,
    AgentRecord,
    AgentStatus,
    DomainError,
)
from maos_tui.store import StoreError
from maos_tui.store.agent_values import AgentFieldError, command_text, split_command
from maos_tui.store.views import read_view
from maos_tui.tui.attempt import attempt
from maos_tui.tui.cards import money
from maos_tui.tui.keys import bindings
from maos_tui.tui.plain import plain, plain_cell
from maos_tui.tui.screens.fields import field_row
from maos_tui.tui.suggest import split_list
from maos_tui.tui.widgets.footer import KeyFooter

if TYPE_CHECKING:
    from maos_tui.tui.app import MaosApp


# The form's names for an agent's fields, in the errors the store's validation raises.
LABELS = {
    "model": "Model",
    "command": "Command",
    "shell": "Run through /bin/sh",
    "heartbeat_seconds": "Heartbeat",
    "max_concurrent": "Max concurrent",
    "api_base": "API base",
}


def runs_what(agent: AgentRecord) -> str:
    return agent.model or command_text(agent)


class AgentsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = bindings("agents")
    app: MaosApp

    def __init__(self) -> None:
        super().__init__(classes="agents")
        self.agents: list[AgentRecord] = []

    def compose(self) -> ComposeResult:
        yield Label("Agents", classes="screen-title")
        yield DataTable(id="agents-table", cursor_type="row", zebra_stripes=True)
        yield Static("No agents yet: press n to add one.", id="agent-empty", classes="hint")
        yield Static(id="agent-note", classes="hint")
        yield KeyFooter()

    async def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(
            "name",
            "kind",
            "model / command",
            "capabilities",
            "status",
            "load",
            "tokens in/out",
            "cost",
        )
        await self.store_changed()
        table.focus()

    async def store_changed(self) -> None:
        async with read_view(self.app.store) as view:
            self.agents = shown(await view.agents(), self.app.config)
            # Load is what runs now: a task merely assigned to an offline agent is not.
            running = Counter(run.agent_name for run in await view.open_runs())
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for agent in self.agents:
            status = agent.status.value
            if agent.status_reason:
                status += f" ({agent.status_reason})"
            table.add_row(
                agent.name,
                agent.kind.value,
                plain_cell(runs_what(agent)),
                plain_cell(", ".join(agent.capabilities)),
                plain_cell(status),
                f"{running[agent.name]}/{agent.max_concurrent}",
                f"{agent.tokens_in}/{agent.tokens_out}",
                money(agent.cost_usd),
                key=agent.name,
            )
        if self.agents:
            table.move_cursor(row=min(row, len(self.agents) - 1))
        self.query_one("#agent-empty", Static).display = not self.agents

    def selected(self) -> AgentRecord | None:
        table = self.query_one(DataTable)
        if not self.agents:
            self.notify("No agent selected.", severity="warning")
            return None
        return self.agents[min(table.cursor_row, len(self.agents) - 1)]

    async def attempt(self, call: Callable[[], Awaitable[object]]) -> bool:
        if await attempt(self, call) is None:
            return False
        await self.store_changed()
        return True

    def action_add_agent(self) -> None:
        self.app.push_screen(AgentForm(None), self.after_form)

    def action_edit_agent(self) -> None:
        agent = self.selected()
        if agent is not None:
            self.app.push_screen(AgentForm(agent), self.after_form)

    async def after_form(self, saved: AgentRecord | None) -> None:
        if saved is not None:
            await self.store_changed()
            self.notify(f"Saved agent {saved.name}")

    async def action_toggle_pause(self) -> None:
        agent = self.selected()
        if agent is not None:
            paused = agent.status is not AgentStatus.PAUSED
            await self.attempt(lambda: self.app.store.agents.set_paused(agent.name, paused))

    def action_remove_agent(self) -> None:
        agent = self.selected()
        if agent is None:
            return
        from maos_tui.tui.screens.pickers import Confirm

        async def confirmed(yes: bool | None) -> None:
            if yes and await self.attempt(lambda: self.app.store.agents.remove(agent.name)):
                self.notify(f"Removed {agent.name}; its unfinished tasks went back to the inbox")

        self.app.push_screen(
            Confirm(f"Remove agent {agent.name}? Its unfinished tasks go back to the inbox."),
            confirmed,
        )

    def action_check_agent(self) -> None:
        """The CLI's `agent check`: one tiny request to the model (or a PATH lookup)."""
        agent = self.selected()
        if agent is not None:
            self.query_one("#agent-note", Static).update(plain(f"{agent.name}: checking…"))
            self.run_worker(self._check(agent), group="agent-check", exclusive=True)

    async def _check(self, agent: AgentRecord) -> None:
        from maos_tui.agents.check import check_agent
        from maos_tui.agents.keys import load_key_commands
        from maos_tui.agents.llm import load_litellm

        # Key commands may run programs, and litellm's first import takes seconds: both
        # off the event loop, so the screen keeps answering keys meanwhile.
        for name, failure in (await load_key_commands(self.app.config)).items():
            self.notify(f"{name}: {failure}", severity="warning", markup=False)
        if agent.kind is AgentKind.LLM:
            await asyncio.to_thread(load_litellm)
        ok, line = await check_agent(agent)
        self.query_one("#agent-note", Static).update(plain(line))
        self.notify(line, severity="information" if ok else "error")


class AgentForm(ModalScreen[AgentRecord | None]):
    BINDINGS: ClassVar[list[BindingType]] = bindings("form")
    DEFAULT_CSS = """
    AgentForm .field Checkbox { border: none; padding: 0; height: 1; background: $panel; }
    """
    app: MaosApp

    def __init__(self, agent: AgentRecord | None) -> None:
        super().__init__(classes="form")
        self.agent = agent

    def compose(self) -> ComposeResult:
        agent = self.agent
        command = command_text(agent) if agent and agent.command else ""
        api_base = mask_url_secrets(agent.api_base) if agent and agent.api_base else ""
        heartbeat = agent.heartbeat_seconds if agent else DEFAULT_HEARTBEAT_SECONDS
        most = agent.max_concurrent if agent else DEFAULT_MAX_CONCURRENT
        with VerticalScroll(classes="dialog"):
            title = f"Edit agent {agent.name}" if agent else "New agent"
            yield Label(f"{title}   (enter or ctrl+s: save, esc: cancel)", classes="dialog-title")
            yield Label("", id="error", classes="error")
            yield field_row(
                "Name", Input(agent.name if agent else "", id="name", disabled=agent is not None)
            )
            yield Label("An LLM agent has a model; a CLI agent has a command.", classes="hint")
            yield field_row(
                "Model",
                Input(
                    (agent.model or "") if agent else "",
                    id="model",
                    placeholder="openai/gpt-4o-mini, ollama/llama3.1",
                ),
            )
            yield field_row(
                "API base",
                Input(api_base, id="api_base", placeholder="http://127.0.0.1:8000/v1 (optional)"),
            )
            yield field_row("Command", Input(command, id="command", placeholder="aider --yes"))
            shell = Checkbox(
                "as one /bin/sh command line", agent.shell if agent else False, id="shell"
            )
            yield field_row("Shell", shell)
            yield field_row("Role", Input(agent.role if agent else "", id="role"))
            caps = ", ".join(agent.capabilities) if agent else ""
            yield field_row("Capabilities", Input(caps, id="capabilities"))
            yield field_row("Heartbeat (s)", Input(str(heartbeat), id="heartbeat_seconds"))
            yield field_row("Max concurrent", Input(str(most), id="max_concurrent"))
            yield Label("System prompt", classes="hint")
            yield TextArea(agent.system_prompt if agent else "", id="system_prompt")

    def on_mount(self) -> None:
        self.query_one(TextArea).cursor_blink = False
        self.query_one("#model" if self.agent else "#name", Input).focus()

    def value(self, field: str) -> str:
        return self.query_one(f"#{field}", Input).value.strip()

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        await self.action_save()

    async def action_save(self) -> None:
        try:
            saved = await self.save()
        except AgentFieldError as exc:
            self.query_one("#error", Label).update(Content(f"✗ {exc.named(LABELS)}"))
            field = self.query(f"#{exc.field}")
            if field:
                field.first().focus()
            return
        except (DomainError, StoreError) as exc:
            self.query_one("#error", Label).update(Content(f"✗ {exc}"))
            return
        self.dismiss(saved)

    def number(self, field: str) -> int:
        try:
            return int(self.value(field))
        except ValueError:
            raise AgentFieldError("{} must be a whole number", field) from None

    async def save(self) -> AgentRecord:
        shell = self.query_one("#shell", Checkbox).value
        api_base = self.value("api_base") or None
        if self.agent and api_base == mask_url_secrets(self.agent.api_base or ""):
            api_base = self.agent.api_base  # shown masked, unchanged: keep its secrets
        definition: dict[str, Any] = {
            "model": self.value("model") or None,
            "command": split_command(self.value("command") or None, shell),
            "shell": shell,
            "api_base": api_base,
            "role": self.value("role"),
            "capabilities": split_list(self.value("capabilities")),
            "heartbeat_seconds": self.number("heartbeat_seconds"),
            "max_concurrent": self.number("max_concurrent"),
            "system_prompt": self.query_one("#system_prompt", TextArea).text.strip(),
        }
        agents = self.app.store.agents
        if self.agent is None:
            return await agents.add(self.value("name"), **definition)
        kept = {"budget_usd": self.agent.budget_usd, "budget_tokens": self.agent.budget_tokens}
        return await agents.update(self.agent.name, **definition, **kept)

    def action_cancel(self) -> None:
        self.dismiss(None)
