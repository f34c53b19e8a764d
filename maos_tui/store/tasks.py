"""Task reads and mutations. Every mutation writes its Activity in the same transaction."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from maos_tui.collab import find_mentions
from maos_tui.domain import (
    HUMAN,
    DomainError,
    TaskMatch,
    TaskRecord,
    TaskStatus,
    check_no_cycle,
    check_transition,
    parse_task_id,
    validate_capability,
    validate_label,
    validate_priority,
    validate_title,
)
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
from maos_tui.store.records import seq_key, task_record, task_with_relations
from maos_tui.store.search import INDEX, UNINDEX, set_task_indexed_in
from maos_tui.store.stdlib.twins import stdlib_twin
from maos_tui.store.stranded import note_archived_in, note_cancelled_in
from maos_tui.store.task_create import (
    NewTask,
    check_agents,
    check_live_tasks,
    index_task,
    insert_task,
)
from maos_tui.store.task_queries import (
    COLUMN,
    COLUMN_NEWEST,
    COUNTS,
    WITH_RELATIONS,
    in_json,
    with_branch,
)

if TYPE_CHECKING:
    from maos_tui.store.core import Reader, Store, Tx

_UNSET: Any = object()
_HELD_STATUSES = [s.value for s in (TaskStatus.ASSIGNED, TaskStatus.IN_PROGRESS, TaskStatus.REVIEW)]
# Above this many IDs, loading a whole relation table beats a huge IN (...) list.
_BULK_THRESHOLD = 400
_RELATIONS = (
    (TaskAssignee, TaskAssignee.agent_name),
    (TaskDependency, TaskDependency.depends_on),
    (TaskNeed, TaskNeed.capability),
    (TaskLabel, TaskLabel.label),
)


def _unique(values: Iterable[str]) -> list[str]:
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
_GET_MANY_IN = Prepared(WITH_RELATIONS.where(Task.id.in_(in_json("_ids"))))
_GET_MANY_KEYS = tuple(c.key for c in _GET_MANY_IN.statement.selected_columns)


class TaskService:
    def __init__(self, store: Store) -> None:
        self.store = store

    # ---------------------------------------------------------------- reads

    @stdlib_twin()
    async def get(self, task_id: str, conn: AsyncConnection | None = None) -> TaskRecord:
        tid = parse_task_id(task_id)
        if conn is None:
            async with self.store.read() as fresh:
                return await self.get(tid, fresh)
        found = await self.get_many([tid], conn)
        if not found:
            raise DomainError(f"unknown task {tid}")
        return found[0]

    async def get_many(self, ids: Iterable[str], conn: AsyncConnection) -> list[TaskRecord]:
        """The tasks among `ids` that exist (archived ones too), in no particular order."""
        wanted = list(ids)
        if len(wanted) > _BULK_THRESHOLD or conn.dialect.name != "sqlite":
            rows = (await conn.execute(select(Task).where(Task.id.in_(wanted)))).mappings()
            return await self._hydrate(conn, rows.all())
        # The scheduler reads a few tasks at every step: one statement, where _hydrate
        # spends five (one per relation, one for the dependencies' status).
        rows = (await conn.execute(WITH_RELATIONS.where(Task.id.in_(wanted)))).mappings()
        return [task_with_relations(row) for row in rows.all()]

    @stdlib_twin()
    async def list(
        self,
        statuses: Sequence[TaskStatus] | None = None,
        assignee: str | None = None,
        archived: bool = False,
        conn: AsyncConnection | None = None,
        limit: int | None = None,
        newest_first: bool = False,
        match: TaskMatch | None = None,
    ) -> list[TaskRecord]:
        """Tasks ordered by priority then ID, or by last change when `newest_first`
        (finished columns). `archived=True` lists only archived ones."""
        if conn is None:
            async with self.store.read() as fresh:
                return await self.list(
                    statuses, assignee, archived, fresh, limit, newest_first, match
                )
        query = with_branch(select(Task)).where(Task.archived == archived)
        if statuses:
            query = query.where(Task.status.in_([s.value for s in statuses]))
        if assignee is not None:
            query = query.where(
                Task.id.in_(select(TaskAssignee.task_id).where(TaskAssignee.agent_name == assignee))
            )
        if match is not None:
            query = _matching(query, match)
        if newest_first:
            query = query.order_by(Task.updated_at.desc(), Task.seq.desc())
        else:
            query = query.order_by(Task.priority, Task.seq)
        if limit is not None:
            query = query.limit(limit)
        rows = (await conn.execute(query)).mappings().all()
        return await self._hydrate(conn, rows)

    async def _hydrate(self, conn: AsyncConnection, rows: Sequence[Any]) -> list[TaskRecord]:
        ids = [row["id"] for row in rows]
        related: dict[type, dict[str, list[str]]] = {}
        for table, column in _RELATIONS:
            query = select(table.task_id, column)
            if len(ids) <= _BULK_THRESHOLD:
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
        if len(ids) <= _BULK_THRESHOLD:
            query = query.where(Task.id.in_(ids))
        return {tid for (tid,) in (await conn.execute(query)).all()} & ids

    @stdlib_twin()
    async def counts(self, conn: AsyncConnection | None = None) -> dict[str, int]:
        """Non-archived tasks per status, every status present (0 when empty)."""
        if conn is None:
            async with self.store.read() as fresh:
                return await self.counts(fresh)
        found = dict((await conn.execute(COUNTS)).all())
        return {s.value: int(found.get(s.value, 0)) for s in TaskStatus}

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
        return int((await conn.execute(_matching(query, match))).scalar_one())

    async def dependents(self, task_id: str, conn: AsyncConnection) -> list[str]:
        return sorted(await self.dependents_of([task_id], conn), key=seq_key)

    async def dependents_of(self, ids: Iterable[str], conn: AsyncConnection) -> set[str]:
        """Tasks that depend on any of `ids`: their `blocked` follows those tasks' status."""
        rows = await conn.execute(
            select(TaskDependency.task_id).where(TaskDependency.depends_on.in_(list(ids)))
        )
        return {r[0] for r in rows.all()}

    # ------------------------------------------------------------ mutations

    async def get_many_in(self, tx: Reader, ids: Iterable[str]) -> list[TaskRecord]:
        """`get_many` in a transaction with Prepared statements (a write transaction
        reading what it is about to change, the scheduler's pass): on SQLite one Prepared
        statement for any number of IDs."""
        wanted = list(ids)
        if not tx.native or len(wanted) > _BULK_THRESHOLD:
            return await self.get_many(wanted, tx.conn)
        rows = await tx.rows(_GET_MANY_IN, {"_ids": json.dumps(wanted)})
        return [task_with_relations(dict(zip(_GET_MANY_KEYS, row, strict=True))) for row in rows]

    @stdlib_twin(leaves_to_store=("notifications",))  # a description mentioning someone
    async def create(self, title: str, **fields: Any) -> TaskRecord:
        """Create a task in its own transaction; `fields` are those of `NewTask.checked`."""
        async with self.store.write() as tx:
            task_id = await self.create_in(tx, title, **fields)
            return await self.get(task_id, tx.conn)

    async def create_in(self, tx: Tx, title: str, **fields: Any) -> str:
        """Create inside an open transaction (the agent tools and WORKING.md merge batch);
        `fields` are those of `NewTask.checked`."""
        created_by = fields.get("created_by", HUMAN)
        task_id = await insert_task(tx, CREATE_SQL, NewTask.checked(title, **fields))
        await self.store.notifications.notify_in(
            tx, task_id=task_id, author=created_by, text=fields.get("description", "")
        )
        return task_id

    async def move(
        self,
        task_id: str,
        status: TaskStatus,
        *,
        actor: str = HUMAN,
        reason: str | None = None,
    ) -> TaskRecord:
        async with self.store.write() as tx:
            await self.move_in(tx, task_id, status, actor=actor, reason=reason)
            return await self.get(task_id, tx.conn)

    async def move_in(
        self,
        tx: Tx,
        task_id: str,
        status: TaskStatus,
        *,
        actor: str = HUMAN,
        reason: str | None = None,
        current: TaskStatus | None = None,
        **extra: Any,
    ) -> TaskStatus:
        """Change status; agents must follow the status graph, humans may jump anywhere.
        `current` is the status as already read in this transaction, if it was."""
        tid = parse_task_id(task_id)
        if current is None:
            current = TaskStatus((await self._row(tx.conn, tid))["status"])
        await self.move_many_in(tx, [Move(tid, status, current, actor, reason, extra)])
        return current

    async def move_many_in(self, tx: Tx, moves: Sequence[Move]) -> None:
        """Status changes of many tasks whose status this transaction has read: each
        checked and recorded as `move_in` does, the rows written with executemany. All are
        checked before anything is written."""
        moving = [m for m in moves if m.current is not m.status or m.values]
        for move in moving:
            check_transition(move.current, move.status, human=move.actor == HUMAN)
        rows: list[tuple[str, dict[str, Any]]] = []
        for move in moving:
            values: dict[str, Any] = {"status": move.status.value, "updated_at": tx.now}
            values.update(move.values)
            if move.status is TaskStatus.INBOX:
                values.setdefault("status_reason", None)
            rows.append((move.task_id, values))
        await update_rows_in(tx, rows)
        for move in moving:
            details: dict[str, Any] = {"from": move.current.value, "to": move.status.value}
            if move.reason:
                details["reason"] = move.reason
            await tx.activity(move.actor, _VERBS.get(move.status, "moved"), move.task_id, **details)
        await note_cancelled_in(tx, moving)

    async def edit(self, task_id: str, **fields: Any) -> TaskRecord:
        """Edit a task in its own transaction; `fields` are those of `edit_in`."""
        async with self.store.write() as tx:
            await self.edit_in(tx, task_id, **fields)
            return await self.get(task_id, tx.conn)

    async def edit_in(
        self,
        tx: Tx,
        task_id: str,
        *,
        actor: str = HUMAN,
        title: str | None = None,
        description: str | None = None,
        priority: int | None = None,
        after: Iterable[str] | None = None,
        needs: Iterable[str] | None = None,
        labels: Iterable[str] | None = None,
        parent: str | None = _UNSET,
    ) -> dict[str, Any]:
        """Apply the given fields; returns {field: new value} for what actually changed."""
        conn = tx.conn
        tid = parse_task_id(task_id)
        current = await self.get(tid, conn)
        values: dict[str, Any] = {}
        changed: dict[str, Any] = {}
        if title is not None and validate_title(title) != current.title:
            values["title"] = changed["title"] = validate_title(title)
        if description is not None and description != current.description:
            values["description"] = changed["description"] = description
        if priority is not None and validate_priority(priority) != current.priority:
            values["priority"] = changed["priority"] = validate_priority(priority)
        if parent is not _UNSET:
            parent_id = parse_task_id(parent) if parent else None
            if parent_id != current.parent:
                if parent_id == tid:
                    raise DomainError(f"{tid} cannot be its own parent")
                if parent_id:
                    await check_live_tasks(tx, CREATE_SQL, [parent_id], "be a subtask of")
                values["parent_id"] = changed["parent"] = parent_id
        if after is not None:
            after_ids = _unique(parse_task_id(a) for a in after)
            if set(after_ids) != set(current.after):
                added = [a for a in after_ids if a not in current.after]
                await check_live_tasks(tx, CREATE_SQL, added, "depend on")
                graph = await self._dependency_graph(conn)
                check_no_cycle(tid, added, lambda node: graph.get(node, ()))
                await _replace_relations(conn, tid, TaskDependency, "depends_on", after_ids)
                changed["after"] = after_ids
        if needs is not None:
            caps = _unique(validate_capability(n) for n in needs)
            if set(caps) != set(current.needs):
                await _replace_relations(conn, tid, TaskNeed, "capability", caps)
                changed["needs"] = caps
        if labels is not None:
            label_list = _unique(validate_label(label) for label in labels)
            if set(label_list) != set(current.labels):
                await _replace_relations(conn, tid, TaskLabel, "label", label_list)
                changed["labels"] = label_list
        if not changed:
            return changed
        values["updated_at"] = tx.now
        await conn.execute(update(Task).where(Task.id == tid).values(**values))
        await tx.activity(actor, "edited", tid, fields=sorted(changed), **_brief(changed))
        if ("title" in changed or "description" in changed) and not current.archived:
            new_description = changed.get("description", current.description)
            await index_task(
                tx, CREATE_SQL, tid, changed.get("title", current.title), new_description
            )
        if "description" in changed:
            # Only names the edit adds are news; the others were notified when first written.
            await self.store.notifications.notify_in(
                tx,
                task_id=tid,
                author=actor,
                text=changed["description"],
                skip=find_mentions(current.description),
            )
        return changed

    async def assign(
        self, task_id: str, agents: Iterable[str], *, actor: str = HUMAN
    ) -> TaskRecord:
        async with self.store.write() as tx:
            await self.set_assignees_in(tx, task_id, add=agents, actor=actor)
            return await self.get(task_id, tx.conn)

    async def unassign(
        self, task_id: str, agents: Iterable[str], *, actor: str = HUMAN
    ) -> TaskRecord:
        async with self.store.write() as tx:
            await self.set_assignees_in(tx, task_id, remove=agents, actor=actor)
            return await self.get(task_id, tx.conn)

    async def set_assignees_in(
        self,
        tx: Tx,
        task_id: str,
        *,
        add: Iterable[str] = (),
        remove: Iterable[str] = (),
        actor: str = HUMAN,
        current: TaskRecord | None = None,
    ) -> None:
        """Assigning an inbox task moves it to assigned; dropping the last assignee of an
        assigned task sends it back to the inbox, so the board never shows an orphan.
        `current` is the task as already read in this transaction, if it was."""
        conn = tx.conn
        tid = parse_task_id(task_id)
        if current is None or current.id != tid:
            current = await self.get(tid, conn)
        to_add = [a for a in _unique(add) if a not in current.assignees]
        to_remove = _unique(remove)
        await check_agents(tx, CREATE_SQL, to_add)
        unknown = [a for a in to_remove if a not in current.assignees]
        if unknown:
            raise DomainError(f"{tid} is not assigned to {', '.join(unknown)}")
        if not to_add and not to_remove:
            return
        await _insert_relations(conn, tid, TaskAssignee, "agent_name", to_add)
        if to_remove:
            await conn.execute(
                delete(TaskAssignee).where(
                    TaskAssignee.task_id == tid, TaskAssignee.agent_name.in_(to_remove)
                )
            )
        remaining = (set(current.assignees) | set(to_add)) - set(to_remove)
        status = current.status
        if to_add and status is TaskStatus.INBOX:
            status = TaskStatus.ASSIGNED
        elif not remaining and status is TaskStatus.ASSIGNED:
            status = TaskStatus.INBOX
        await conn.execute(
            update(Task).where(Task.id == tid).values(status=status.value, updated_at=tx.now)
        )
        if to_add:
            await tx.activity(actor, "assigned", tid, agents=to_add, status=status.value)
        if to_remove:
            await tx.activity(actor, "unassigned", tid, agents=to_remove, status=status.value)

    async def cancel(self, task_id: str, *, actor: str = HUMAN) -> TaskRecord:
        return await self.move(task_id, TaskStatus.CANCELLED, actor=actor)

    async def retry(self, task_id: str, *, actor: str = HUMAN) -> TaskRecord:
        """A human retry starts over: the retry budget, the error and the backoff reset."""
        async with self.store.write() as tx:
            tid = parse_task_id(task_id)
            row = await self._row(tx.conn, tid)
            if TaskStatus(row["status"]) not in (TaskStatus.FAILED, TaskStatus.CANCELLED):
                raise DomainError(f"{tid} is {row['status']}; only failed or cancelled tasks retry")
            await tx.conn.execute(
                update(Task)
                .where(Task.id == tid)
                .values(
                    status=TaskStatus.INBOX.value,
                    retry_count=0,
                    last_error=None,
                    retry_at=None,
                    review_rounds=0,
                    status_reason=None,
                    updated_at=tx.now,
                )
            )
            await tx.activity(actor, "retried", tid, **{"from": row["status"], "to": "inbox"})
            return await self.get(tid, tx.conn)

    async def archive(
        self, task_id: str, *, actor: str = HUMAN, reason: str | None = None
    ) -> TaskRecord:
        async with self.store.write() as tx:
            await self.set_archived_in(tx, task_id, True, actor=actor, reason=reason)
            return await self.get(task_id, tx.conn)

    async def restore(self, task_id: str, *, actor: str = HUMAN) -> TaskRecord:
        async with self.store.write() as tx:
            await self.set_archived_in(tx, task_id, False, actor=actor)
            return await self.get(task_id, tx.conn)

    async def set_archived_in(
        self, tx: Tx, task_id: str, archived: bool, *, actor: str = HUMAN, reason: str | None = None
    ) -> None:
        tid = parse_task_id(task_id)
        row = await self._row(tx.conn, tid)
        if bool(row["archived"]) == archived:
            state = "archived" if archived else "not archived"
            raise DomainError(f"{tid} is already {state}")
        await tx.conn.execute(
            update(Task).where(Task.id == tid).values(archived=archived, updated_at=tx.now)
        )
        await set_task_indexed_in(tx.conn, tid, not archived)
        verb = "archived" if archived else "restored"
        details = {"reason": reason} if reason else {}
        await tx.activity(actor, verb, tid, **details)
        await note_archived_in(tx, tid, archived, row["status"], actor)

    async def update_fields_in(self, tx: Tx, task_id: str, **values: Any) -> None:
        """Scheduler bookkeeping (retry_at, last_error, result...) with no Activity of its own:
        the caller records the Activity that explains it."""
        values["updated_at"] = tx.now
        await tx.conn.execute(update(Task).where(Task.id == task_id).values(**values))
        tx.notify("task", task_id=task_id)

    async def set_reasons_in(self, tx: Tx, reasons: Mapping[str, str | None]) -> None:
        """Why tasks wait, for many tasks at once: one UPDATE per distinct reason and one
        event, since the scheduler may restate thousands of reasons in a single pass. The
        event has its own topic: a waiting reason changes no placement, so it neither
        wakes the scheduler (which wrote it) nor makes it read the tasks again."""
        by_reason: dict[str | None, list[str]] = defaultdict(list)
        for task_id, reason in reasons.items():
            by_reason[reason].append(task_id)
        for reason, ids in by_reason.items():
            for start in range(0, len(ids), _BULK_THRESHOLD):
                chunk = ids[start : start + _BULK_THRESHOLD]
                await tx.conn.execute(
                    update(Task)
                    .where(Task.id.in_(chunk))
                    .values(status_reason=reason, updated_at=tx.now)
                )
        if reasons:
            tx.notify("reasons")

    # -------------------------------------------------------------- helpers

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


def _matching(query: Any, match: TaskMatch) -> Any:
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


def _brief(changed: dict[str, Any]) -> dict[str, Any]:
    """Activity details: new values, with long descriptions left out of the history."""
    return {k: v for k, v in changed.items() if k != "description"}


async def _insert_relations(
    conn: AsyncConnection, task_id: str, table: type, column: str, values: list[str]
) -> None:
    if values:
        await conn.execute(insert(table), [{"task_id": task_id, column: v} for v in values])


async def _replace_relations(
    conn: AsyncConnection, task_id: str, table: type, column: str, values: list[str]
) -> None:
    await conn.execute(delete(table).where(table.task_id == task_id))
    await _insert_relations(conn, task_id, table, column, values)
