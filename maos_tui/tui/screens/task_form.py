"""New / edit task modal. Every rule is checked by the store inside one transaction, so a
bad field (empty title, unknown agent, a dependency cycle) shows inline and saves nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, TextArea

from maos_tui.domain import DomainError, TaskRecord, validate_priority
from maos_tui.printable import printable
from maos_tui.store import StoreError
from maos_tui.store.views import view_within
from maos_tui.tui.keys import bindings
from maos_tui.tui.plain import plain
from maos_tui.tui.screens.fields import field_row
from maos_tui.tui.suggest import ListSuggester, split_list

if TYPE_CHECKING:
    from maos_tui.tui.app import MaosApp


class TaskForm(ModalScreen[TaskRecord | None]):
    BINDINGS: ClassVar[list[BindingType]] = bindings("form")
    app: MaosApp

    def __init__(self, task: TaskRecord | None) -> None:
        super().__init__(classes="form")
        self.task_record = task
        self.agent_names: list[str] = []
        self.task_ids: list[str] = []

    def compose(self) -> ComposeResult:
        task = self.task_record
        heading = f"Edit {task.id}" if task else "New task"
        with VerticalScroll(classes="dialog"):
            yield Label(f"{heading}   (enter or ctrl+s: save, esc: cancel)", classes="dialog-title")
            yield Label("", id="error", classes="error")
            yield field_row("Title", Input(self.shown("title"), id="title"))
            yield Label("Description (markdown)", classes="hint")
            yield TextArea(self.shown("description"), id="description")
            yield field_row("Priority 0-3", Input(str(task.priority if task else 2), id="priority"))
            agents = ListSuggester(lambda: self.agent_names)
            assignees = ", ".join(task.assignees) if task else ""
            yield field_row("Assignees", Input(assignees, id="assignees", suggester=agents))
            yield field_row("Needs", Input(", ".join(task.needs) if task else "", id="needs"))
            ids = ListSuggester(lambda: self.task_ids)
            after = ", ".join(task.after) if task else ""
            yield field_row("After (IDs)", Input(after, id="after", suggester=ids))

    async def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.cursor_blink = False
        self.query_one("#title", Input).focus()
        store = self.app.store
        self.agent_names = [a.name for a in await store.agents.list()]
        main = self.app.main_screen
        own = self.task_record.id if self.task_record else None
        self.task_ids = [t.id for tasks in main.data.columns.values() for t in tasks if t.id != own]

    def shown(self, field: str) -> str:
        """A stored text field as the form shows it: control characters escaped."""
        stored: str = getattr(self.task_record, field, "")
        return printable(stored, keep_newlines=field == "description")

    def kept(self, field: str, value: str) -> str:
        """What to save for a text field: the stored text while the user left the field as
        shown, so opening and saving the form never rewrites escaped characters."""
        task = self.task_record
        return getattr(task, field) if task is not None and value == self.shown(field) else value

    def value(self, field: str) -> str:
        return self.query_one(f"#{field}", Input).value

    def on_input_changed(self, event: Input.Changed) -> None:
        # A message about the values saved last: once one changes it may no longer hold.
        self.query_one("#error", Label).update("")

    def on_text_area_changed(self) -> None:
        self.query_one("#error", Label).update("")

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        await self.action_save()

    async def action_save(self) -> None:
        error = self.query_one("#error", Label)
        try:
            saved = await self.save()
        except (DomainError, StoreError) as exc:
            error.update(plain(f"✗ {exc}"))
            return
        self.dismiss(saved)

    async def save(self) -> TaskRecord:
        tasks = self.app.store.tasks
        title = self.kept("title", self.value("title"))
        description = self.kept("description", self.query_one(TextArea).text)
        priority = validate_priority(self.value("priority"))
        assignees = split_list(self.value("assignees"))
        needs = split_list(self.value("needs"))
        after = split_list(self.value("after"))
        task = self.task_record
        if task is None:
            return await tasks.create(
                title,
                description=description,
                priority=priority,
                assignees=assignees,
                needs=needs,
                after=after,
            )
        # Fields and assignees change together or not at all.
        async with self.app.store.write() as tx:
            await tasks.edit_in(
                tx,
                task.id,
                title=title,
                description=description,
                priority=priority,
                needs=needs,
                after=after,
            )
            await tasks.set_assignees_in(
                tx,
                task.id,
                add=[a for a in assignees if a not in task.assignees],
                remove=[a for a in task.assignees if a not in assignees],
            )
            return await view_within(self.app.store, tx).task(task.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
