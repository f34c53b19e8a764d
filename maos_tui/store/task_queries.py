"""Task reads as statements: each task with its relations in one row (SQLite's
json_group_array), for the board's columns, one task, and `maos-tui task list`.

Module level, so that the stdlib path (store/stdlib/) runs these very statements, compiled
ahead by store/stdlib/compiled_sql_gen.py, where the store runs them through SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import String, bindparam, exists, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import aliased

from maos_tui.domain import TaskStatus
from maos_tui.store.models import (
    Task,
    TaskAssignee,
    TaskBranchRow,
    TaskDependency,
    TaskLabel,
    TaskNeed,
)
from maos_tui.store.prepared import Prepared


def _json_array(table: Any, column: Any) -> Any:
    """SQLite: the task's values in one related table, as a JSON array."""
    return select(func.json_group_array(column)).where(table.task_id == Task.id).scalar_subquery()


def in_json(name: str) -> Any:
    """The values of a JSON array parameter, for `IN (...)`: one statement for any number
    of them (SQLite)."""
    return select(literal_column("value")).select_from(func.json_each(bindparam(name)))


def with_branch(query: Any) -> Any:
    """`query` on tasks, with the task's branch columns (NULL without one) added."""
    columns = [c for c in TaskBranchRow.__table__.columns if c.key != "task_id"]  # type: ignore[attr-defined]
    return query.add_columns(*columns).join_from(
        Task, TaskBranchRow, TaskBranchRow.task_id == Task.id, isouter=True
    )


def _array(table: Any, column: Any) -> Any:
    """PostgreSQL: the same values as an array (`ARRAY(SELECT ...)`: empty, not NULL, when
    there are none)."""
    values = select(column).where(table.task_id == Task.id).scalar_subquery()
    return func.array(values, type_=ARRAY(String))


_DEPENDENCY = aliased(Task)


def _with_relations(related: Callable[[Any, Any], Any]) -> Any:
    return with_branch(
        select(
            Task,
            related(TaskAssignee, TaskAssignee.agent_name).label("_assignees"),
            related(TaskDependency, TaskDependency.depends_on).label("_after"),
            related(TaskNeed, TaskNeed.capability).label("_needs"),
            related(TaskLabel, TaskLabel.label).label("_labels"),
            exists()
            .where(
                TaskDependency.task_id == Task.id,
                _DEPENDENCY.id == TaskDependency.depends_on,
                _DEPENDENCY.status != TaskStatus.DONE.value,
            )
            .label("_blocked"),
        )
    )


WITH_RELATIONS = _with_relations(_json_array)
# The same read on PostgreSQL: one statement, where reading each relation apart takes five.
WITH_RELATIONS_PG = _with_relations(_array)

# `get` of one task (a stdlib `task show`, and `task add` reading back what it created).
GET_ONE = Prepared(WITH_RELATIONS.where(Task.id == bindparam("id")))

# Live tasks per status.
COUNTS = (
    select(Task.status, func.count())
    .where(Task.archived == False)  # noqa: E712 - SQL expression
    .group_by(Task.status)
)


def _column(newest_first: bool) -> Any:
    order = (Task.updated_at.desc(), Task.seq.desc()) if newest_first else (Task.priority, Task.seq)
    return (
        WITH_RELATIONS.where(Task.archived == False, Task.status == bindparam("status"))  # noqa: E712
        .order_by(*order)
        .limit(bindparam("limit"))
    )


# A board column's first `limit` cards with their relations, in one statement.
COLUMN = _column(newest_first=False)
COLUMN_NEWEST = _column(newest_first=True)

# `TaskService.list(statuses, assignee, archived)`, priority then ID: `statuses` is a JSON
# array or NULL (any status), `assignee` an agent's name or NULL (anyone's or nobody's).
_STATUSES = bindparam("statuses")
_ASSIGNEE = bindparam("assignee")
LIST = WITH_RELATIONS.where(
    Task.archived == bindparam("archived"),
    or_(_STATUSES.is_(None), Task.status.in_(in_json("statuses"))),
    or_(
        _ASSIGNEE.is_(None),
        Task.id.in_(select(TaskAssignee.task_id).where(TaskAssignee.agent_name == _ASSIGNEE)),
    ),
).order_by(Task.priority, Task.seq)
