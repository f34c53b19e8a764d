"""Apply a hand edit of WORKING.md to the store: a three-way merge, one line at a time.

base = the file we last wrote, theirs = the file now, ours = the store now.
- A field that differs between theirs and base was edited by hand and is applied; if the
  store changed it too since base, the hand edit wins and a `conflict` Activity keeps
  both values.
- A line with no base (typed by hand, or one that failed before) is compared with ours.
- A line without an ID creates a task; a line deleted since base archives its task, unless
  the save looks like an accident (holds.py): then nothing is applied.
- Each line is applied in its own savepoint: a line that breaks a rule (unknown agent or
  ID, a cycle...) is rolled back alone, marked failed in `theirs` and reported.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING

from maos_tui.domain import HUMAN, DomainError, TaskRecord
from maos_tui.store.views import view_within
from maos_tui.working_md.holds import HOLD_ARCHIVES_OVER, HeldEdit, hold_reasons
from maos_tui.working_md.parse import ParsedFile, Problem, TaskLine

if TYPE_CHECKING:
    from maos_tui.store import Store
    from maos_tui.store.core import Tx

_EDIT_FIELDS = ("title", "priority", "after", "needs", "parent")
DELETED_REASON = "line deleted from WORKING.md"


def record_fields(task: TaskRecord) -> dict[str, object]:
    return {
        "status": task.status,
        "title": task.title,
        "assignees": frozenset(task.assignees),
        "priority": task.priority,
        "after": frozenset(task.after),
        "needs": frozenset(task.needs),
        "parent": task.parent,
    }


def _shown(value: object) -> object:
    """Activity details are JSON: sets become sorted lists, enums their value."""
    if isinstance(value, frozenset):
        return sorted(value)
    return getattr(value, "value", value)


class _Merge:
    def __init__(
        self,
        store: Store,
        tx: Tx,
        base: ParsedFile | None,
        theirs: ParsedFile,
        hold_over: int | None,
    ):
        self.store, self.tx, self.base, self.theirs = store, tx, base, theirs
        self.hold_over = hold_over
        self.problems: list[Problem] = []
        self.ours: dict[str, TaskRecord] = {}

    async def attempt(self, line: TaskLine, action: Awaitable[None]) -> bool:
        """A savepoint per line, so one bad line never blocks the rest of the save."""
        try:
            async with self.tx.savepoint():
                await action
        except DomainError as exc:
            self.problems.append(Problem(line.lineno, str(exc), line.text))
            return False
        return True

    async def run(self) -> list[Problem]:
        theirs = self.theirs
        if not theirs.has_tasks:
            if any(line.strip() for s in theirs.sections for line in s.lines) or theirs.preamble:
                reason = "no '## Current Tasks' section, so no task was changed"
                self.problems.append(Problem(0, reason, ""))
            return self.problems
        view = view_within(self.store, self.tx)
        tasks = self.store.tasks
        live = await view.tasks()
        archived = await view.tasks(archived=True)
        self.ours = {t.id: t for t in [*live, *archived]}
        base_lines = {t.id: t for t in self.base.task_lines()} if self.base else {}
        doomed = [
            line
            for task_id, line in base_lines.items()
            if task_id not in theirs.mentioned
            and (task := self.ours.get(task_id)) is not None
            and not task.archived
        ]
        if self.base is not None and self.hold_over is not None:
            reasons = hold_reasons(self.base, theirs, doomed, self.ours, self.hold_over)
            if reasons:
                raise HeldEdit(reasons)
        for line in theirs.task_lines():
            base = base_lines.get(line.id)
            if base is not None and base.text == line.text and base.status == line.status:
                # Untouched since we wrote it: no hand edit to apply, so no savepoint
                # (a save of a 1,000-task file would otherwise pay for 1,000 of them).
                continue
            if not await self.attempt(line, self.apply(line, base)):
                theirs.failed.add(line.lineno)
        for line in theirs.new_lines():
            if await self.attempt(line, self.create(line)):
                theirs.created.add(line.lineno)
        for line in doomed:
            assert line.id is not None
            archive = tasks.set_archived_in(self.tx, line.id, True, reason=DELETED_REASON)
            await self.attempt(line, archive)
        return self.problems

    async def apply(self, line: TaskLine, base: TaskLine | None) -> None:
        assert line.id is not None
        task = self.ours.get(line.id)
        if task is None:
            raise DomainError(f"unknown task {line.id}")
        if task.archived:
            if base is not None and base.text == line.text:
                return  # archived since we wrote this line: the rewrite drops it
            await self.store.tasks.set_archived_in(self.tx, line.id, False)
        theirs, ours = line.fields(), record_fields(task)
        before = base.fields() if base is not None else None
        changed = {
            name: value
            for name, value in theirs.items()
            if (before is None or value != before[name]) and value != ours[name]
        }
        if not changed:
            return
        for name, value in changed.items():
            if before is not None and ours[name] != before[name]:
                await self.tx.activity(
                    HUMAN,
                    "conflict",
                    line.id,
                    field=name,
                    store=_shown(ours[name]),
                    file=_shown(value),
                    kept="file",
                )
        await self.apply_fields(line, changed, task)

    async def apply_fields(
        self, line: TaskLine, changed: dict[str, object], task: TaskRecord
    ) -> None:
        assert line.id is not None
        tasks = self.store.tasks
        edits = {name: getattr(line, name) for name in _EDIT_FIELDS if name in changed}
        if edits:
            await tasks.edit_in(self.tx, line.id, **edits)
        if "assignees" in changed:
            await tasks.set_assignees_in(
                self.tx,
                line.id,
                add=[a for a in line.assignees if a not in task.assignees],
                remove=[a for a in task.assignees if a not in line.assignees],
            )
        if "status" in changed:
            await tasks.move_in(self.tx, line.id, line.status, reason="WORKING.md")

    async def create(self, line: TaskLine) -> None:
        await self.store.tasks.create_in(
            self.tx,
            line.title,
            priority=line.priority,
            after=line.after,
            needs=line.needs,
            assignees=line.assignees,
            parent=line.parent,
            status=line.status,
        )


async def apply_hand_edit(
    store: Store,
    tx: Tx,
    base: ParsedFile | None,
    theirs: ParsedFile,
    *,
    hold_over: int | None = HOLD_ARCHIVES_OVER,
) -> list[Problem]:
    """Merge `theirs` into the store inside `tx`; marks `theirs.failed` / `.created`.
    Raises HeldEdit, having changed nothing, for a save that looks like an accident (see
    holds.py); `hold_over=None` applies every save (`working sync --accept`)."""
    return await _Merge(store, tx, base, theirs, hold_over).run()
