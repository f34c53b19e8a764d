"""Rendering and parsing: the exact format, escapes, round trips and hostile text."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maos_tui.domain import (
    ActivityRecord,
    AgentKind,
    AgentRecord,
    AgentStatus,
    DomainError,
    TaskRecord,
    TaskStatus,
    format_task_id,
    validate_title,
)
from maos_tui.working_md.parse import TaskLine, parse_working
from maos_tui.working_md.render import Board, render_working

NOW = datetime(2026, 2, 2, 10, 30, tzinfo=UTC)


def task(number: int, title: str, status: TaskStatus = TaskStatus.INBOX, **fields) -> TaskRecord:
    values = dict(
        id=format_task_id(number),
        title=title,
        description="",
        status=status,
        priority=2,
        assignees=(),
        created_by="human",
        parent=None,
        after=(),
        needs=(),
        labels=(),
        blocked=False,
        archived=False,
        retry_count=0,
        max_retries=3,
        timeout_seconds=900,
        result=None,
        created_at=NOW,
        updated_at=NOW,
    )
    values.update(fields)
    return TaskRecord(**values)


def agent(name: str, status: AgentStatus = AgentStatus.IDLE) -> AgentRecord:
    return AgentRecord(
        name=name,
        role="",
        kind=AgentKind.COMMAND,
        model=None,
        command=("true",),
        capabilities=(),
        status=status,
        heartbeat_seconds=30,
        max_concurrent=1,
        last_heartbeat=None,
        tokens_in=0,
        tokens_out=0,
        cost_usd=0.0,
    )


def render(board: Board, layout_text: str | None = None) -> str:
    layout = parse_working(layout_text) if layout_text is not None else None
    return render_working(
        board, workspace_name="acme", updated="2026-02-02T10:30:00Z", layout=layout, tz=UTC
    )


EXAMPLE = """\
# acme - Working State
Last Updated: 2026-02-02T10:30:00Z

## Active Agents
- agent:orchestrator:main [ACTIVE] - TASK-005 Create new task breakdown
- agent:sales:main [IDLE] - waiting for work

## Current Tasks

### INBOX
- [TASK-001] Research competitor pricing !P1
- [TASK-002] Design landing page after:TASK-001

### ASSIGNED
- [TASK-003] @agent:technical:main - Implement user authentication

### IN_PROGRESS
- [TASK-005] @agent:orchestrator:main - Create new task breakdown

### REVIEW

### DONE
- [TASK-007] Database schema created ✅

## Recent Activity
- 10:30 - agent:technical:main completed TASK-007

## Notes
Anything people write here is kept verbatim.
"""


def example_board() -> Board:
    return Board(
        tasks=[
            task(2, "Design landing page", after=("TASK-001",)),
            task(1, "Research competitor pricing", priority=1),
            task(
                3,
                "Implement user authentication",
                TaskStatus.ASSIGNED,
                assignees=("agent:technical:main",),
            ),
            task(
                5,
                "Create new task breakdown",
                TaskStatus.IN_PROGRESS,
                assignees=("agent:orchestrator:main",),
            ),
            task(7, "Database schema created", TaskStatus.DONE),
            task(8, "Old thing", archived=True),
        ],
        agents=[agent("agent:orchestrator:main", AgentStatus.ACTIVE), agent("agent:sales:main")],
        activities=[ActivityRecord(1, NOW, "agent:technical:main", "completed", "TASK-007")],
    )


def test_renders_the_documented_format_exactly() -> None:
    assert render(example_board()) == EXAMPLE


def test_failed_and_cancelled_sections_appear_only_when_non_empty_with_the_error() -> None:
    board = Board(tasks=[task(1, "Flaky", TaskStatus.FAILED, last_error="boom\ntraceback line")])
    text = render(board)
    assert "### FAILED\n- [TASK-001] Flaky\n  ↳ error: boom\n" in text
    assert "### CANCELLED" not in text
    parsed = parse_working(text)
    assert [t.id for t in parsed.task_lines()] == ["TASK-001"]
    assert parsed.problems == []


def test_hand_written_text_is_kept_in_place_and_last_updated_is_a_parameter() -> None:
    layout = (
        EXAMPLE.replace("## Notes", "## Decisions\nWe ship on Friday.\n\n## Notes")
        .replace("### INBOX\n", "### INBOX\nTop remark\n")
        .replace("after:TASK-001\n", "after:TASK-001\n  needs a designer first\n")
    )
    text = render(example_board(), layout)
    assert "## Decisions\nWe ship on Friday.\n\n## Notes" in text
    assert "### INBOX\nTop remark\n- [TASK-001]" in text
    assert "after:TASK-001\n  needs a designer first\n" in text


def test_windows_line_endings_are_kept() -> None:
    text = render(example_board(), EXAMPLE.replace("\n", "\r\n"))
    assert text == EXAMPLE.replace("\n", "\r\n")


def test_missing_trailing_newline_still_parses_the_last_line() -> None:
    parsed = parse_working(EXAMPLE + "### INBOX\n- last line without newline")
    assert parsed.problems == []
    parsed = parse_working(EXAMPLE.replace("## Recent", "- [ ] brand new\n## Recent").rstrip())
    assert [t.title for t in parsed.new_lines()] == ["brand new"]


def test_new_task_line_forms_and_tokens() -> None:
    parsed = parse_working(
        "## Current Tasks\n### REVIEW\n- Write the docs @coder !P1\n- [ ] Write more\n"
        "* [x] Star item after:task-3 needs:Web,db parent:4\n"
    )
    first, second, third = parsed.new_lines()
    assert (first.title, first.assignees, first.priority) == ("Write the docs", ("coder",), 1)
    assert (second.title, second.status) == ("Write more", TaskStatus.REVIEW)
    assert (third.after, third.needs, third.parent) == (("TASK-003",), ("web", "db"), "TASK-004")


def test_bad_lines_are_problems_with_line_numbers_and_duplicates_first_wins() -> None:
    text = (
        "## Current Tasks\n### INBOX\n- [TASK-001] ok\n- [TASK-xx] bad id\n- [TASK-002] x !P9\n"
        "- [TASK-001] again\n### LATER\n- [TASK-004] under an unknown heading\n"
    )
    parsed = parse_working(text)
    assert [(p.line, p.reason.split()[0]) for p in parsed.problems] == [
        (4, "invalid"),
        (5, "priority"),
        (6, "duplicate"),
        (7, "unknown"),
    ]
    assert [t.id for t in parsed.task_lines()] == ["TASK-001"]
    # Broken lines still count as naming their task, so nothing gets archived for them.
    assert {"TASK-001", "TASK-002", "TASK-004"} <= parsed.mentioned


# ------------------------------------------------------------------ properties

AGENT_NAMES = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9:_.-]{0,12}", fullmatch=True).filter(
    lambda n: n != "human"
)
TITLES = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r\x00"),
    min_size=1,
    max_size=60,
).filter(lambda t: _valid_title(t) == t)
# Titles that look like the line grammar, to exercise the escapes.
TRICKY = st.lists(
    st.sampled_from(
        [
            "@x",
            "\\",
            "\\@y",
            "!P1",
            "after:TASK-001",
            "needs:a",
            "✅",
            "💬3",
            "-",
            "[TASK-002]",
            "word",
            "\\\\!P0",
            "parent:x",
        ]
    ),
    min_size=1,
    max_size=5,
).map(" ".join)
NOTE_LINES = st.lists(
    st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"), max_size=30
    ).filter(lambda line: not line.startswith("#") and line.strip()),
    max_size=5,
)


def _valid_title(title: str) -> str | None:
    try:
        return validate_title(title)
    except DomainError:
        return None


@st.composite
def boards(draw: st.DrawFn) -> Board:
    names = draw(st.lists(AGENT_NAMES, unique=True, max_size=4))
    count = draw(st.integers(0, 8))
    tasks = []
    for number in range(1, count + 1):
        title = draw(st.one_of(TITLES, TRICKY.filter(lambda t: _valid_title(t) == t)))
        earlier = [format_task_id(n) for n in range(1, number)]
        tasks.append(
            task(
                number,
                title,
                draw(st.sampled_from(list(TaskStatus))),
                priority=draw(st.integers(0, 3)),
                assignees=tuple(sorted(draw(st.sets(st.sampled_from(names))) if names else ())),
                after=tuple(draw(st.sets(st.sampled_from(earlier)))) if earlier else (),
                needs=tuple(sorted(draw(st.sets(st.sampled_from(["web", "db", "ml-1"]))))),
                parent=draw(st.sampled_from([None, *earlier])),
            )
        )
    return Board(tasks=tasks, agents=[agent(n) for n in names])


def _fields(t: TaskRecord | TaskLine) -> tuple:
    return (t.title, t.status, t.priority, set(t.assignees), set(t.after), set(t.needs), t.parent)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(board=boards(), notes=NOTE_LINES)
def test_render_then_parse_gives_back_the_store(board: Board, notes: list[str]) -> None:
    layout = EXAMPLE.replace("Anything people write here is kept verbatim.", "\n".join(notes))
    text = render(board, layout)
    parsed = parse_working(text)
    assert parsed.problems == []
    assert {t.id: _fields(t) for t in parsed.task_lines()} == {
        t.id: _fields(t) for t in board.tasks
    }
    notes_section = next(s for s in parsed.sections if s.lines and s.lines[0] == "## Notes")
    assert [line for line in notes_section.lines[1:] if line] == [n for n in notes if n]
    assert render(board, text) == text  # rendering is a fixed point


MARKDOWNISH = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "## Current Tasks",
                "### INBOX",
                "### DONE",
                "### nonsense",
                "## Notes",
                "```",
                "- [TASK-001] x",
                "- [",
                "- [TASK-",
                "- ",
                "-",
                "  ↳ error",
                "Last Updated:",
                "# t",
                "## Active Agents",
                "## Recent Activity",
                "- [ ] @",
                "- a !P",
                "after:",
            ]
        ),
        st.text(max_size=40),
    ),
    max_size=30,
).map("\n".join)


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.text(), MARKDOWNISH))
def test_random_text_never_makes_the_parser_or_renderer_raise(text: str) -> None:
    parsed = parse_working(text)
    render(example_board(), text)
    for problem in parsed.problems:
        assert problem.line >= 0 and problem.reason
