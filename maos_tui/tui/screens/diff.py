"""The diff screen (`D`): a task's change for review. The files with their `+`/`-` counts,
the unified diff syntax-coloured and drawn lazily (widgets/diff_view.py), review comments
under their lines; `c` comments on the cursor line, `R` requests changes, `a` approves.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from maos_tui.domain import DomainError
from maos_tui.review import ReviewComment
from maos_tui.store import StoreError
from maos_tui.tui.attempt import attempt
from maos_tui.tui.diff_model import DiffModel, counts_label
from maos_tui.tui.keys import bindings
from maos_tui.tui.plain import plain
from maos_tui.tui.review_actions import DiffTarget, approve, load_diff, request_changes
from maos_tui.tui.widgets.diff_view import DiffView
from maos_tui.tui.widgets.footer import KeyFooter
from maos_tui.tui.widgets.scrolling import KeyedList

if TYPE_CHECKING:
    from maos_tui.tui.app import MaosApp


class CommentInput(Input):
    """enter saves, escape closes without saving (the form keys)."""

    BINDINGS: ClassVar[list[BindingType]] = bindings("form")

    def action_save(self) -> None:
        self.action_submit()  # type: ignore[unused-awaitable]

    def action_cancel(self) -> None:
        self.screen.close_comment()  # type: ignore[attr-defined]


class DiffScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = bindings("diff")
    DEFAULT_CSS = """
    DiffScreen #diff-title { height: 1; padding: 0 1; background: $panel; text-style: bold; }
    DiffScreen #diff-error { display: none; height: auto; padding: 0 1; color: $error; }
    DiffScreen #diff-body { height: 1fr; }
    DiffScreen #diff-files { width: 36; height: 100%; border: none; }
    DiffScreen #diff-view { width: 1fr; height: 100%; }
    DiffScreen #diff-comment { display: none; }
    """
    app: MaosApp

    def __init__(self, task_id: str | None, target: DiffTarget | None = None) -> None:
        super().__init__(classes="diff")
        self.task_id = task_id
        self.target = target
        self.model: DiffModel | None = None
        self.comments: list[ReviewComment] = []
        self._mounted = asyncio.Event()
        self.label = task_id or (f"{target.branch} → {target.base}" if target else "")

    def compose(self) -> ComposeResult:
        # git starts now, in a thread, while the screen's widgets are put together.
        self.run_worker(self.load(), group="diff", exclusive=True, exit_on_error=False)
        yield Static(self._title("loading the diff…"), id="diff-title")
        yield Static(id="diff-error")
        with Horizontal(id="diff-body"):
            yield KeyedList(id="diff-files")
            yield DiffView(id="diff-view")
        yield CommentInput(id="diff-comment")
        yield KeyFooter()

    @property
    def view(self) -> DiffView:
        return self.query_one(DiffView)

    def on_mount(self) -> None:
        self.view.focus()
        self._mounted.set()

    def _title(self, what: str) -> Content:
        return plain(f"{self.label}  {what}")

    async def load(self) -> None:
        try:
            model, self.label = await load_diff(self.app, self.task_id, self.target)
        except (DomainError, StoreError) as exc:
            await self._mounted.wait()
            self.show_error(str(exc))
            return
        await self._mounted.wait()
        self.model = model
        added = sum(f.added or 0 for f in model.files)
        removed = sum(f.removed or 0 for f in model.files)
        summary = f"{len(model.files)} files  +{added} -{removed}"
        if model.truncated:
            summary += "  (truncated)"
        if not model.files:
            summary = "no changes against the base"
        self.query_one("#diff-title", Static).update(self._title(summary))
        files = self.query_one("#diff-files", KeyedList)
        files.set_options(Option(plain(f"{counts_label(f):>11}  {f.path}")) for f in model.files)
        self.view.show(model, self.comments)
        if model.files:
            files.highlighted = 0
        await self.reload_comments()

    def show_error(self, message: str) -> None:
        error = self.query_one("#diff-error", Static)
        error.update(plain(f"error: {message}"))
        error.display = True
        self.query_one("#diff-title", Static).update(self._title("no diff to show"))

    async def reload_comments(self) -> None:
        if self.task_id is None:
            return
        found = await attempt(self, lambda: self.app.store.reviews.comments(self.task_id or ""))
        if found is not None:
            self.comments = found
            self.view.set_comments(found)

    async def store_changed(self) -> None:
        await self.reload_comments()

    # ------------------------------------------------------------ files

    def action_next_file(self) -> None:
        self._jump(1)

    def action_prev_file(self) -> None:
        self._jump(-1)

    def _jump(self, delta: int) -> None:
        model = self.model
        if model is None or not model.starts:
            return
        current = model.file_of[self.view.cursor] if len(model) else -1
        if delta < 0 and current >= 0 and self.view.cursor != model.starts[current]:
            delta = 0  # back to the start of the file the cursor is in first
        target = max(0, min(current + delta, len(model.starts) - 1))
        self.show_file(target)

    def show_file(self, file: int) -> None:
        assert self.model is not None
        self.view.move_cursor(self.model.starts[file], top=True)
        self.query_one("#diff-files", KeyedList).highlighted = file

    def on_diff_view_cursor_moved(self, event: DiffView.CursorMoved) -> None:
        if self.model is not None and self.model.files:
            files = self.query_one("#diff-files", KeyedList)
            file = self.model.file_at(event.line)
            if files.highlighted != file:
                files.highlighted = file

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.show_file(event.option_index)
        self.view.focus()

    # ------------------------------------------------------------ review

    def action_comment(self) -> None:
        model = self.model
        if model is None or self.task_id is None:
            self.notify("No task's change to comment on.", severity="warning")
            return
        anchor = model.anchor(self.view.cursor) if len(model) else None
        if anchor is None:
            self.notify("Put the cursor on a line of code (j/k) to comment on it.")
            return
        field = self.query_one(CommentInput)
        field.placeholder = f"Comment on {anchor.file}:{anchor.line} (enter saves, esc cancels)"
        field.value = ""
        field.display = True
        field.focus()

    def close_comment(self) -> None:
        field = self.query_one(CommentInput)
        field.display = False
        self.view.focus()

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        model, task_id = self.model, self.task_id
        if model is None or task_id is None:
            return
        anchor = model.anchor(self.view.cursor)
        if anchor is None or not event.value.strip():
            self.close_comment()
            return
        added = await attempt(
            self,
            lambda: self.app.store.reviews.add(
                task_id, anchor.file, anchor.line, event.value, side=anchor.side
            ),
            title="Comment not saved",
        )
        if added is not None:
            self.close_comment()
            await self.reload_comments()

    async def action_request_changes(self) -> None:
        if self.task_id is None:
            return
        task_id = self.task_id
        task = await attempt(self, lambda: request_changes(self.app, task_id),
                             title="Changes not requested")  # fmt: skip
        if task is not None:
            self.notify(f"{task.id} is back with its author, with {len(self.comments)} comments")
            self.dismiss()

    async def action_approve(self) -> None:
        if self.task_id is None:
            return
        task_id = self.task_id
        self.notify(f"Merging {task_id}…")
        merged = await attempt(self, lambda: approve(self.app, task_id), title="Not merged")
        if merged is not None:
            self.notify(f"{task_id} merged into {merged.base_branch} as {merged.commit[:12]}")
            self.dismiss()
