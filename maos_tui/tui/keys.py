"""Every key of the app in one table: the bindings, the `?` help screen, the command
palette and the README's "Keys" section are all generated from (or checked against) it.

Each key has a Binding id, so `[keymap]` in the user config can remap it
(`"task.new" = "ctrl+n"`). No action is reachable only through ctrl+enter, ctrl+j or an
F-key: terminals and tmux swallow those.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # doctor checks [keymap] against this table without loading Textual
    from textual.binding import Binding


@dataclass(frozen=True)
class KeySpec:
    id: str
    keys: str  # Textual key names, comma-separated
    action: str
    description: str
    group: str
    scope: str  # which screen or widget binds it
    show: bool = True  # in the footer
    palette: bool = True  # offered in the ctrl+p command palette

    @property
    def display(self) -> str:
        return " ".join(display_key(k) for k in self.keys.split(","))


_KEY_NAMES = {
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "question_mark": "?",
    "slash": "/",
    "escape": "esc",
    "enter": "enter",
}


def display_key(key: str) -> str:
    key = key.strip()
    return _KEY_NAMES.get(key, key)


_SCROLL = ("Scroll", "scroll", False, False)

KEYS: tuple[KeySpec, ...] = (
    # The board (main screen).
    KeySpec("board.left", "left,h", "focus_column(-1)", "Previous column", "Navigate", "main"),
    KeySpec("board.right", "right,l", "focus_column(1)", "Next column", "Navigate", "main"),
    KeySpec("board.down", "down,j", "cursor_down", "Next card", "Navigate", "list", False, False),
    KeySpec("board.up", "up,k", "cursor_up", "Previous card", "Navigate", "list", False, False),
    KeySpec("board.top", "g", "first", "Top of the column", "Navigate", "list", False, False),
    KeySpec("board.bottom", "G", "last", "Bottom of the column", "Navigate", "list", False, False),
    KeySpec("task.open", "enter", "select", "Open the task", "Navigate", "list", True, False),
    KeySpec(
        "feed.focus",
        "tab",
        "app.focus_next",
        "Next panel (board, feed)",
        "Navigate",
        "main",
        False,
        False,
    ),
    KeySpec(
        "task.move_prev",
        "left_square_bracket",
        "move_step(-1)",
        "Move to previous column",
        "Move",
        "main",
        False,
    ),
    KeySpec(
        "task.move_next",
        "right_square_bracket",
        "move_step(1)",
        "Move to next column",
        "Move",
        "main",
        False,
    ),
    KeySpec("task.move", "m", "pick_status", "Move to a status…", "Move", "main"),
    KeySpec("task.archive", "d", "archive", "Archive", "Move", "main", False),
    KeySpec("board.undo", "u", "undo", "Undo the last archive or move", "Move", "main", False),
    KeySpec("task.new", "n", "new_task", "New task", "Edit", "main"),
    KeySpec("task.edit", "e", "edit_task", "Edit task", "Edit", "main"),
    KeySpec("task.assign", "a", "assign", "Assign agents…", "Edit", "main"),
    KeySpec("task.priority_0", "0", "priority(0)", "Priority 0 (highest)", "Edit", "main", False),
    KeySpec("task.priority_1", "1", "priority(1)", "Priority 1", "Edit", "main", False),
    KeySpec("task.priority_2", "2", "priority(2)", "Priority 2", "Edit", "main", False),
    KeySpec("task.priority_3", "3", "priority(3)", "Priority 3 (lowest)", "Edit", "main", False),
    KeySpec("task.retry", "r", "retry", "Retry a failed task", "Run", "main", False),
    KeySpec("task.cancel", "x", "cancel_task", "Cancel a task (asks first)", "Run", "main", False),
    KeySpec("task.diff", "D", "diff", "Review the change (diff)", "Run", "main", False),
    KeySpec(
        "scheduler.toggle", "p", "toggle_scheduler", "Pause or resume the scheduler", "Run", "main"
    ),
    KeySpec(
        "board.filter", "slash", "filter", "Filter: text @agent status:x p0 blocked", "View", "main"
    ),
    KeySpec(
        "board.clear_filter", "escape", "clear_filter", "Clear the filter", "View", "main", False
    ),
    KeySpec(
        "feed.follow_task",
        "f",
        "feed_follow",
        "Feed: only the focused task (toggle)",
        "View",
        "main",
        False,
    ),
    KeySpec(
        "app.starter_team",
        "S",
        "starter_team",
        "Add the starter team of agents",
        "View",
        "main",
        False,
    ),
    KeySpec("app.agents", "A", "agents", "Agents screen", "View", "main"),
    KeySpec(
        "app.insights", "I", "insights", "Insights: throughput, time, cost", "View", "main", False
    ),
    KeySpec("app.notifications", "N", "notifications", "Notifications", "View", "main", False),
    KeySpec("app.theme", "t", "app.change_theme", "Pick a theme", "View", "main", False),
    KeySpec("app.help", "question_mark", "app.help", "Help: every key", "View", "app"),
    KeySpec("app.quit", "q", "app.request_quit", "Quit (asks if runs are active)", "View", "app"),
    # Task detail screen.
    KeySpec(
        "detail.back",
        "escape,backspace",
        "app.pop_screen",
        "Back to the board",
        "Task detail",
        "detail",
    ),
    KeySpec("detail.edit", "e", "edit_task", "Edit this task", "Task detail", "detail"),
    KeySpec(
        "detail.open_link",
        "enter",
        "open_link",
        "Open the dependency or subtask",
        "Task detail",
        "detail",
        True,
        False,
    ),
    KeySpec("detail.diff", "D", "diff", "Review the change (diff)", "Task detail", "detail"),
    KeySpec("detail.compose", "c", "focus_composer", "Write a message", "Task detail", "detail"),
    KeySpec(
        "detail.search",
        "slash",
        "search",
        "Search tasks, messages and documents",
        "Task detail",
        "detail",
    ),
    KeySpec(
        "detail.open_document",
        "enter",
        "select",
        "Open the document",
        "Task detail",
        "doclist",
        True,
        False,
    ),
    # Diff screen (a task's change in review); the scroll keys move its cursor line.
    KeySpec("diff.back", "escape", "app.pop_screen", "Back", "Review", "diff", False),
    KeySpec("diff.next_file", "n", "next_file", "Next file", "Review", "diff"),
    KeySpec("diff.prev_file", "p", "prev_file", "Previous file", "Review", "diff"),
    KeySpec("diff.comment", "c", "comment", "Comment on this line", "Review", "diff"),
    KeySpec("diff.request_changes", "R", "request_changes", "Request changes", "Review", "diff"),
    KeySpec("diff.approve", "a", "approve", "Approve and merge", "Review", "diff"),
    KeySpec(
        "diff.rebase", "b", "rebase", "Conflict: hand it to the author", "Review", "diff", False
    ),
    # Document viewer.
    KeySpec("doc.back", "escape", "app.pop_screen", "Back to the task", "Documents", "document"),
    KeySpec(
        "doc.prev", "left_square_bracket", "step(-1)", "Previous version", "Documents", "document"
    ),
    KeySpec("doc.next", "right_square_bracket", "step(1)", "Next version", "Documents", "document"),
    KeySpec(
        "doc.diff", "d", "toggle_diff", "Changes from the previous version", "Documents", "document"
    ),
    KeySpec(
        "doc.edit", "E", "edit_document", "Edit in $EDITOR (a new version)", "Documents", "document"
    ),
    KeySpec("doc.search", "slash", "search", "Search", "Documents", "document"),
    # Notifications and search.
    KeySpec(
        "notifications.back",
        "escape",
        "app.pop_screen",
        "Back",
        "Notifications",
        "notifications",
    ),
    KeySpec(
        "notifications.open",
        "enter",
        "select",
        "Read it and open its task",
        "Notifications",
        "notify-list",
        True,
        False,
    ),
    KeySpec(
        "notifications.read_all", "r", "read_all", "Mark all read", "Notifications", "notifications"
    ),
    KeySpec("search.back", "escape", "app.pop_screen", "Close the search", "Search", "search"),
    # Agents screen.
    KeySpec("agents.back", "escape", "app.pop_screen", "Back to the board", "Agents", "agents"),
    KeySpec("agents.add", "n", "add_agent", "Add an agent", "Agents", "agents"),
    KeySpec("agents.edit", "e", "edit_agent", "Edit the agent", "Agents", "agents"),
    KeySpec("agents.pause", "p", "toggle_pause", "Pause or resume the agent", "Agents", "agents"),
    KeySpec(
        "agents.remove", "d", "remove_agent", "Remove the agent (asks first)", "Agents", "agents"
    ),
    KeySpec("agents.check", "c", "check_agent", "Check the agent can run", "Agents", "agents"),
    # Insights screen, and the runs behind one task's cost.
    KeySpec(
        "insights.back", "escape", "app.pop_screen", "Back to the board", "Insights", "insights"
    ),
    KeySpec(
        "insights.why",
        "enter",
        "select_cursor",
        "Why it cost that: its runs and tool calls",
        "Insights",
        "costliest",
        True,
        False,
    ),
    KeySpec(
        "cost.back",
        "escape,backspace",
        "app.pop_screen",
        "Back to the insights",
        "Insights",
        "task-cost",
    ),
    # Scrolling: task detail, documents, notifications, search, pickers, help and the feed.
    KeySpec("scroll.down", "down,j", "scroll_down", "Scroll down (a list: next item)", *_SCROLL),
    KeySpec("scroll.up", "up,k", "scroll_up", "Scroll up (a list: previous item)", *_SCROLL),
    KeySpec("scroll.page_down", "pagedown,space,ctrl+d", "page_down", "Page down", *_SCROLL),
    KeySpec("scroll.page_up", "pageup,ctrl+u", "page_up", "Page up", *_SCROLL),
    KeySpec("scroll.top", "home,g", "scroll_home", "To the top", *_SCROLL),
    KeySpec("scroll.bottom", "end,G", "scroll_end", "To the bottom", *_SCROLL),
    # Forms and pickers. The way out first: on a phone, a dialog's footer shows only the first
    # key, and there is no esc key to press (enter saves from a field).
    KeySpec("form.cancel", "escape", "cancel", "Close without saving", "Forms", "form"),
    KeySpec("form.save", "ctrl+s", "save", "Save the form (enter in a field too)", "Forms", "form"),
)

PALETTE_SCOPES = ("main", "app")


def bindings(scope: str) -> list[Binding]:
    from textual.binding import Binding

    return [
        Binding(spec.keys, spec.action, spec.description, show=spec.show, id=spec.id)
        for spec in KEYS
        if spec.scope == scope
    ]


def groups() -> dict[str, list[KeySpec]]:
    grouped: dict[str, list[KeySpec]] = {}
    for spec in KEYS:
        grouped.setdefault(spec.group, []).append(spec)
    return grouped
