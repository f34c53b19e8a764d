"""Render WORKING.md from the store. Pure: no I/O, no clock (both are passed in).

`render_working(board, workspace_name=..., updated=..., layout=..., tz=...) -> str` draws
the file (`draw_working` the same, short of the `Last Updated` value). `board` is a `Board`
snapshot (see `board.load_board`); `layout` is the parsed previous file, whose hand-written
parts (Notes, unknown sections, text inside status sections, lines that could not be
applied) are kept verbatim and in place. Without a layout the bundled
`WORKING.md.template` gives the skeleton.

Format additions beyond the task line grammar (see `parse`):
- a FAILED task with a last error gets an indented continuation line
  `  ↳ error: <first line of the error>`; the parser ignores `↳` lines and regenerates them;
- a task with messages ends with ` 💬N` (a decoration the parser ignores).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, tzinfo

from maos_tui.domain import (
    BOARD_STATUSES,
    PRIORITY_DEFAULT,
    ActivityRecord,
    AgentRecord,
    AgentStatus,
    TaskRecord,
    TaskStatus,
)
from maos_tui.working_md.parse import (
    ACTIVITY,
    AGENTS,
    DONE_MARK,
    GENERATED_MARK,
    HEADING_TEXT,
    LAST_WORD,
    TASKS,
    TEXT,
    TOKEN_WORD,
    Entry,
    ParsedFile,
    Section,
    parse_working,
)

RECENT_ACTIVITY = 20
ERROR_WIDTH = 200
_CANONICAL = (AGENTS, TASKS, ACTIVITY)


@dataclass(frozen=True)
class Board:
    """What the file shows: live tasks, agents, the newest activities (newest first)."""

    tasks: Sequence[TaskRecord] = ()
    agents: Sequence[AgentRecord] = ()
    activities: Sequence[ActivityRecord] = ()
    messages: Mapping[str, int] = field(default_factory=dict)


def escape_title(title: str) -> str:
    """Make a title parse back to itself (the inverse of `parse.unescape_title`)."""
    last = LAST_WORD.search(title)
    if last:
        word = last.group(2)
        if TOKEN_WORD.fullmatch(word) or word.startswith("\\"):
            title = title[: last.start(2)] + "\\" + word
    if title[:1] in ("@", "\\"):
        title = "\\" + title
    return title


def task_line(task: TaskRecord, messages: int = 0) -> str:
    who = "".join(f"@{a} " for a in task.assignees)
    parts = [f"- [{task.id}] ", f"{who}- " if who else "", escape_title(task.title)]
    if task.priority != PRIORITY_DEFAULT:
        parts.append(f" !P{task.priority}")
    if task.after:
        parts.append(" after:" + ",".join(task.after))
    if task.needs:
        parts.append(" needs:" + ",".join(task.needs))
    if task.parent:
        parts.append(f" parent:{task.parent}")
    if messages:
        parts.append(f" 💬{messages}")
    if task.status is TaskStatus.DONE:
        parts.append(f" {DONE_MARK}")
    return "".join(parts)


def _one_line(text: str, width: int) -> str:
    first = " ".join(text.strip().split("\n", 1)[0].split())
    return first if len(first) <= width else first[: width - 1] + "…"


def _agent_lines(board: Board) -> list[str]:
    working: dict[str, TaskRecord] = {}
    for task in board.tasks:
        if task.status is TaskStatus.IN_PROGRESS:
            for name in task.assignees:
                working.setdefault(name, task)
    lines = []
    for agent in board.agents:
        task = working.get(agent.name)
        if task is not None:
            doing = f"{task.id} {_one_line(task.title, 200)}"
        elif agent.status_reason and agent.status is not AgentStatus.IDLE:
            doing = _one_line(agent.status_reason, 200)
        else:
            doing = "waiting for work"
        lines.append(f"- {agent.name} [{agent.status.value.upper()}] - {doing}")
    return lines


def _activity_lines(board: Board, tz: tzinfo | None) -> list[str]:
    lines = []
    for act in board.activities[:RECENT_ACTIVITY]:
        moment = act.created_at
        if moment.tzinfo is None:  # stored as UTC; some drivers hand it back naive
            moment = moment.replace(tzinfo=UTC)
        lines.append(f"- {moment.astimezone(tz):%H:%M} - {_one_line(act.summary(), 300)}")
    return lines


def _status_lines(
    status: TaskStatus,
    tasks: list[TaskRecord],
    board: Board,
    entries: list[Entry],
    layout: ParsedFile,
) -> list[str]:
    """Tasks of one status, with the kept lines of the layout next to the task they
    followed (at the top when they followed none, at the end when that task moved)."""
    shown = {t.id for t in tasks}
    after: dict[str | None, list[str]] = {}
    trailing: list[str] = []
    anchor: str | None = None
    for entry in entries:
        if entry.trailing:
            trailing.append(entry.text)
            continue
        task = entry.task
        if task is not None and entry.lineno not in layout.failed:
            if task.id is not None:
                anchor = task.id
                continue
            if entry.lineno in layout.created:
                continue
        key = anchor if anchor is None or anchor in shown else "\0end"
        after.setdefault(key, []).append(entry.text)
    lines = list(after.get(None, []))
    for task in tasks:
        lines.append(task_line(task, board.messages.get(task.id, 0)))
        if task.status is TaskStatus.FAILED and task.last_error:
            lines.append(f"  {GENERATED_MARK} error: {_one_line(task.last_error, ERROR_WIDTH)}")
        lines.extend(after.get(task.id, []))
    lines.extend(after.get("\0end", []))
    return lines + trailing


def _task_section(board: Board, layout: ParsedFile) -> list[str]:
    # A line that could not be applied stands in for its task until it is fixed, unless
    # another line of the file stands for it.
    failed_ids = {
        e.task.id
        for entries in layout.entries.values()
        for e in entries
        if e.task is not None and e.task.id and e.lineno in layout.failed
    }
    failed_ids |= layout.stand_ins - {line.id for line in layout.task_lines()}
    by_status: dict[TaskStatus, list[TaskRecord]] = {s: [] for s in TaskStatus}
    for task in sorted(board.tasks, key=lambda t: (t.priority, _seq(t.id))):
        if not task.archived and task.id not in failed_ids:
            by_status[task.status].append(task)
    lines = ["## " + HEADING_TEXT[TASKS], ""]
    if layout.preface:
        lines += [*layout.preface, ""]
    for status in TaskStatus:
        entries = layout.entries.get(status, [])
        body = _status_lines(status, by_status[status], board, entries, layout)
        if status in BOARD_STATUSES or body:
            lines += [f"### {status.value.upper()}", *body, ""]
    return lines


def _seq(task_id: str) -> int:
    digits = task_id.rsplit("-", 1)[-1]
    return int(digits) if digits.isdigit() else 0


def _generated(kind: str, board: Board, layout: ParsedFile, tz: tzinfo | None) -> list[str]:
    if kind == TASKS:
        return _task_section(board, layout)
    body = _agent_lines(board) if kind == AGENTS else _activity_lines(board, tz)
    return ["## " + HEADING_TEXT[kind], *body, ""]


def _sections(layout: ParsedFile) -> list[Section]:
    """The layout's sections, with any generated one the user removed put back after the
    generated section that precedes it in the canonical order."""
    sections = list(layout.sections)
    for index, kind in enumerate(_CANONICAL):
        if any(s.kind == kind for s in sections):
            continue
        position = 0
        for earlier in _CANONICAL[:index]:
            found = [i for i, s in enumerate(sections) if s.kind == earlier]
            if found:
                position = found[0] + 1
        sections.insert(position, Section(kind))
    return sections


def render_working(
    board: Board,
    *,
    workspace_name: str,
    updated: str,
    layout: ParsedFile | None = None,
    tz: tzinfo | None = None,
) -> str:
    """The whole file. `updated` is the `Last Updated` value (UTC ISO Z); `tz` is the zone
    for Recent Activity times (None: the system's local zone)."""
    return draw_working(board, workspace_name=workspace_name, layout=layout, tz=tz).text(updated)


@dataclass(frozen=True)
class Drawn:
    """The file drawn up to its `Last Updated` value, which is chosen last: the sync keeps
    the old one when nothing else changed, and drawing twice to find out cost a render."""

    head: str
    tail: str

    def text(self, updated: str) -> str:
        return f"{self.head}{updated}{self.tail}"


def draw_working(
    board: Board,
    *,
    workspace_name: str,
    layout: ParsedFile | None = None,
    tz: tzinfo | None = None,
) -> Drawn:
    if layout is None:
        layout = default_layout()
    lines = [""]  # under `Last Updated`
    if layout.preamble:
        lines += [*layout.preamble, ""]
    for section in _sections(layout):
        if section.kind == TEXT:
            lines += section.lines
        else:
            lines += _generated(section.kind, board, layout, tz)
    while lines and not lines[-1].strip():
        lines.pop()
    newline = layout.newline
    head = f"# {workspace_name} - Working State{newline}Last Updated: "
    return Drawn(head, f"{newline}{newline.join(lines)}{newline}" if lines else newline)


def default_layout() -> ParsedFile:
    from maos_tui.resources import working_template

    return parse_working(working_template().format(workspace="", updated=""))
