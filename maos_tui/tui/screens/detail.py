"""Task detail: a column of sections, each loading its own part of the task.

Sections are listed in DETAIL_SECTIONS; later features (messages, documents) add theirs
with `add_detail_section` instead of editing this screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Label, Markdown, OptionList, Static
from textual.widgets.option_list import Option

from maos_tui.domain import DomainError, TaskRecord
from maos_tui.forecast import HELD
from maos_tui.printable import printable
from maos_tui.store.views import ReadView, read_view
from maos_tui.tui.cards import age, money
from maos_tui.tui.feed_text import describe
from maos_tui.tui.keys import bindings
from maos_tui.tui.plain import plain
from maos_tui.tui.widgets.footer import KeyFooter
from maos_tui.tui.widgets.scrolling import KeyedList, ScrollBody

if TYPE_CHECKING:
    from maos_tui.tui.app import MaosApp

OUTPUT_TAIL = 40


class DetailSection(Vertical):
    """One titled part of the detail screen."""

    title = ""

    def __init__(self) -> None:
        super().__init__(classes="detail-section")

    def compose(self) -> ComposeResult:
        yield Label(self.title, classes="section-title")
        yield from self.body()

    def body(self) -> ComposeResult:
        yield Static(classes="section-body")

    async def load(self, view: ReadView, task: TaskRecord) -> None:
        raise NotImplementedError

    def set_text(self, text: Content | str) -> None:
        """Show `text`; a str is user text, shown as it is (see tui/plain.py)."""
        self.query_one(".section-body", Static).update(
            plain(text) if isinstance(text, str) else text
        )


def listed(names: tuple[str, ...]) -> str:
    return ", ".join(names) or "—"


class SummarySection(DetailSection):
    title = "Task"

    async def load(self, view: ReadView, task: TaskRecord) -> None:
        rows = [
            Content.assemble((task.id, "bold"), "  ", plain(task.title)),
            Content.assemble(
                "status ",
                (task.status.value, "bold"),
                "   priority ",
                (f"P{task.priority}", "bold"),
                *(["   ", ("blocked", "reverse")] if task.blocked else []),
            ),
            plain(
                f"assignees {listed(task.assignees)}   needs {listed(task.needs)}"
                f"   labels {listed(task.labels)}\n"
                f"retries {task.retry_count}/{task.max_retries}   created by {task.created_by}"
            ),
        ]
        if task.last_error:
            rows.append(plain(f"last error: {task.last_error}"))
        if task.result:
            rows.append(plain(f"result: {task.result}"))
        self.set_text(Content("\n").join(rows))


class DescriptionSection(DetailSection):
    title = "Description"

    def body(self) -> ComposeResult:
        yield Markdown(classes="section-body")

    async def load(self, view: ReadView, task: TaskRecord) -> None:
        description = printable(task.description, keep_newlines=True)
        await self.query_one(Markdown).update(description or "*No description.*")


class LinksSection(DetailSection):
    """Dependencies both ways and subtasks; enter opens the linked task."""

    title = "Blocked by · blocks · subtasks"

    def body(self) -> ComposeResult:
        yield LinkList(classes="section-body")

    async def load(self, view: ReadView, task: TaskRecord) -> None:
        options: list[Option] = []
        for dep in task.after:
            options.append(Option(f"blocked by  {dep}", id=f"after:{dep}"))
        for dependent in await view.dependents(task.id):
            options.append(Option(f"blocks      {dependent}", id=f"blocks:{dependent}"))
        for sub_id, title, status in await view.subtasks(task.id):
            options.append(
                Option(plain(f"subtask     {sub_id} [{status}] {title}"), id=f"sub:{sub_id}")
            )
        if task.parent:
            options.append(Option(f"parent      {task.parent}", id=f"parent:{task.parent}"))
        links = self.query_one(LinkList)
        links.set_options(options or [Option("none", disabled=True)])
        if options:
            links.highlighted = 0


class LinkList(KeyedList):
    """`tab` reaches it; `enter` opens the highlighted link from anywhere on the screen."""


class HistorySection(DetailSection):
    title = "History"

    async def load(self, view: ReadView, task: TaskRecord) -> None:
        history = await view.history(task.id)
        self.set_text(
            "\n".join(f"{a.created_at.astimezone():%Y-%m-%d %H:%M}  {describe(a)}" for a in history)
            or "—"
        )


class RunsSection(DetailSection):
    title = "Runs"

    async def load(self, view: ReadView, task: TaskRecord) -> None:
        runs = await view.runs(task.id)
        now = self.app.clock()  # type: ignore[attr-defined]
        lines = []
        for run in runs:
            outcome = run.outcome or f"running {age(run.started_at, now)}"
            line = (
                f"#{run.id} {run.agent_name} {run.kind}: {outcome}  "
                f"tokens {run.tokens_in}/{run.tokens_out}  {money(run.cost_usd)}"
            )
            if run.error:
                line += f"\n    error: {run.error}"
            lines.append(line)
        self.set_text("\n".join(lines) or "No runs yet.")


class CostSection(DetailSection):
    """The task's cost to finish, as the board last worked it out (tui/to_go.py)."""

    title = "Cost to finish"

    async def load(self, view: ReadView, task: TaskRecord) -> None:
        app: MaosApp = self.app  # type: ignore[assignment]
        board = app.main_screen.forecast
        own, family = board.of(task.id)
        if board.result is None:
            text = "Not worked out yet."
        elif own is None:
            text = "Nothing left to do: the task is closed."
        else:
            text = f"likely {money(own.likely_usd)} · high {money(own.high_usd)}   {own.note}"
        subtasks = len(family.tasks) - (own is not None) if family is not None else 0
        if family is not None and subtasks:
            text += (
                f"\nwith its {subtasks} open subtask{'s' if subtasks > 1 else ''}: likely"
                f" {money(family.likely_usd)} · high {money(family.high_usd)}"
            )
        if task.status_reason and task.status_reason.startswith(HELD):
            text += f"\n{task.status_reason} (allow it once: maos-tui task allow {task.id})"
        self.set_text(text)


class OutputSection(DetailSection):
    title = "Live output (current run)"

    async def load(self, view: ReadView, task: TaskRecord) -> None:
        runs = [r for r in await view.runs(task.id) if r.ended_at is None]
        if not runs:
            self.set_text("No run in progress.")
            return
        tail = runs[-1].output_log.splitlines()[-OUTPUT_TAIL:]
        self.set_text("\n".join(tail) or "(no output yet)")


DETAIL_SECTIONS: list[type[DetailSection]] = [
    SummarySection,
    DescriptionSection,
    LinksSection,
    HistorySection,
    RunsSection,
    CostSection,
    OutputSection,
]


def add_detail_section(section: type[DetailSection]) -> None:
    if section not in DETAIL_SECTIONS:
        DETAIL_SECTIONS.append(section)


class TaskDetailScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = bindings("detail")
    app: MaosApp

    def __init__(self, task_id: str) -> None:
        super().__init__(classes="detail")
        self.task_id = task_id
        self.task_record: TaskRecord | None = None

    def compose(self) -> ComposeResult:
        # The thread and documents sections register on import; imported here, not at the
        # top, so the board's first paint does not pay for them (and no import cycle).
        from maos_tui.tui.screens import collab  # noqa: F401

        with ScrollBody(id="detail-body"):
            for section in DETAIL_SECTIONS:
                yield section()
        yield KeyFooter()

    async def on_mount(self) -> None:
        await self.store_changed()
        # The body, not a section: the scroll keys then reach the whole task at once.
        self.query_one(ScrollBody).focus()

    async def store_changed(self) -> None:
        try:
            async with read_view(self.app.store) as view:
                task = await view.task(self.task_id)
                for section in self.query(DetailSection):
                    await section.load(view, task)
        except DomainError as exc:
            self.notify(str(exc), severity="error")
            return
        self.task_record = task

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id and ":" in event.option.id:
            self.app.push_screen(TaskDetailScreen(event.option.id.split(":", 1)[1]))

    def action_open_link(self) -> None:
        links = self.query_one(LinkList)
        option = links.highlighted_option
        if option is not None and not option.disabled:
            links.action_select()

    def action_edit_task(self) -> None:
        if self.task_record is None:
            return
        from maos_tui.tui.screens.task_form import TaskForm

        async def saved(task: TaskRecord | None) -> None:
            if task is not None:
                await self.store_changed()

        self.app.push_screen(TaskForm(self.task_record), saved)

    def action_diff(self) -> None:
        from maos_tui.tui.screens.diff import DiffScreen

        self.app.push_screen(DiffScreen(self.task_id))

    def action_focus_composer(self) -> None:
        self.query_one("#composer").focus()

    def action_search(self) -> None:
        from maos_tui.tui.screens.collab import SearchScreen

        self.app.push_screen(SearchScreen())
