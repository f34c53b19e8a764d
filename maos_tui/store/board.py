"""The board's reads that belong to no single service: run figures for cards, the agents'
current tasks, the activity feed, and what WORKING.md shows.

Statements at module level, like task_queries.py's: the board's first paint and WORKING.md's
rewrite without the store run these very statements, compiled ahead by
store/stdlib/compiled_sql_gen.py.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, bindparam, case, func, literal_column, select

from maos_tui.store.models import Activity, Message, Run, Task
from maos_tui.store.task_queries import WITH_RELATIONS

_FIGURES = select(
    Run.task_id,
    func.min(case((Run.ended_at.is_(None), Run.started_at))),
    func.coalesce(func.sum(Run.cost_usd), 0.0),
).group_by(Run.task_id)
# Per task among `ids` (a JSON array, SQLite): since when its open run runs, and its cost.
RUN_FIGURES = _FIGURES.where(
    Run.task_id.in_(select(literal_column("value")).select_from(func.json_each(bindparam("ids"))))
)


def run_figures_listed(task_ids: list[str]) -> Select[Any]:
    """RUN_FIGURES for databases without json_each: the IDs as an IN list."""
    return _FIGURES.where(Run.task_id.in_(task_ids))


# (agent, task) of each open run, oldest first.
CURRENT_TASKS = select(Run.agent_name, Run.task_id).where(Run.ended_at.is_(None)).order_by(Run.id)
# The newest `limit` Activities after `after_id`, newest first.
FEED = (
    select(Activity)
    .where(Activity.id > bindparam("after_id"))
    .order_by(Activity.id.desc())
    .limit(bindparam("limit"))
)

# WORKING.md (working_md/board.py): every live task with its relations, in the order
# tasks.list gives (priority, then creation), in one statement (SQLite's json_group_array);
WORKING_TASKS = WITH_RELATIONS.where(Task.archived == False).order_by(  # noqa: E712
    Task.priority, Task.seq
)
# and how many messages each task has.
MESSAGE_COUNTS = select(Message.task_id, func.count()).group_by(Message.task_id)
