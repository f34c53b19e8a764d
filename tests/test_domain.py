"""Pure domain rules: status graph, IDs, validation, cycle detection."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from maos_tui.domain import (
    DomainError,
    TaskStatus,
    can_transition,
    check_no_cycle,
    find_cycle,
    format_task_id,
    parse_status,
    parse_task_id,
    validate_agent_name,
    validate_priority,
    validate_title,
)

S = TaskStatus


@pytest.mark.parametrize(
    ("src", "dst"),
    [
        (S.INBOX, S.ASSIGNED),
        (S.ASSIGNED, S.IN_PROGRESS),
        (S.IN_PROGRESS, S.REVIEW),
        (S.REVIEW, S.DONE),
        (S.IN_PROGRESS, S.DONE),
        (S.IN_PROGRESS, S.FAILED),
        (S.FAILED, S.INBOX),
        (S.REVIEW, S.IN_PROGRESS),
        (S.DONE, S.CANCELLED),
        (S.INBOX, S.CANCELLED),
    ],
)
def test_agent_edges_allowed(src: TaskStatus, dst: TaskStatus) -> None:
    assert can_transition(src, dst, human=False)


@pytest.mark.parametrize(
    ("src", "dst"),
    [
        (S.INBOX, S.DONE),
        (S.INBOX, S.IN_PROGRESS),
        (S.DONE, S.INBOX),
        (S.FAILED, S.DONE),
        (S.CANCELLED, S.INBOX),
        (S.REVIEW, S.FAILED),
    ],
)
def test_agent_edges_refused_but_humans_may(src: TaskStatus, dst: TaskStatus) -> None:
    assert not can_transition(src, dst, human=False)
    assert can_transition(src, dst, human=True)


@pytest.mark.parametrize("text", ["in-progress", "IN_PROGRESS", "In Progress", " in_progress "])
def test_status_spellings(text: str) -> None:
    assert parse_status(text) is S.IN_PROGRESS


def test_unknown_status_names_the_choices() -> None:
    with pytest.raises(DomainError, match=r"unknown status 'doing'.*inbox"):
        parse_status("doing")


def test_task_ids() -> None:
    assert format_task_id(1) == "TASK-001"
    assert format_task_id(1234) == "TASK-1234"
    assert parse_task_id("task-7") == "TASK-007"
    assert parse_task_id("12") == "TASK-012"
    with pytest.raises(DomainError):
        parse_task_id("TASK-1x")


@given(st.integers(min_value=1, max_value=10**7))
def test_task_id_round_trip(number: int) -> None:
    assert parse_task_id(format_task_id(number)) == format_task_id(number)


@pytest.mark.parametrize(
    ("title", "message"),
    [("", "empty"), ("   ", "empty"), ("a\nb", "single line"), ("x" * 201, "at most 200")],
)
def test_bad_titles(title: str, message: str) -> None:
    with pytest.raises(DomainError, match=message):
        validate_title(title)


def test_title_is_trimmed_and_200_is_fine() -> None:
    assert validate_title("  hi  ") == "hi"
    assert validate_title("x" * 200) == "x" * 200


@pytest.mark.parametrize("value", [-1, 4, "high"])
def test_bad_priorities(value: object) -> None:
    with pytest.raises(DomainError):
        validate_priority(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["agent:technical:main", "coder", "a.b-c_d", "x" * 64])
def test_good_agent_names(name: str) -> None:
    assert validate_agent_name(name) == name


@pytest.mark.parametrize("name", ["", "bad name", "-lead", "x" * 65, "human", "é"])
def test_bad_agent_names(name: str) -> None:
    with pytest.raises(DomainError):
        validate_agent_name(name)


def test_cycle_is_named() -> None:
    graph = {"TASK-005": ["TASK-004"], "TASK-004": ["TASK-003"]}
    with pytest.raises(DomainError, match=r"cycle: TASK-003 -> TASK-005 -> TASK-004 -> TASK-003"):
        check_no_cycle("TASK-003", ["TASK-005"], lambda n: graph.get(n, ()))


def test_self_dependency_refused() -> None:
    with pytest.raises(DomainError, match="cannot depend on itself"):
        check_no_cycle("TASK-001", ["TASK-001"], lambda n: ())


def test_diamond_is_not_a_cycle() -> None:
    graph = {"B": ["A"], "C": ["A"], "D": ["B", "C"]}
    assert find_cycle("E", ["D"], lambda n: graph.get(n, ())) is None


@given(st.dictionaries(st.integers(0, 8), st.lists(st.integers(0, 8), max_size=3), max_size=9))
def test_cycle_found_exactly_when_a_path_leads_back(graph: dict[int, list[int]]) -> None:
    names = {k: [f"T{v}" for v in vs] for k, vs in graph.items()}

    def deps(node: str) -> list[str]:
        return names.get(int(node[1:]), [])

    def reaches(src: str, dst: str) -> bool:
        seen, todo = set(), [src]
        while todo:
            node = todo.pop()
            if node == dst:
                return True
            if node not in seen:
                seen.add(node)
                todo.extend(deps(node))
        return False

    cycle = find_cycle("T9", ["T0"], deps)
    assert (cycle is not None) == reaches("T0", "T9")
    if cycle is not None:
        assert cycle[0] == cycle[-1] == "T9"
        for a, b in itertools.pairwise(cycle):
            assert b in deps(a) or (a == "T9" and b == "T0")
