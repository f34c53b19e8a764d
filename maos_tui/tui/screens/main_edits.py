"""The main screen's keys that change a task other than by moving it (new, edit, assign,
priority, retry, cancel) and the one that pauses the scheduler."""

from __future__ import annotations

from maos_tui.domain import TaskRecord
from maos_tui.tui.screens.main_board import BoardScreen


class EditKeys(BoardScreen):
    def action_new_task(self) -> None:
        from maos_tui.tui.screens.task_form import TaskForm

        self.app.push_screen(TaskForm(None), self.after_form)

    def action_edit_task(self) -> None:
        task = self.require_task()
        if task is None:
            return
        from maos_tui.tui.screens.task_form import TaskForm

        self.app.push_screen(TaskForm(task), self.after_form)

    async def after_form(self, saved: TaskRecord | None) -> None:
        if saved is None:
            return
        await self.reload()
        self.board.focus_task(saved.status, saved.id)

    def action_assign(self) -> None:
        task = self.require_task()
        if task is None:
            return
        if not self.data.agents:
            self.notify("No agents yet: press A to add one.", severity="warning")
            return
        from maos_tui.tui.screens.pickers import AgentPicker

        async def chosen(agent: str | None) -> None:
            if agent is None:
                return
            tasks = self.app.store.tasks
            call = tasks.unassign if agent in task.assignees else tasks.assign
            changed = await self.attempt(lambda: call(task.id, [agent]))
            if changed is not None:
                self.place(changed, task.status)
                self.board.focus_task(changed.status, changed.id)

        self.app.push_screen(AgentPicker(task, self.data.agents), chosen)

    async def action_priority(self, priority: int) -> None:
        task = self.require_task()
        if task is None or task.priority == priority:
            return
        changed = await self.attempt(lambda: self.app.store.tasks.edit(task.id, priority=priority))
        if changed is not None:
            self.place(changed, task.status)
            self.board.focus_task(changed.status, changed.id)

    # ------------------------------------------------------------ running

    async def action_retry(self) -> None:
        task = self.require_task()
        if task is None:
            return
        retried = await self.attempt(lambda: self.app.store.tasks.retry(task.id))
        if retried is not None:
            self.place(retried, task.status)
            self.notify(f"{task.id} goes back to the inbox for another try")

    def action_cancel_task(self) -> None:
        task = self.require_task()
        if task is None:
            return
        from maos_tui.tui.screens.pickers import Confirm

        async def confirmed(yes: bool | None) -> None:
            if yes:
                cancelled = await self.attempt(lambda: self.app.store.tasks.cancel(task.id))
                if cancelled is not None:
                    self.place(cancelled, task.status)
                    self.notify(f"Cancelled {task.id}")

        self.app.push_screen(Confirm(f"Cancel {task.id} “{task.title}”?"), confirmed)

    def action_toggle_scheduler(self) -> None:
        try:
            state = self.app.services_toggle_pause()
        except RuntimeError as exc:
            self.notify(str(exc), severity="warning")
            return
        self.notify(f"Scheduler {state}")
        self.render_board()
