"""Command palette source: jump to a task by its ID or by words of its title."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.command import Hit, Hits, Provider
from textual.content import Content
from textual.fuzzy import Matcher

from maos_tui.domain import DomainError, parse_task_id
from maos_tui.printable import printable

if TYPE_CHECKING:
    from maos_tui.tui.app import MaosApp

MAX_HITS = 10


class TaskCommands(Provider):
    async def search(self, query: str) -> Hits:
        app: MaosApp = self.app  # type: ignore[assignment]
        store = app.store
        found: dict[str, str] = {}
        try:
            task = await store.tasks.get(parse_task_id(query))
            found[task.id] = task.title
        except DomainError:
            pass  # not an ID, or no such task: the title search below may still match
        try:
            hits = await store.search.search(query, limit=MAX_HITS * 3)
        except DomainError:
            hits = []
        for hit in hits:
            if hit.kind == "task" and len(found) < MAX_HITS:
                found.setdefault(hit.task_id, hit.title)
        matcher = self.matcher(query)
        for task_id, title in found.items():
            label = f"{task_id}  {printable(title)}"
            score = max(matcher.match(label), 0.5)  # the store already matched it
            yield Hit(
                score,
                highlight(matcher, label),
                partial(open_task, app, task_id),
                help="Open the task",
            )


def highlight(matcher: Matcher, label: str) -> Content:
    """Matcher.highlight without reading `label` as markup: titles are user text."""
    content = Content(label)
    score, offsets = matcher.fuzzy_search.match(matcher.query, label)
    for offset in offsets if score else ():
        if not label[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


def open_task(app: MaosApp, task_id: str) -> None:
    from maos_tui.tui.screens.detail import TaskDetailScreen

    app.push_screen(TaskDetailScreen(task_id))
