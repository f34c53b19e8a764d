"""The main screen's keys that move cards: step a column, pick a status, archive, undo.

A move is drawn before it is saved: the store write runs in the background, moves commit
in key order (tui/write_queue.py), and a refused one puts the card back.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from maos_tui.domain import BOARD_STATUSES, TaskRecord, TaskStatus
from maos_tui.tui.attempt import attempt
from maos_tui.tui.screens.main_board import BoardScreen, Undo


@dataclass
class _Unsaved:
    """A card whose moves are drawn but not all committed yet."""

    stored: TaskRecord  # as the store has it
    shown: TaskStatus  # the column it is drawn in
    pending: int = 0  # moves not committed yet


class MoveKeys(BoardScreen):
    def __init__(self) -> None:
        super().__init__()
        self._unsaved: dict[str, _Unsaved] = {}

    def move(self, task: TaskRecord, status: TaskStatus, *, undoable: bool = True) -> None:
        """Draw the move now and save it in the background (_commit_move)."""
        unsaved = self._unsaved.setdefault(task.id, _Unsaved(task, task.status))
        unsaved.shown = status
        unsaved.pending += 1
        undo: Undo | None = ("move", task.id, task.status) if undoable else None
        if undo is not None:
            self.undo_stack.append(undo)
        # The store's record follows when the move is saved; until then the card shows what
        # a move changes.
        self.place(replace(task, status=status, updated_at=self.app.clock()), task.status)
        self.board.focus_task(status, task.id)
        self.writes.later(lambda: self._commit_move(task.id, status, undo))

    async def _commit_move(self, task_id: str, status: TaskStatus, undo: Undo | None) -> None:
        moved = await attempt(
            self,
            lambda: self.app.store.tasks.move(task_id, status),
            title=f"{task_id} not moved to {status.value}",
            wait=True,  # drawn already: saved once the database is back, if it goes away
        )
        unsaved = self._unsaved[task_id]
        unsaved.pending -= 1
        if moved is not None:
            unsaved.stored = moved
        elif undo is not None:
            self.undo_stack[:] = [entry for entry in self.undo_stack if entry is not undo]
        if unsaved.pending:
            return  # a later move of this card decides where it is drawn
        del self._unsaved[task_id]
        if not self.is_attached:
            return
        focused = self.board.focused_list()
        follow = moved is None and focused is not None and focused.task_id == task_id
        self.place(unsaved.stored, unsaved.shown)
        if follow:  # the cursor goes back with the card, unless it has gone elsewhere
            self.board.focus_task(unsaved.stored.status, task_id)

    async def action_move_step(self, delta: int) -> None:
        task = self.require_task()
        if task is None:
            return
        order = list(BOARD_STATUSES)
        index = order.index(task.status) if task.status in order else 0
        target = order[max(0, min(index + delta, len(order) - 1))]
        if target is task.status:
            self.notify(f"{task.id} is already in the {target.value} column")
            return
        self.move(task, target)

    def action_pick_status(self) -> None:
        task = self.require_task()
        if task is None:
            return
        from maos_tui.tui.screens.pickers import StatusPicker

        def chosen(status: TaskStatus | None) -> None:
            if status is not None and status is not task.status:
                self.move(task, status)

        self.app.push_screen(StatusPicker(task), chosen)

    async def action_archive(self) -> None:
        task = self.require_task()
        if task is None:
            return
        archived = await self.attempt(lambda: self.app.store.tasks.archive(task.id))
        if archived is not None:
            self.undo_stack.append(("archive", task.id, task.status))
            self.place(archived, task.status)
            self.data.counts[task.status.value] = max(
                0, self.data.counts.get(task.status.value, 0) - 1
            )
            self.render_board()
            self.notify(f"Archived {task.id} (u to undo)")

    async def action_undo(self) -> None:
        if not self.undo_stack:
            self.notify("Nothing to undo.")
            return
        kind, task_id, status = self.undo_stack.pop()
        if kind == "archive":
            restored = await self.attempt(lambda: self.app.store.tasks.restore(task_id))
            if restored is not None:
                self.data.counts[restored.status.value] = (
                    self.data.counts.get(restored.status.value, 0) + 1
                )
                self.place(restored, None)
                self.board.focus_task(restored.status, restored.id)
                self.notify(f"Restored {task_id}")
            return
        current = await self.attempt(lambda: self.app.store.tasks.get(task_id))
        if current is not None:
            self.move(current, status, undoable=False)
            self.notify(f"Moved {task_id} back to {status.value}")
