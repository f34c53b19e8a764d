"""Collaboration in the app: the thread and composer and the documents on the task detail,
the document viewer (versions, diff, `E` to edit in $EDITOR), the notifications screen
(`N`) and search (`/` on detail screens). Toasts and the header's unread count live in
`tui.notices`, which the board imports without any of this.

Everything goes through the store's services, like the CLI, so the rules (threading,
mentions, versions) are the same everywhere.
"""

from __future__ import annotations

import shlex
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Input, Label, Markdown, OptionList, Static
from textual.widgets.option_list import Option

from maos_tui.collab import DocumentRecord, MessageRecord
from maos_tui.domain import HUMAN, DomainError, TaskRecord
from maos_tui.printable import printable
from maos_tui.store import Store
from maos_tui.tui.keys import bindings
from maos_tui.tui.plain import plain
from maos_tui.tui.screens.detail import DetailSection, TaskDetailScreen, add_detail_section
from maos_tui.tui.widgets.footer import KeyFooter
from maos_tui.tui.widgets.scrolling import KeyedList, ScrollBody

if TYPE_CHECKING:
    from maos_tui.store.views import ReadView
    from maos_tui.tui.app import MaosApp


def message_lines(message: MessageRecord) -> Content:
    kind = "" if message.type.value == "comment" else f" [{message.type.value}]"
    reply = f" ↳ #{message.reply_to}" if message.reply_to is not None else ""
    when = message.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
    head = plain(f"#{message.id} {message.author}", "bold")
    return Content.assemble(head, plain(kind), f"{reply}  {when}\n", plain(message.text))


class ThreadSection(DetailSection):
    """The task's messages, oldest first, and a composer: enter posts as the human."""

    title = "Thread"

    def body(self) -> ComposeResult:
        yield Static(classes="section-body", id="thread")
        yield Input(placeholder="Message (@name notifies; enter posts)", id="composer")
        yield Label("", id="composer-warning")

    async def load(self, view: ReadView, task: TaskRecord) -> None:
        self.task_id = task.id
        thread = await view.messages(task.id)
        lines = [message_lines(m) for m in thread]
        text = Content("\n\n").join(lines) if lines else "No messages yet."
        self.query_one("#thread", Static).update(text)

    @on(Input.Changed, "#composer")
    async def check_mentions(self, event: Input.Changed) -> None:
        """Unknown @names are kept as text; say so before the message is sent."""
        mentions = await self.app.store.notifications.resolve(event.value)  # type: ignore[attr-defined]
        self.query_one("#composer-warning", Label).update(plain(" ".join(mentions.warnings)))

    @on(Input.Submitted, "#composer")
    async def post(self, event: Input.Submitted) -> None:
        event.stop()
        store: Store = self.app.store  # type: ignore[attr-defined]
        try:
            await store.messages.post(self.task_id, HUMAN, event.value)
        except DomainError as exc:
            self.notify(str(exc), title="Not posted", severity="error")
            return
        event.input.value = ""
        await self.screen.store_changed()  # type: ignore[attr-defined]


class DocumentList(KeyedList):
    BINDINGS: ClassVar[list[BindingType]] = bindings("doclist")


class DocumentsSection(DetailSection):
    title = "Documents"

    def body(self) -> ComposeResult:
        yield DocumentList(classes="section-body", id="documents")

    async def load(self, view: ReadView, task: TaskRecord) -> None:
        docs = await view.documents(task.id)
        options = [
            Option(
                plain(f"{d.ref}  {d.title}  ({d.doc_type.value}, v{d.latest})"), id=f"doc:{d.id}"
            )
            for d in docs
        ]
        listing = self.query_one(DocumentList)
        listing.set_options(options or [Option("none", disabled=True)])
        if options:
            listing.highlighted = 0

    @on(OptionList.OptionSelected, "#documents")
    def open_document(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.app.push_screen(DocumentScreen(int(event.option.id.split(":", 1)[1])))


add_detail_section(ThreadSection)
add_detail_section(DocumentsSection)


class DocumentScreen(Screen[None]):
    """One document: the rendered version, `[`/`]` step versions, `d` diff, `E` edit."""

    BINDINGS: ClassVar[list[BindingType]] = bindings("document")
    app: MaosApp

    def __init__(self, doc_id: int) -> None:
        super().__init__(classes="detail")
        self.doc_id = doc_id
        self.version: int | None = None  # None: follow the latest
        self.showing_diff = False
        self.doc: DocumentRecord | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="detail-body"):
            yield Label("", id="doc-title", classes="section-title")
            with ScrollBody():
                yield Markdown(id="doc-body")
                yield Static("", id="doc-diff")
        yield KeyFooter()

    async def on_mount(self) -> None:
        await self.store_changed()
        self.query_one(ScrollBody).focus()

    async def store_changed(self) -> None:
        try:
            doc = await self.app.store.documents.get(self.doc_id, self.version)
            diff = ""
            if self.showing_diff and doc.version > 1:
                diff = await self.app.store.documents.diff(
                    self.doc_id, doc.version - 1, doc.version
                )
        except DomainError as exc:
            self.notify(str(exc), severity="error")
            return
        self.doc = doc
        self.query_one("#doc-title", Label).update(
            plain(
                f"{doc.ref}  {doc.title}  ({doc.doc_type.value}, {doc.task_id})   "
                f"version {doc.version} of {doc.latest} by {doc.author}"
            )
        )
        markdown = self.query_one("#doc-body", Markdown)
        changes = self.query_one("#doc-diff", Static)
        markdown.display = not self.showing_diff
        changes.display = self.showing_diff
        if self.showing_diff:
            shown = diff or "No changes from the previous version."
            if doc.version == 1:
                shown = "Version 1 is the first: nothing to compare."
            changes.update(plain(shown))
        else:
            await markdown.update(printable(doc.content or "", keep_newlines=True))

    async def action_step(self, delta: int) -> None:
        if self.doc is None:
            return
        target = self.doc.version + delta
        if not 1 <= target <= self.doc.latest:
            self.notify(f"{self.doc.ref} has versions 1 to {self.doc.latest}")
            return
        self.version = None if target == self.doc.latest else target
        await self.store_changed()

    def action_search(self) -> None:
        self.app.push_screen(SearchScreen())

    async def action_toggle_diff(self) -> None:
        self.showing_diff = not self.showing_diff
        await self.store_changed()

    async def action_edit_document(self) -> None:
        """Open the shown version in $EDITOR (the app steps aside); saving adds a version."""
        if self.doc is None:
            return
        doc = self.doc
        with tempfile.TemporaryDirectory(prefix="maos-doc-") as tmp:
            path = Path(tmp) / f"{doc.ref}.md"  # never the title: titles are not file names
            path.write_text(doc.content or "", encoding="utf-8")
            try:
                with self.app.suspend():
                    code = run_editor(self.app.env, path)
            except SuspendNotSupported:  # headless (tests): nothing to hand over
                code = run_editor(self.app.env, path)
            if code != 0:
                self.notify(f"the editor exited with {code}; nothing saved", severity="warning")
                return
            try:
                content = path.read_bytes().decode("utf-8")
            except UnicodeDecodeError:
                self.notify("the file is not UTF-8 any more; nothing saved", severity="error")
                return
        if content == doc.content:
            self.notify("No changes: no new version.")
            return
        try:
            saved = await self.app.store.documents.revise(doc.id, content, HUMAN)
        except DomainError as exc:
            self.notify(str(exc), title="Not saved", severity="error")
            return
        self.version = None
        self.notify(f"Saved {saved.ref} version {saved.version}")
        await self.store_changed()


def run_editor(env: Mapping[str, str], path: Path) -> int:
    """$VISUAL or $EDITOR (default vi), as an argv: the file name is an argument, never
    shell text."""
    command = env.get("VISUAL") or env.get("EDITOR") or "vi"
    try:
        return subprocess.call([*shlex.split(command), str(path)])
    except OSError:
        return 127


class NotificationList(KeyedList):
    BINDINGS: ClassVar[list[BindingType]] = bindings("notify-list")


class NotificationsScreen(Screen[None]):
    """The person's notifications, newest first; enter reads one and opens its task."""

    BINDINGS: ClassVar[list[BindingType]] = bindings("notifications")
    app: MaosApp

    def compose(self) -> ComposeResult:
        with Vertical(id="detail-body"):
            yield Label("Notifications", classes="section-title", id="notify-title")
            yield NotificationList(id="notifications")
        yield KeyFooter()

    async def on_mount(self) -> None:
        await self.store_changed()
        self.query_one(NotificationList).focus()

    async def store_changed(self) -> None:
        notes = await self.app.store.notifications.list(HUMAN, limit=200)
        unread = sum(1 for n in notes if n.unread)
        self.query_one("#notify-title", Label).update(f"Notifications   {unread} unread")
        listing = self.query_one(NotificationList)
        highlighted = listing.highlighted
        listing.set_options(
            [
                Option(
                    plain(
                        f"{'●' if n.unread else ' '} {n.created_at.astimezone():%m-%d %H:%M}  "
                        f"{n.text}"
                    ),
                    id=f"note:{n.id}:{n.task_id or ''}",
                )
                for n in notes
            ]
            or [Option("No notifications.", disabled=True)]
        )
        if notes:
            listing.highlighted = min(highlighted or 0, len(notes) - 1)

    @on(OptionList.OptionSelected, "#notifications")
    async def open_note(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        _, note_id, task_id = (event.option.id or "::").split(":", 2)
        await self.app.store.notifications.mark_read([int(note_id)], HUMAN)
        if task_id:
            self.app.push_screen(TaskDetailScreen(task_id))

    async def action_read_all(self) -> None:
        marked = await self.app.store.notifications.mark_read(None, HUMAN)
        self.notify(f"Marked {len(marked)} read")
        await self.store_changed()


class SearchScreen(Screen[None]):
    """`/` on detail screens: type, enter searches; enter on a result opens its task."""

    BINDINGS: ClassVar[list[BindingType]] = bindings("search")
    app: MaosApp

    def compose(self) -> ComposeResult:
        with Vertical(id="detail-body"):
            yield Input(placeholder="Search tasks, messages and documents", id="search-input")
            yield KeyedList(id="search-results")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#search-input", Input).focus()

    @on(Input.Submitted, "#search-input")
    async def run_search(self, event: Input.Submitted) -> None:
        event.stop()
        results = self.query_one("#search-results", OptionList)
        try:
            hits = await self.app.store.search.search(event.value)
        except DomainError as exc:
            self.notify(str(exc), severity="warning")
            return
        results.set_options(
            [
                Option(
                    plain(f"{h.ref:<9} {h.kind:<8} {h.title}\n    {h.snippet}"),
                    id=f"hit:{i}:{h.task_id}",
                )
                for i, h in enumerate(hits)
            ]
            or [Option("No matches.", disabled=True)]
        )
        if hits:
            results.highlighted = 0
            results.focus()

    @on(OptionList.OptionSelected, "#search-results")
    def open_hit(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        task_id = (event.option.id or "").rsplit(":", 1)[-1]
        if task_id:
            self.app.push_screen(TaskDetailScreen(task_id))
