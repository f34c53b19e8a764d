"""Task rows as the store writes them: status changes (`Move`), columns set on many tasks
in one executemany, and the statements that create a task."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from maos_tui.domain import HUMAN, TaskStatus
from maos_tui.store.models import (
    Agent,
    Counter,
    Task,
    TaskAssignee,
    TaskDependency,
    TaskLabel,
    TaskNeed,
)
from maos_tui.store.prepared import Prepared
from maos_tui.store.search import INDEX, UNINDEX

if TYPE_CHECKING:
    from maos_tui.store.core import Tx


def unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


_VERBS = {
    TaskStatus.DONE: "completed",
    TaskStatus.FAILED: "failed",
    TaskStatus.CANCELLED: "cancelled",
}


@dataclass(frozen=True, slots=True)
class Move:
    """One status change for `move_many_in`: `current` is the status this transaction
    already read, so the row is not read again."""

    task_id: str
    status: TaskStatus
    current: TaskStatus
    actor: str = HUMAN
    reason: str | None = None
    values: Mapping[str, Any] = field(default_factory=dict)  # more columns to set


# UPDATE tasks ... WHERE id = ?, one per set of columns, sent with executemany.
_UPDATES_BY_COLUMNS: dict[tuple[str, ...], Prepared] = {}


def _update_by_id(columns: tuple[str, ...]) -> Prepared:
    statement = _UPDATES_BY_COLUMNS.get(columns)
    if statement is None:
        # Bound names differ from the columns': SQLAlchemy reserves those for SET itself.
        statement = Prepared(
            update(Task.__table__)  # type: ignore[attr-defined]
            .where(Task.__table__.c.id == bindparam("_id"))  # type: ignore[attr-defined]
            .values({c: bindparam(f"_v_{c}") for c in columns})
        )
        _UPDATES_BY_COLUMNS[columns] = statement
    return statement


async def update_rows_in(tx: Tx, rows: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
    """Set columns on many tasks: one executemany per distinct set of columns."""
    grouped: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for task_id, values in rows:
        columns = tuple(sorted(values))
        params = {f"_v_{c}": values[c] for c in columns}
        params["_id"] = task_id
        grouped[columns].append(params)
    for columns, params in grouped.items():
        await tx.run_many(_update_by_id(columns), params)


def _insert_relation(table: Any, column: Any) -> Prepared:
    return Prepared(
        insert(table).values({"task_id": bindparam("task_id"), column: bindparam("value")})
    )


# What task_create.insert_task runs; compiled ahead for the stdlib path too.
CREATE_SQL = SimpleNamespace(
    TASK_ARCHIVED=Prepared(select(Task.archived).where(Task.id == bindparam("id"))),
    AGENT_NAME=Prepared(select(Agent.name).where(Agent.name == bindparam("name"))),
    BUMP_TASK_COUNTER=Prepared(
        update(Counter).where(Counter.name == "task").values(value=Counter.value + 1)
    ),
    TASK_COUNTER=Prepared(select(Counter.value).where(Counter.name == "task")),
    # Every column given: a column's Python-side default is applied by SQLAlchemy's
    # execution, which a Prepared statement skips.
    INSERT_TASK=Prepared(
        insert(Task).values({c.name: bindparam(c.name) for c in Task.__table__.columns})
    ),
    INSERT_DEPENDENCY=_insert_relation(TaskDependency, "depends_on"),
    INSERT_NEED=_insert_relation(TaskNeed, "capability"),
    INSERT_LABEL=_insert_relation(TaskLabel, "label"),
    INSERT_ASSIGNEE=_insert_relation(TaskAssignee, "agent_name"),
    UNINDEX=UNINDEX,
    INDEX=INDEX,
)

# get_many inside a write transaction, on SQLite: one Prepared statement for any number of IDs.


async def record_move_in(tx: Tx, move: Move) -> None:
    """The Activity of a status change (checked by the caller with check_transition)."""
    details: dict[str, Any] = {"from": move.current.value, "to": move.status.value}
    if move.reason:
        details["reason"] = move.reason
    await tx.activity(move.actor, _VERBS.get(move.status, "moved"), move.task_id, **details)


async def insert_relations(
    conn: AsyncConnection, task_id: str, table: type, column: str, values: list[str]
) -> None:
    if values:
        await conn.execute(insert(table), [{"task_id": task_id, column: v} for v in values])
