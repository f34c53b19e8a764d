"""The main screen's keys that change what it shows (the filter line, the feed narrowed to
one task) or open another screen (agents, notifications, the starter team)."""

from __future__ import annotations

from textual.widgets import Input

from maos_tui.tui.filters import BoardFilter, parse_filter
from maos_tui.tui.screens.main_board import BoardScreen


class ViewKeys(BoardScreen):
    def action_filter(self) -> None:
        field = self.query_one("#filter", Input)
        self.add_class("filtering")
        field.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "filter":
            return
        self.filter = parse_filter(event.value)
        self.feed.narrow(self.feed_keeps)
        self.render_board()
        # Then ask the store, which also knows the tasks no column has loaded yet.
        self.run_worker(self.reload, group="filter", exclusive=True)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "filter":
            return
        for problem in self.filter.problems:
            self.notify(problem, severity="warning")
        if not self.filter.active:
            self.remove_class("filtering")
        self.board.focus_column(0)

    def action_clear_filter(self) -> None:
        field = self.query_one("#filter", Input)
        if not self.filter.active and not self.has_class("filtering"):
            return
        field.value = ""
        self.filter = BoardFilter()
        self.remove_class("filtering")
        self.feed.narrow(self.feed_keeps)
        self.render_board()
        self.run_worker(self.reload, group="filter", exclusive=True)
        self.board.focus_column(0)

    def feed_keeps(self, activity: object) -> bool:
        if self.feed_task is not None and getattr(activity, "task_id", None) != self.feed_task:
            return False
        return self.filter.matches_activity(activity)  # type: ignore[arg-type]

    def action_feed_follow(self) -> None:
        if self.feed_task is not None:
            self.feed_task = None
            self.notify("Feed shows every task")
        else:
            task = self.require_task()
            if task is None:
                return
            self.feed_task = task.id
            self.notify(f"Feed shows only {task.id} (f again for all)")
        self.feed.narrow(self.feed_keeps)

    def action_agents(self) -> None:
        from maos_tui.tui.screens.agents import AgentsScreen

        self.app.push_screen(AgentsScreen())

    def action_insights(self) -> None:
        from maos_tui.tui.screens.insights import InsightsScreen

        self.app.push_screen(InsightsScreen())

    def action_diff(self) -> None:
        task = self.require_task()
        if task is not None:
            from maos_tui.tui.screens.diff import DiffScreen

            self.app.push_screen(DiffScreen(task.id))

    def action_notifications(self) -> None:
        from maos_tui.tui.screens.collab import NotificationsScreen

        self.app.push_screen(NotificationsScreen())

    def action_starter_team(self) -> None:
        model = self.app.config.default_model
        if model:
            self.run_worker(self.add_starter_team(model))
            return
        from maos_tui.tui.screens.pickers import ModelPrompt

        async def chosen(model: str | None) -> None:
            if model:
                self.app.remember_default_model(model)
                await self.add_starter_team(model)

        self.app.push_screen(ModelPrompt(), chosen)

    async def add_starter_team(self, model: str) -> None:
        from maos_tui.starter import add_starter_team

        added = await self.attempt(lambda: add_starter_team(self.app.store, model))
        if added is not None:
            names = ", ".join(a.name for a in added) or "nobody new (names already taken)"
            self.notify(f"Starter team added with {model}: {names}")
            await self.reload()
