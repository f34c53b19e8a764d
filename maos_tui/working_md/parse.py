"""Parse WORKING.md text into a `ParsedFile`. Never raises: bad lines become `Problem`s.

Grammar of a task line (inside a `### STATUS` section of `## Current Tasks`):

    - [TASK-001] @agent-a @agent-b - Title words !P1 after:TASK-002 needs:web parent:TASK-000

- Without `[ID]` (or with a checkbox `[ ]` / `[x]`) the line asks for a new task.
- Assignees may also trail the title (`- Write the docs @coder !P1`).
- Trailing tokens are read from the end of the line; the title is what is left. `✅` and
  `💬N` are decorations and are ignored.
- A title whose first character is `@` or `\\`, or whose last word looks like a token, is
  written with a `\\` before it by the renderer; the parser removes exactly that backslash.
- Indented lines starting with `↳` are generated (e.g. a failed task's last error) and are
  ignored. Every other line in a status section is hand-written text and kept verbatim.

Everything outside the generated sections (`## Active Agents`, `## Current Tasks`,
`## Recent Activity`) is kept verbatim in its place: `## Notes`, unknown `##` sections,
text before the first section.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from maos_tui.domain import (
    DomainError,
    TaskStatus,
    parse_status,
    parse_task_id,
    validate_agent_name,
    validate_capability,
    validate_priority,
    validate_title,
)

GENERATED_MARK = "↳"
DONE_MARK = "✅"
# Longer lines in a status section are not task lines (a title is at most 200 characters);
# refusing them early keeps the token scan linear on pathological input.
MAX_TASK_LINE = 4000

AGENTS, TASKS, ACTIVITY, TEXT = "agents", "tasks", "activity", "text"
GENERATED_HEADINGS = {
    "active agents": AGENTS,
    "current tasks": TASKS,
    "recent activity": ACTIVITY,
}
HEADING_TEXT = {AGENTS: "Active Agents", TASKS: "Current Tasks", ACTIVITY: "Recent Activity"}

_H2 = re.compile(r"^##(?:[ \t]+(.*?))?[ \t#]*$")
_H3 = re.compile(r"^###(?:[ \t]+(.*?))?[ \t#]*$")
_FENCE = re.compile(r"^[ \t]{0,3}(```|~~~)")
_LAST_UPDATED = re.compile(r"^Last Updated:[ \t]*(.*?)[ \t]*$", re.IGNORECASE)
_ITEM = re.compile(r"[-*+][ \t]+")
_BRACKET = re.compile(r"^\[([^\]]*)\][ \t]*(.*)$")
_LEADING_ASSIGNEES = re.compile(r"^((?:@\S+\s+)+)-\s+(.*)$")
TOKEN_WORD = re.compile(
    r"(?:![Pp]\d+|after:\S*|needs:\S*|parent:\S*|@\S+|" + DONE_MARK + r"|💬\d+)"
)
_TRAILING_TOKEN = re.compile(r"\s+(" + TOKEN_WORD.pattern + r")$")
LAST_WORD = re.compile(r"(\s)(\S+)$")
_TASK_ID_MENTION = re.compile(r"\b(TASK-\d{3,})\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Problem:
    """A line that was not applied. `line` is 1-based (0: the file as a whole)."""

    line: int
    reason: str
    text: str

    def __str__(self) -> str:
        if self.line:
            where = f"line {self.line}: "
        else:  # about the whole file: most reasons already name it
            where = "" if self.reason.startswith("WORKING.md") else "WORKING.md: "
        return f"{where}{self.reason}" + (f": {self.text.strip()}" if self.text.strip() else "")

    def headline(self) -> str:
        """One line that names the file, for a warning or a notice."""
        said = str(self)
        return said if said.startswith("WORKING.md") else f"WORKING.md {said}"


@dataclass(frozen=True, slots=True)
class TaskLine:
    lineno: int
    text: str
    status: TaskStatus
    id: str | None
    title: str
    assignees: tuple[str, ...] = ()
    priority: int = 2
    after: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    parent: str | None = None

    def fields(self) -> dict[str, object]:
        """The mergeable fields, in a form comparable with `record_fields`."""
        return {
            "status": self.status,
            "title": self.title,
            "assignees": frozenset(self.assignees),
            "priority": self.priority,
            "after": frozenset(self.after),
            "needs": frozenset(self.needs),
            "parent": self.parent,
        }


@dataclass(frozen=True, slots=True)
class Entry:
    """One non-blank line of a status section, in file order. `task` is None for text.
    `trailing`: the line is under an unknown `###` heading, so it is drawn after the status's
    tasks (a task drawn below that heading would be read back as text, and drawn again)."""

    lineno: int
    text: str
    task: TaskLine | None = None
    trailing: bool = False


@dataclass(slots=True)
class Section:
    """A `##` section. Generated ones keep only their kind; TEXT keeps every line."""

    kind: str
    lines: list[str] = field(default_factory=list)


@dataclass
class ParsedFile:
    newline: str = "\n"
    last_updated: str | None = None
    preamble: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    preface: list[str] = field(default_factory=list)
    entries: dict[TaskStatus, list[Entry]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    mentioned: set[str] = field(default_factory=set)
    # Set by the merge: ID lines that could not be applied (kept verbatim, not regenerated)
    # and new-task lines that are now tasks in the store (dropped, the task replaces them).
    failed: set[int] = field(default_factory=set)
    created: set[int] = field(default_factory=set)
    # IDs of task lines kept as text for where they stand (under an unknown `###` heading,
    # before the first heading): like a failed line, such a line stands in for its task.
    stand_ins: set[str] = field(default_factory=set)

    @property
    def has_tasks(self) -> bool:
        return any(s.kind == TASKS for s in self.sections)

    def task_lines(self) -> list[TaskLine]:
        """Lines with an ID that stand for a task (duplicates are already text)."""
        return [
            e.task
            for entries in self.entries.values()
            for e in entries
            if e.task is not None and e.task.id is not None and e.lineno not in self.failed
        ]

    def new_lines(self) -> list[TaskLine]:
        return [
            e.task
            for entries in self.entries.values()
            for e in entries
            if e.task is not None and e.task.id is None
        ]


def split_lines(text: str) -> tuple[list[str], str]:
    """Split on `\\n` only (titles may hold other Unicode separators); report CRLF use."""
    newline = "\r\n" if "\r\n" in text[:65536] else "\n"
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines], newline


def unescape_title(title: str) -> str:
    """Undo the renderer's escapes (see the module docstring)."""
    if "\\" not in title:
        return title
    last = LAST_WORD.search(title)
    if last:
        word = last.group(2)
        if word.startswith("\\") and (TOKEN_WORD.fullmatch(word[1:]) or word[1:2] == "\\"):
            title = title[: last.start(2)] + word[1:]
    if title.startswith("\\"):
        title = title[1:]
    return title


def parse_task_body(body: str, status: TaskStatus, lineno: int, text: str) -> TaskLine:
    """Parse what follows `- ` on a task line. Raises DomainError with a user-facing reason."""
    if len(body) > MAX_TASK_LINE:
        raise DomainError(f"line is longer than {MAX_TASK_LINE} characters")
    task_id: str | None = None
    bracket = _BRACKET.match(body)
    if bracket:
        inner = bracket.group(1).strip()
        if inner not in ("", "x", "X"):
            task_id = parse_task_id(inner)
        body = bracket.group(2)
    elif body.startswith("["):
        # `- [TASK-006` is what a file cut short leaves: never a new task of that title.
        raise DomainError("'[' is not closed (a task ID cut short?), so the line is not applied")
    assignees: list[str] = []
    lead = _LEADING_ASSIGNEES.match(body)
    if lead:
        assignees = [a[1:] for a in lead.group(1).split()]
        body = lead.group(2)
    tokens: list[str] = []
    while match := _TRAILING_TOKEN.search(body):
        tokens.append(match.group(1))
        body = body[: match.start()]
    priority = 2
    after: list[str] = []
    needs: list[str] = []
    parent: str | None = None
    for token in reversed(tokens):  # reading order: the rightmost priority wins
        if token.startswith("@"):
            assignees.append(token[1:])
        elif token[0] == "!":
            priority = validate_priority(token[2:])
        elif token.startswith("after:"):
            after.extend(parse_task_id(t) for t in token[6:].split(",") if t)
        elif token.startswith("needs:"):
            needs.extend(validate_capability(t) for t in token[6:].split(",") if t)
        elif token.startswith("parent:"):
            parent = parse_task_id(token[7:]) if token[7:] else None
    for name in assignees:
        validate_agent_name(name)
    return TaskLine(
        lineno=lineno,
        text=text,
        status=status,
        id=task_id,
        title=validate_title(unescape_title(body.strip())),
        assignees=tuple(dict.fromkeys(assignees)),
        priority=priority,
        after=tuple(dict.fromkeys(after)),
        needs=tuple(dict.fromkeys(needs)),
        parent=parent,
    )


class _Parser:
    def __init__(self, text: str, pending: Iterable[str]) -> None:
        self.lines, newline = split_lines(text)
        self.pending = set(pending)
        self.out = ParsedFile(newline=newline)
        self.first_line: dict[str, int] = {}
        self.status: TaskStatus | None = None
        self.unknown = False

    def run(self) -> ParsedFile:
        out = self.out
        section: Section | None = None
        in_fence = False
        seen_kinds: set[str] = set()
        title_seen = False
        for index, line in enumerate(self.lines):
            lineno = index + 1
            if _FENCE.match(line) and (section is None or section.kind == TEXT):
                in_fence = not in_fence
            heading = None if in_fence else _H2.match(line)
            if heading:
                kind = GENERATED_HEADINGS.get(" ".join((heading.group(1) or "").lower().split()))
                if kind is None or kind in seen_kinds:
                    kind = TEXT
                    if (heading.group(1) or "").lower().strip() == "current tasks":
                        self.problem(lineno, "a second '## Current Tasks' is kept as text", line)
                seen_kinds.add(kind)
                section = Section(kind, [line] if kind == TEXT else [])
                out.sections.append(section)
                self.status, self.unknown = None, False
                continue
            if section is None:
                self.preamble_line(line, title_seen)
                title_seen = title_seen or line.startswith("# ")
            elif section.kind == TEXT:
                section.lines.append(line)
            elif section.kind == TASKS:
                self.task_section_line(lineno, line)
        # Keep the layout of the preamble but not its blank edges: the renderer adds them.
        out.preamble = _strip_blank_edges(out.preamble)
        out.preface = _strip_blank_edges(out.preface)
        return out

    def preamble_line(self, line: str, title_seen: bool) -> None:
        updated = _LAST_UPDATED.match(line)
        if updated and self.out.last_updated is None:
            self.out.last_updated = updated.group(1)
        elif not (line.startswith("# ") and not title_seen):
            self.out.preamble.append(line)

    def task_section_line(self, lineno: int, line: str) -> None:
        out = self.out
        sub = _H3.match(line)
        if sub:
            try:
                self.status = parse_status(sub.group(1) or "")
            except DomainError:
                self.problem(lineno, "unknown status section (its lines are not applied)", line)
                # Lines under it stay text (of the previous status) until it is fixed.
                self.unknown = True
                self.keep(lineno, line)
                return
            self.unknown = False
            out.entries.setdefault(self.status, [])
            return
        if not line.strip() or (line[:1].isspace() and line.strip().startswith(GENERATED_MARK)):
            return
        item = _ITEM.match(line)
        body = line[item.end() :].rstrip() if item else ""
        if self.status is None or self.unknown or not body:
            if item is not None and self.status is None and not self.unknown:
                self.problem(lineno, "task line before the first ### status heading", line)
            if body:
                self.stand_in(body, lineno, line)
            self.keep(lineno, line)
            return
        try:
            task = parse_task_body(body, self.status, lineno, line)
        except DomainError as exc:
            self.problem(lineno, str(exc), line)
            self.keep(lineno, line)
            return
        if task.id is not None:
            out.mentioned.add(task.id)
            first = self.first_line.setdefault(task.id, lineno)
            if first != lineno:
                self.problem(lineno, f"duplicate {task.id} (line {first} wins)", line)
                self.keep(lineno, line)
                return
            if line in self.pending:
                out.failed.add(lineno)
        out.entries[self.status].append(Entry(lineno, line, task))

    def stand_in(self, body: str, lineno: int, line: str) -> None:
        try:
            task = parse_task_body(body, TaskStatus.INBOX, lineno, line)
        except DomainError:
            return
        if task.id is not None:
            self.out.stand_ins.add(task.id)

    def keep(self, lineno: int, line: str) -> None:
        """Hand-written (or unparseable) text: kept verbatim, and any task ID it names
        counts as still present, so a broken line never archives its task."""
        for found in _TASK_ID_MENTION.findall(line):
            self.out.mentioned.add(parse_task_id(found))
        if self.status is None:
            self.out.preface.append(line)
        else:
            self.out.entries[self.status].append(Entry(lineno, line, trailing=self.unknown))

    def problem(self, lineno: int, reason: str, line: str) -> None:
        self.out.problems.append(Problem(lineno, reason, line))


def _strip_blank_edges(lines: list[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def parse_working(text: str, pending: Iterable[str] = ()) -> ParsedFile:
    """Parse a whole file. `pending` are line texts that failed before: they are kept as
    unapplied (so the merge retries them) instead of counting as part of the base."""
    return _Parser(text, pending).run()
