"""Small modals: a status picker, an agent picker, a yes/no confirmation, a model prompt."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from maos_tui.domain import AgentRecord, TaskRecord, TaskStatus
from maos_tui.providers import provider_of
from maos_tui.tui.keys import bindings
from maos_tui.tui.plain import plain
from maos_tui.tui.widgets.footer import KeyFooter
from maos_tui.tui.widgets.scrolling import KeyedList

_CLOSE: list[BindingType] = bindings("form")


class StatusPicker(ModalScreen[TaskStatus | None]):
    BINDINGS: ClassVar[list[BindingType]] = _CLOSE

    def __init__(self, task: TaskRecord) -> None:
        super().__init__(classes="picker")
        self.task_record = task

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"Move {self.task_record.id} to…", classes="dialog-title")
            current = self.task_record.status
            options = [
                Option(s.value.replace("_", " ") + ("  (current)" * (s is current)), id=s.value)
                for s in TaskStatus
            ]
            picker = KeyedList(*options, id="status-options")
            yield picker
        yield KeyFooter()  # cancel by a tap: a phone's keyboard has no esc

    def on_mount(self) -> None:
        picker = self.query_one(OptionList)
        picker.highlighted = list(TaskStatus).index(self.task_record.status)
        picker.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(TaskStatus(event.option.id))

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        self.query_one(OptionList).action_select()


class AgentPicker(ModalScreen[str | None]):
    """Pick one agent: it is assigned, or unassigned if it already holds the task."""

    BINDINGS: ClassVar[list[BindingType]] = _CLOSE

    def __init__(self, task: TaskRecord, agents: list[AgentRecord]) -> None:
        super().__init__(classes="picker")
        self.task_record = task
        self.agents = agents

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"Assign {self.task_record.id} (✓ = assigned)", classes="dialog-title")
            options = [
                Option(
                    plain(
                        f"{'✓' if a.name in self.task_record.assignees else ' '} {a.name}"
                        f"  {a.status.value}  {', '.join(a.capabilities)}"
                    ),
                    id=a.name,
                )
                for a in self.agents
            ]
            yield KeyedList(*options, id="agent-options")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        self.query_one(OptionList).action_select()


class Confirm(ModalScreen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__(classes="picker")
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain(self.question), classes="dialog-title")
            yield Static("y / enter: yes    n / esc: no", classes="hint")
        yield KeyFooter()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class ModelPrompt(ModalScreen[str | None]):
    """Asks for the default model (saved in the user config) before adding the starter team."""

    BINDINGS: ClassVar[list[BindingType]] = _CLOSE

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Default model for the starter team", classes="dialog-title")
            yield Static(
                "A litellm model string, e.g. openai/gpt-4o-mini, anthropic/claude-sonnet-4-5 "
                "or ollama/llama3.1. It is saved as default_model in your user config.",
                classes="hint",
            )
            yield Input(placeholder="provider/model", id="model")
            yield Label("", id="error", classes="error")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        model = self.query_one(Input).value.strip()
        try:
            provider_of(model)  # refused here, before it is saved as the default
        except ValueError as exc:
            self.query_one("#error", Label).update(Content(str(exc)))
            return
        self.dismiss(model)

    def action_cancel(self) -> None:
        self.dismiss(None)
