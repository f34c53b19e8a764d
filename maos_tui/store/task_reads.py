"""Task reads: many tasks with their relations, board columns, filters, dependents."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from maos_tui.domain import DomainError, TaskMatch, TaskRecord, TaskStatus, parse_task_id
from maos_tui.store.models import Task, TaskAssignee, TaskDependency, TaskLabel, TaskNeed
from maos_tui.store.prepared import Prepared
from maos_tui.store.records import seq_key, task_record, task_with_relations
from maos_tui.store.task_queries import (
    COLUMN,
    COLUMN_NEWEST,
    WITH_RELATIONS,
    WITH_RELATIONS_PG,
    in_json,
    with_branch,
)

if TYPE_CHECKING:
    from maos_tui.store.core import Reader, Store

# Above this many IDs, loading a whole relation table beats a huge IN (...) list.
BULK_THRESHOLD = 400
_RELATIONS = (
    (TaskAssignee, TaskAssignee.agent_name),
    (TaskDependency, TaskDependency.depends_on),
    (TaskNeed, TaskNeed.capability),
    (TaskLabel, TaskLabel.label),
)


_GET_MANY_IN = Prepared(WITH_RELATIONS.where(Task.id.in_(in_json("_ids"))))
_GET_MANY_KEYS = tuple(c.key for c in _GET_MANY_IN.statement.selected_columns)


class TaskReads:
    """TaskService's reads (its stdlib-twinned ones, get/list/counts, are its own)."""

    store: Store

    async def _one(self, task_id: str, conn: AsyncConnection) -> TaskRecord:
        tid = parse_task_id(task_id)
        found = await self.get_many([tid], conn)
        if not found:
            raise DomainError(f"unknown task {tid}")
        return found[0]

    async def get_many(self, ids: Iterable[str], conn: AsyncConnection) -> list[TaskRecord]:
        """The tasks among `ids` that exist (archived ones too), in no particular order."""
        wanted = list(ids)
        if len(wanted) > BULK_THRESHOLD:
            query = with_branch(select(Task)).where(Task.id.in_(wanted))
            rows = (await conn.execute(query)).mappings()
            return await self._hydrate(conn, rows.all())
        # The scheduler reads a few tasks at every step: one statement, where _hydrate
        # spends five (one per relation, one for the dependencies' status).
        related = WITH_RELATIONS if conn.dialect.name == "sqlite" else WITH_RELATIONS_PG
        rows = (await conn.execute(related.where(Task.id.in_(wanted)))).mappings()
        return [task_with_relations(row) for row in rows.all()]

    async def _hydrate(self, conn: AsyncConnection, rows: Sequence[Any]) -> list[TaskRecord]:
        ids = [row["id"] for row in rows]
        related: dict[type, dict[str, list[str]]] = {}
        for table, column in _RELATIONS:
            query = select(table.task_id, column)
            if len(ids) <= BULK_THRESHOLD:
                query = query.where(table.task_id.in_(ids))
            grouped: dict[str, list[str]] = defaultdict(list)
            for task_id, value in (await conn.execute(query)).all():
                grouped[task_id].append(value)
            related[table] = grouped
        deps = related[TaskDependency]
        dep_ids = {d for values in deps.values() for d in values}
        open_deps = await self._not_done(conn, dep_ids)
        return [
            task_record(
                row,
                assignees=related[TaskAssignee].get(row["id"], ()),
                after=deps.get(row["id"], ()),
                needs=related[TaskNeed].get(row["id"], ()),
                labels=related[TaskLabel].get(row["id"], ()),
                blocked=any(d in open_deps for d in deps.get(row["id"], ())),
            )
            for row in rows
        ]

    async def _not_done(self, conn: AsyncConnection, ids: set[str]) -> set[str]:
        if not ids:
            return set()
        query = select(Task.id).where(Task.status != TaskStatus.DONE.value)
        if len(ids) <= BULK_THRESHOLD:
            query = query.where(Task.id.in_(ids))
        return {tid for (tid,) in (await conn.execute(query)).all()} & ids

    async def column(
        self, conn: AsyncConnection, status: TaskStatus, limit: int, *, newest_first: bool
    ) -> list[TaskRecord]:
        """`list` of one status with a limit (an unfiltered board column): on SQLite one
        statement, where `list` spends six."""
        if conn.dialect.name != "sqlite":  # json_group_array is SQLite's
            return await self.list([status], conn=conn, limit=limit, newest_first=newest_first)
        statement = COLUMN_NEWEST if newest_first else COLUMN
        rows = await conn.execute(statement, {"status": status.value, "limit": limit})
        return [task_with_relations(row) for row in rows.mappings().all()]

    async def count_matching(
        self, conn: AsyncConnection, status: TaskStatus, match: TaskMatch
    ) -> int:
        """How many live tasks of `status` a filter keeps (a filtered column's count)."""
        query = select(func.count()).select_from(Task)
        query = query.where(Task.archived == False, Task.status == status.value)  # noqa: E712
        return int((await conn.execute(matching(query, match))).scalar_one())

    async def dependents(self, task_id: str, conn: AsyncConnection) -> list[str]:
        return sorted(await self.dependents_of([task_id], conn), key=seq_key)

    async def dependents_of(self, ids: Iterable[str], conn: AsyncConnection) -> set[str]:
        """Tasks that depend on any of `ids`: their `blocked` follows those tasks' status."""
        rows = await conn.execute(
            select(TaskDependency.task_id).where(TaskDependency.depends_on.in_(list(ids)))
        )
        return {r[0] for r in rows.all()}

    async def get_many_in(self, tx: Reader, ids: Iterable[str]) -> list[TaskRecord]:
        """`get_many` in a transaction with Prepared statements (a write transaction
        reading what it is about to change, the scheduler's pass): on SQLite one Prepared
        statement for any number of IDs."""
        wanted = list(ids)
        if not tx.native or len(wanted) > BULK_THRESHOLD:
            return await self.get_many(wanted, tx.conn)
        rows = await tx.rows(_GET_MANY_IN, {"_ids": json.dumps(wanted)})
        return [task_with_relations(dict(zip(_GET_MANY_KEYS, row, strict=True))) for row in rows]

    async def states(self, ids: Iterable[str]) -> dict[str, tuple[TaskStatus, bool]]:
        """Status and archived flag of the tasks among `ids` that exist."""
        async with self.store.read() as conn:
            rows = await conn.execute(
                select(Task.id, Task.status, Task.archived).where(Task.id.in_(list(ids)))
            )
            return {tid: (TaskStatus(s), bool(archived)) for tid, s, archived in rows.all()}

    async def _row(self, conn: AsyncConnection, tid: str) -> Any:
        row = (await conn.execute(select(Task).where(Task.id == tid))).mappings().first()
        if row is None:
            raise DomainError(f"unknown task {tid}")
        return row

    async def _dependency_graph(self, conn: AsyncConnection) -> dict[str, list[str]]:
        graph: dict[str, list[str]] = defaultdict(list)
        rows = await conn.execute(select(TaskDependency.task_id, TaskDependency.depends_on))
        for task_id, dep in rows.all():
            graph[task_id].append(dep)
        return graph

    async def held_by(self, conn: AsyncConnection, agent: str) -> list[str]:
        """Unfinished tasks assigned to `agent`."""
        rows = await conn.execute(
            select(Task.id)
            .join(TaskAssignee, and_(TaskAssignee.task_id == Task.id))
            .where(
                TaskAssignee.agent_name == agent,
                Task.archived == False,  # noqa: E712 - SQL expression
                or_(
                    *(
                        Task.status == s.value
                        for s in (TaskStatus.ASSIGNED, TaskStatus.IN_PROGRESS, TaskStatus.REVIEW)
                    )
                ),
            )
        )
        return [r[0] for r in rows.all()]


def matching(query: Any, match: TaskMatch) -> Any:
    """SQL for a TaskMatch, so a filter finds tasks beyond the loaded page of a column."""
    for word in match.words:
        # LIKE wildcards the user typed are matched literally.
        pattern = (
            "%" + word.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        query = query.where(
            or_(
                func.lower(Task.title).like(pattern, escape="\\"),
                func.lower(Task.id).like(pattern, escape="\\"),
            )
        )
    for agent in match.agents:
        assigned = select(TaskAssignee.task_id).where(TaskAssignee.agent_name == agent)
        query = query.where(Task.id.in_(assigned))
    if match.priorities:
        query = query.where(Task.priority.in_(match.priorities))
    if match.blocked:
        dep = aliased(Task)
        open_dependency = (
            select(TaskDependency.task_id)
            .join(dep, dep.id == TaskDependency.depends_on)
            .where(dep.status != TaskStatus.DONE.value)
        )
        query = query.where(Task.id.in_(open_dependency))
    return query
