"""Creating a task: its rules and its statements, written once for two runners.

The store runs this through SQLAlchemy (`TaskService.create_in`, in a `Tx`), and
`maos-tui task add` runs it on the stdlib `sqlite3` (store/stdlib/lite_add.py) with the very same
statements compiled ahead (compiled_sql.py), so that a shell script adding a task does not
pay for importing SQLAlchemy. Both give this code a writer with the same four calls and a
namespace of statements with the same names: `Prepared` ones for the store, compiled ones
for the stdlib path. Nothing here imports SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from maos_tui.domain import (
    HUMAN,
    DomainError,
    TaskStatus,
    format_task_id,
    parse_task_id,
    task_number,
    validate_capability,
    validate_label,
    validate_positive,
    validate_priority,
    validate_title,
)
from maos_tui.store.search_keys import search_rowid

# The statements `insert_task` runs, by the name both namespaces give them.
STATEMENTS = (
    "TASK_ARCHIVED",
    "AGENT_NAME",
    "BUMP_TASK_COUNTER",
    "TASK_COUNTER",
    "INSERT_TASK",
    "INSERT_DEPENDENCY",
    "INSERT_NEED",
    "INSERT_LABEL",
    "INSERT_ASSIGNEE",
    "UNINDEX",
    "INDEX",
)


class TaskWriter(Protocol):
    """A write transaction: `Tx` in the store, `LiteTx` on the stdlib path."""

    now: datetime

    @property
    def fts(self) -> bool: ...

    async def rows(
        self, statement: Any, params: Mapping[str, Any] | None = None
    ) -> list[tuple[Any, ...]]: ...

    async def run(self, statement: Any, params: Mapping[str, Any] | None = None) -> int | None: ...

    async def run_many(self, statement: Any, rows: Sequence[Mapping[str, Any]]) -> None: ...

    async def activity(
        self, actor: str, verb: str, task_id: str | None = None, **details: Any
    ) -> None: ...


@dataclass(frozen=True)
class NewTask:
    """A task to create, its fields checked and normalised (no duplicates, canonical IDs)."""

    title: str
    description: str
    priority: int
    after: list[str]
    needs: list[str]
    labels: list[str]
    assignees: list[str]
    parent: str | None
    created_by: str
    status: TaskStatus
    max_retries: int
    timeout_seconds: int
    due_at: datetime | None

    @classmethod
    def checked(
        cls,
        title: str,
        *,
        description: str = "",
        priority: int = 2,
        after: Iterable[str] = (),
        needs: Iterable[str] = (),
        assignees: Iterable[str] = (),
        parent: str | None = None,
        labels: Iterable[str] = (),
        created_by: str = HUMAN,
        status: TaskStatus = TaskStatus.INBOX,
        max_retries: int = 3,
        timeout_seconds: int = 900,
        due_at: datetime | None = None,
    ) -> NewTask:
        """Raises DomainError naming the first bad field."""
        clean_title = validate_title(title)
        prio = validate_priority(priority)
        after_ids = _unique(parse_task_id(a) for a in after)
        need_caps = _unique(validate_capability(n) for n in needs)
        label_list = _unique(validate_label(label) for label in labels)
        agents = _unique(assignees)
        parent_id = parse_task_id(parent) if parent else None
        validate_positive("max_retries + 1", max_retries + 1)
        validate_positive("timeout_seconds", timeout_seconds)
        if agents and status is TaskStatus.INBOX:
            status = TaskStatus.ASSIGNED
        return cls(
            title=clean_title,
            description=description,
            priority=prio,
            after=after_ids,
            needs=need_caps,
            labels=label_list,
            assignees=agents,
            parent=parent_id,
            created_by=created_by,
            status=status,
            max_retries=max_retries,
            timeout_seconds=timeout_seconds,
            due_at=due_at,
        )


async def insert_task(tx: TaskWriter, sql: Any, new: NewTask) -> str:
    """Check what the task refers to, then insert it with its relations, its Activity and
    its search entry; returns its ID. `sql` holds the STATEMENTS. Mentions in the
    description are the caller's (the store notifies them; the stdlib path leaves tasks
    with mentions to the store)."""
    await check_live_tasks(tx, sql, new.after, "depend on")
    if new.parent:
        await check_live_tasks(tx, sql, [new.parent], "be a subtask of")
    await check_agents(tx, sql, new.assignees)

    await tx.run(sql.BUMP_TASK_COUNTER)
    seq = (await tx.rows(sql.TASK_COUNTER))[0][0]
    task_id = format_task_id(seq)
    await tx.run(
        sql.INSERT_TASK,
        {
            "id": task_id,
            "seq": seq,
            "title": new.title,
            "description": new.description,
            "status": new.status.value,
            "priority": new.priority,
            "archived": False,
            "created_by": new.created_by,
            "parent_id": new.parent,
            "retry_count": 0,
            "max_retries": new.max_retries,
            "timeout_seconds": new.timeout_seconds,
            "due_at": new.due_at,
            "result": None,
            "last_error": None,
            "status_reason": None,
            "retry_at": None,
            "review_rounds": 0,
            "created_at": tx.now,
            "updated_at": tx.now,
        },
    )
    for statement, values in (
        (sql.INSERT_DEPENDENCY, new.after),
        (sql.INSERT_NEED, new.needs),
        (sql.INSERT_LABEL, new.labels),
        (sql.INSERT_ASSIGNEE, new.assignees),
    ):
        if values:
            await tx.run_many(statement, [{"task_id": task_id, "value": v} for v in values])
    await tx.activity(new.created_by, "created", task_id, title=new.title, status=new.status.value)
    if tx.fts:
        await index_task(tx, sql, task_id, new.title, new.description)
    return task_id


async def index_task(tx: TaskWriter, sql: Any, task_id: str, title: str, body: str) -> None:
    rowid = search_rowid("task", task_number(task_id))
    await tx.run(sql.UNINDEX, {"r": rowid})
    await tx.run(
        sql.INDEX,
        {
            "r": rowid,
            "title": title,
            "body": body,
            "kind": "task",
            "ref": task_id,
            "task_id": task_id,
        },
    )


async def check_live_tasks(tx: TaskWriter, sql: Any, ids: Iterable[str], verb: str) -> None:
    """Each of `ids` exists and is not archived (one lookup each: they are a few)."""
    for task_id in ids:
        found = await tx.rows(sql.TASK_ARCHIVED, {"id": task_id})
        if not found:
            raise DomainError(f"unknown task {task_id}")
        if found[0][0]:
            raise DomainError(f"cannot {verb} {task_id}: it is archived")


async def check_agents(tx: TaskWriter, sql: Any, names: Iterable[str]) -> None:
    missing = [n for n in names if not await tx.rows(sql.AGENT_NAME, {"name": n})]
    if missing:
        raise DomainError(f"unknown agent {', '.join(missing)}")


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
