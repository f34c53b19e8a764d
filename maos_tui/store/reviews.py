"""Review comments: a reviewer's remarks on lines of a task's change (maos_tui/review.py).

A comment is open until the task's next review round starts (the task enters review again
with the author's new work): then it is marked addressed, and `comments()` no longer
returns it. Open comments are what the author's run gets when changes are requested.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from maos_tui.domain import HUMAN, DomainError, TaskStatus
from maos_tui.review import ReviewComment, Side, check_comment
from maos_tui.store.messages import check_author, known_task, live_task
from maos_tui.store.models import ReviewCommentRow, Task

if TYPE_CHECKING:
    from maos_tui.store.core import Store, Tx

_ROWS = ReviewCommentRow.__table__  # type: ignore[attr-defined]
_OPEN = (
    select(_ROWS)
    .where(_ROWS.c.task_id == bindparam("task_id"), _ROWS.c.addressed_at.is_(None))
    .order_by(_ROWS.c.id)
)
_OPEN_COUNTS = (
    select(_ROWS.c.task_id, func.count())
    .where(_ROWS.c.task_id.in_(bindparam("ids", expanding=True)), _ROWS.c.addressed_at.is_(None))
    .group_by(_ROWS.c.task_id)
)


def _record(row: Any) -> ReviewComment:
    return ReviewComment(
        id=row["id"],
        task_id=row["task_id"],
        file=row["file"],
        line=row["line"],
        side=Side(row["side"]),
        text=row["text"],
        author=row["author"],
        created_at=row["created_at"],
        addressed_at=row["addressed_at"],
    )


class ReviewService:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def add(
        self,
        task_id: str,
        file: str,
        line: int,
        text: str,
        author: str = HUMAN,
        *,
        side: Side | str = Side.NEW,
    ) -> ReviewComment:
        """A comment on `line` of `file` (counted in the new file, or the old one for a
        removed line) of a task in review."""
        path, number, body = check_comment(file, line, text)
        try:
            where = Side(side)
        except ValueError:
            raise DomainError(f"review comment side must be new or old, not {side!r}") from None
        async with self.store.write() as tx:
            tid = await live_task(tx.conn, task_id, "comment on")
            status = (await tx.conn.execute(select(Task.status).where(Task.id == tid))).scalar()
            if status != TaskStatus.REVIEW.value:
                raise DomainError(f"cannot comment on {tid}: it is {status}, not in review")
            await check_author(tx.conn, author)
            values = {
                "task_id": tid,
                "file": path,
                "line": number,
                "side": where.value,
                "text": body,
                "author": author,
                "created_at": tx.now,
            }
            result = await tx.conn.execute(insert(ReviewCommentRow).values(**values))
            comment_id = int(result.inserted_primary_key[0])
            await tx.activity(
                author, "review comment", tid, comment_id=comment_id, file=path, line=number
            )
            return _record({**values, "id": comment_id, "addressed_at": None})

    async def comments(
        self, task_id: str, conn: AsyncConnection | None = None
    ) -> list[ReviewComment]:
        """The task's open comments, oldest first: the ones the author has yet to address."""
        if conn is None:
            async with self.store.read() as fresh:
                return await self.comments(task_id, fresh)
        tid = await known_task(conn, task_id)
        rows = await conn.execute(_OPEN, {"task_id": tid})
        return [_record(row) for row in rows.mappings()]

    async def new_round(self, task_id: str, *, actor: str = HUMAN) -> int:
        """Mark the task's open comments addressed; how many there were."""
        async with self.store.write() as tx:
            tid = await known_task(tx.conn, task_id)
            return (await self.new_round_in(tx, [tid], actor=actor)).get(tid, 0)

    async def new_round_in(
        self, tx: Tx, task_ids: Sequence[str], *, actor: str = HUMAN
    ) -> dict[str, int]:
        """A new review round starts on these tasks: their open comments are addressed,
        each task's with an Activity. Returns how many each task had (tasks with none are
        left out)."""
        if not task_ids:
            return {}
        counts = dict((await tx.conn.execute(_OPEN_COUNTS, {"ids": list(task_ids)})).all())
        if not counts:
            return {}
        await tx.conn.execute(
            update(ReviewCommentRow)
            .where(ReviewCommentRow.task_id.in_(list(counts)))
            .where(ReviewCommentRow.addressed_at.is_(None))
            .values(addressed_at=tx.now)
        )
        for tid in sorted(counts):
            await tx.activity(actor, "review comments addressed", tid, comments=counts[tid])
        return {str(tid): int(n) for tid, n in counts.items()}
