"""Rows to domain records, shared by the store's services and the first paint's stdlib
reader (store/stdlib/first_read.py), which must not import SQLAlchemy: both build the board's
records with the same code.

Rows are mappings by column key, with values already converted by the column types
(aware UTC datetimes, booleans).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from maos_tui.collab import DocumentRecord, DocumentType, MessageRecord, MessageType
from maos_tui.domain import (
    ActivityRecord,
    AgentKind,
    AgentRecord,
    AgentStatus,
    TaskRecord,
    TaskStatus,
)
from maos_tui.task_branch import task_branch_of

# The task columns that make its TaskBranch, in task_branch_of's order.
BRANCH_COLUMNS = (
    "branch",
    "base_branch",
    "base_sha",
    "worktree_path",
    "change",
    "conflict_files",
    "approved_by",
    "merge_commit",
)


def seq_key(task_id: str) -> tuple[int, str]:
    """Task IDs in creation order (TASK-010 after TASK-009)."""
    digits = task_id.rsplit("-", 1)[-1]
    return (int(digits), task_id) if digits.isdigit() else (0, task_id)


def task_record(
    row: Mapping[str, Any],
    *,
    assignees: Iterable[str],
    after: Iterable[str],
    needs: Iterable[str],
    labels: Iterable[str],
    blocked: bool,
) -> TaskRecord:
    return TaskRecord(
        id=row["id"],
        title=row["title"],
        description=row["description"],
        status=TaskStatus(row["status"]),
        priority=row["priority"],
        assignees=tuple(sorted(assignees)),
        created_by=row["created_by"],
        parent=row["parent_id"],
        after=tuple(sorted(after, key=seq_key)),
        needs=tuple(sorted(needs)),
        labels=tuple(sorted(labels)),
        blocked=blocked,
        archived=bool(row["archived"]),
        retry_count=row["retry_count"],
        max_retries=row["max_retries"],
        timeout_seconds=row["timeout_seconds"],
        result=row["result"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        due_at=row["due_at"],
        last_error=row["last_error"],
        status_reason=row["status_reason"],
        retry_at=row["retry_at"],
        review_rounds=row["review_rounds"],
        branch=task_branch_of(*(row[c] for c in BRANCH_COLUMNS)),
    )


def task_with_relations(row: Mapping[str, Any]) -> TaskRecord:
    """A row of the tasks statements that carry their relations as arrays."""
    return task_record(
        row,
        assignees=_json_list(row["_assignees"]),
        after=_json_list(row["_after"]),
        needs=_json_list(row["_needs"]),
        labels=_json_list(row["_labels"]),
        blocked=bool(row["_blocked"]),
    )


def _json_list(found: str | list[Any]) -> list[Any]:
    """A JSON array (SQLite), or the list a PostgreSQL array arrives as."""
    if isinstance(found, list):
        return found
    # Most relations are empty: a whole board's worth of json.loads("[]") costs milliseconds.
    return [] if found == "[]" else json.loads(found)


def agent_record(row: Mapping[str, Any]) -> AgentRecord:
    command = json.loads(row["command"]) if row["command"] else None
    return AgentRecord(
        name=row["name"],
        role=row["role"],
        kind=AgentKind(row["kind"]),
        model=row["model"],
        command=tuple(command) if command is not None else None,
        capabilities=tuple(json.loads(row["capabilities"] or "[]")),
        status=AgentStatus(row["status"]),
        heartbeat_seconds=row["heartbeat_seconds"],
        max_concurrent=row["max_concurrent"],
        last_heartbeat=row["last_heartbeat"],
        tokens_in=row["tokens_in"],
        tokens_out=row["tokens_out"],
        cost_usd=row["cost_usd"],
        system_prompt=row["system_prompt"],
        api_base=row["api_base"],
        shell=bool(row["shell"]),
        status_reason=row["status_reason"],
        budget_usd=row["budget_usd"],
        budget_tokens=row["budget_tokens"],
        source=row["source"],
        last_assigned_at=row["last_assigned_at"],
    )


def message_record(row: Mapping[str, Any], **extra: Any) -> MessageRecord:
    return MessageRecord(
        id=row["id"],
        task_id=row["task_id"],
        author=row["author"],
        text=row["text"],
        type=MessageType(row["type"]),
        reply_to=row["reply_to"],
        created_at=row["created_at"],
        **extra,
    )


def document_record(
    doc: Mapping[str, Any], version: Mapping[str, Any], latest: int, content: bool
) -> DocumentRecord:
    """A document at one version; without its content in listings."""
    return DocumentRecord(
        id=doc["id"],
        task_id=doc["task_id"],
        title=doc["title"],
        doc_type=DocumentType(doc["doc_type"]),
        created_by=doc["created_by"],
        created_at=doc["created_at"],
        updated_at=doc["updated_at"],
        version=version["version"],
        latest=latest,
        author=version["author"],
        content=version["content"] if content else None,
    )


def activity_record(row: Mapping[str, Any]) -> ActivityRecord:
    # An unreadable `details` must not stop a board (or WORKING.md) from being drawn.
    try:
        details = json.loads(row["details"] or "{}")
    except ValueError:
        details = {}
    return ActivityRecord(
        id=row["id"],
        created_at=row["created_at"],
        actor=row["actor"],
        verb=row["verb"],
        task_id=row["task_id"],
        details=details if isinstance(details, dict) else {},
    )


def totals_of(row: Sequence[Any]) -> dict[str, Any]:
    """The workspace's token and cost totals (agents.TOTALS' row)."""
    # Summed floats carry binary noise (0.08249999999999998); money shows 6 decimals, as
    # AgentRecord.to_json does.
    cost = round(float(row[2]), 6)
    return {"tokens_in": int(row[0]), "tokens_out": int(row[1]), "cost_usd": cost}


@dataclass(frozen=True, slots=True)
class TaskRunFigures:
    running_since: datetime | None
    cost_usd: float


def run_figures_of(rows: Iterable[Sequence[Any]]) -> dict[str, TaskRunFigures]:
    """board.RUN_FIGURES' rows by task."""
    return {
        task_id: TaskRunFigures(_as_datetime(started), float(cost))
        for task_id, started, cost in rows
    }


def _as_datetime(value: object) -> datetime | None:
    # Aggregates lose the column type, so SQLite hands back the stored text.
    if value is None or isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def activity_row(
    now: datetime, actor: str, verb: str, task_id: str | None, details: Mapping[str, Any]
) -> dict[str, Any]:
    """An Activity's row as every writer inserts it."""
    return {
        "created_at": now,
        "actor": actor,
        "verb": verb,
        "task_id": task_id,
        "details": json.dumps(details, default=str, ensure_ascii=False),
    }
