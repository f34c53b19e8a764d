"""SQLModel table declarations. The service layer talks to them through SQLAlchemy Core.

Times are aware UTC (SQLModel's UTCDateTime). JSON-ish lists (agent capabilities, command
argv) are stored as JSON text so the schema stays portable between SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class Meta(SQLModel, table=True):
    __tablename__ = "maos_meta"
    key: str = Field(primary_key=True, max_length=64)
    value: str


class Counter(SQLModel, table=True):
    """Named sequences (task IDs): bumped inside the creating transaction, never reused."""

    __tablename__ = "counters"
    name: str = Field(primary_key=True, max_length=64)
    value: int = 0


class Agent(SQLModel, table=True):
    __tablename__ = "agents"
    name: str = Field(primary_key=True, max_length=64)
    role: str = ""
    kind: str = Field(max_length=16)
    model: str | None = None
    command: str | None = None  # JSON argv list
    shell: bool = False
    api_base: str | None = None
    capabilities: str = "[]"  # JSON list
    status: str = Field(default="idle", max_length=16)
    status_reason: str | None = None
    heartbeat_seconds: int = 30
    max_concurrent: int = 1
    last_heartbeat: datetime | None = None
    last_assigned_at: datetime | None = None
    system_prompt: str = ""
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    budget_usd: float | None = None
    budget_tokens: int | None = None
    source: str = Field(default="cli", max_length=16)
    created_at: datetime


class Task(SQLModel, table=True):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_board", "archived", "status", "priority", "seq"),
        Index("ix_tasks_parent", "parent_id"),
    )
    id: str = Field(primary_key=True, max_length=32)
    seq: int = Field(sa_column=Column(Integer, nullable=False, unique=True))
    title: str = Field(max_length=200)
    description: str = ""
    status: str = Field(default="inbox", max_length=16)
    priority: int = 2
    archived: bool = False
    created_by: str = Field(default="human", max_length=64)
    parent_id: str | None = Field(
        default=None, sa_column=Column(String(32), ForeignKey("tasks.id", ondelete="SET NULL"))
    )
    retry_count: int = 0
    max_retries: int = 3
    timeout_seconds: int = 900
    due_at: datetime | None = None
    result: str | None = None
    last_error: str | None = None
    status_reason: str | None = None
    retry_at: datetime | None = None
    review_rounds: int = 0
    created_at: datetime
    updated_at: datetime


class TaskDependency(SQLModel, table=True):
    __tablename__ = "task_dependencies"
    __table_args__ = (Index("ix_task_dependencies_on", "depends_on"),)
    task_id: str = Field(
        sa_column=Column(String(32), ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)
    )
    depends_on: str = Field(
        sa_column=Column(String(32), ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)
    )


class TaskAssignee(SQLModel, table=True):
    __tablename__ = "task_assignees"
    __table_args__ = (Index("ix_task_assignees_agent", "agent_name"),)
    task_id: str = Field(
        sa_column=Column(String(32), ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)
    )
    agent_name: str = Field(
        sa_column=Column(
            String(64),
            ForeignKey("agents.name", ondelete="CASCADE", onupdate="CASCADE"),
            primary_key=True,
        )
    )


class TaskNeed(SQLModel, table=True):
    __tablename__ = "task_needs"
    task_id: str = Field(
        sa_column=Column(String(32), ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)
    )
    capability: str = Field(sa_column=Column(String(64), primary_key=True))


class TaskLabel(SQLModel, table=True):
    __tablename__ = "task_labels"
    task_id: str = Field(
        sa_column=Column(String(32), ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)
    )
    label: str = Field(sa_column=Column(String(64), primary_key=True))


class Message(SQLModel, table=True):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_task", "task_id", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    task_id: str = Field(
        sa_column=Column(String(32), ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False)
    )
    author: str = Field(max_length=64)
    text: str
    type: str = Field(default="comment", max_length=16)
    reply_to: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("messages.id", ondelete="SET NULL"))
    )
    created_at: datetime


class Activity(SQLModel, table=True):
    __tablename__ = "activities"
    __table_args__ = (
        Index("ix_activities_time", "created_at"),
        Index("ix_activities_task", "task_id", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime
    actor: str = Field(max_length=64)
    verb: str = Field(max_length=64)
    # No foreign key: the history outlives what it talks about.
    task_id: str | None = Field(default=None, max_length=32)
    details: str = "{}"  # JSON object


class Document(SQLModel, table=True):
    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_task", "task_id"),)
    id: int | None = Field(default=None, primary_key=True)
    task_id: str = Field(
        sa_column=Column(String(32), ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False)
    )
    title: str = Field(max_length=200)
    doc_type: str = Field(default="deliverable", max_length=16)
    created_by: str = Field(max_length=64)
    created_at: datetime
    updated_at: datetime


class DocumentVersion(SQLModel, table=True):
    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(
        sa_column=Column(Integer, ForeignKey("documents.id", ondelete="CASCADE"), nullable=False)
    )
    version: int
    content: str = Field(sa_column=Column(Text, nullable=False))
    author: str = Field(max_length=64)
    created_at: datetime


class Notification(SQLModel, table=True):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_recipient", "recipient", "delivered_at"),)
    id: int | None = Field(default=None, primary_key=True)
    recipient: str = Field(max_length=64)
    task_id: str | None = Field(
        default=None, sa_column=Column(String(32), ForeignKey("tasks.id", ondelete="CASCADE"))
    )
    message_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("messages.id", ondelete="CASCADE"))
    )
    text: str
    created_at: datetime
    delivered_at: datetime | None = None
    read_at: datetime | None = None


class Run(SQLModel, table=True):
    __tablename__ = "runs"
    __table_args__ = (
        Index("ix_runs_task", "task_id", "id"),
        Index("ix_runs_open", "ended_at"),
        # Covers every column the insights figures read (store/insights_views.py): their
        # scans stay off the rows, whose output logs can be 64 KB each.
        Index(
            "ix_runs_figures",
            "task_id",
            "id",
            "started_at",
            "ended_at",
            "kind",
            "agent_name",
            "outcome",
            "cost_usd",
            "tokens_in",
            "tokens_out",
        ),
        # The insights' per-agent figures, summed per (agent, task) in this order.
        Index(
            "ix_runs_agents",
            "agent_name",
            "task_id",
            "started_at",
            "kind",
            "ended_at",
            "outcome",
            "cost_usd",
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    task_id: str = Field(
        sa_column=Column(String(32), ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False)
    )
    # No foreign key: runs are history and survive `agent remove`.
    agent_name: str = Field(max_length=64)
    kind: str = Field(default="work", max_length=16)  # work | review | reply
    started_at: datetime
    ended_at: datetime | None = None
    outcome: str | None = Field(default=None, max_length=16)
    error: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    output_log: str = ""
    last_progress_at: datetime | None = None


TABLES = SQLModel.metadata


class TaskBranchRow(SQLModel, table=True):
    """A task's git branch and worktree (maos_tui/task_branch.py), once a run has made one."""

    __tablename__ = "task_branches"
    task_id: str = Field(
        sa_column=Column(String(32), ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)
    )
    branch: str = Field(max_length=255)
    base_branch: str = Field(max_length=255)
    base_sha: str = Field(max_length=64)
    worktree_path: str | None = None
    change: str | None = Field(default=None, max_length=16)
    conflict_files: str | None = None  # one per line
    approved_by: str | None = Field(default=None, max_length=64)
    merge_commit: str | None = Field(default=None, max_length=64)


class ReviewCommentRow(SQLModel, table=True):
    """A reviewer's comment on a line of a task's change (maos_tui/review.py)."""

    __tablename__ = "review_comments"
    __table_args__ = (Index("ix_review_comments_task", "task_id", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    task_id: str = Field(
        sa_column=Column(String(32), ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False)
    )
    file: str = Field(sa_column=Column(Text, nullable=False))
    line: int
    side: str = Field(default="new", max_length=8)
    text: str = Field(sa_column=Column(Text, nullable=False))
    author: str = Field(max_length=64)
    created_at: datetime
    addressed_at: datetime | None = None


class WorkerRow(SQLModel, table=True):
    """A scheduler process working this database (store/workers.py). Live while
    `expires_at` (its last heartbeat plus three intervals) is ahead of the clock."""

    __tablename__ = "workers"
    name: str = Field(primary_key=True, max_length=64)
    host: str = Field(max_length=255)
    pid: int
    started_at: datetime
    heartbeat_at: datetime
    expires_at: datetime
    # JSON object: the agents this worker cannot run, each with what its machine lacks
    # (a command's program, provider keys). It leaves their tasks to the other workers.
    cannot_run: str = "{}"


class LeaseRow(SQLModel, table=True):
    """A task's lease (store/leases.py): which worker's run holds it, until when, and the
    attempt that run is. One row per task: a newer attempt replaces the older."""

    __tablename__ = "leases"
    __table_args__ = (Index("ix_leases_worker", "worker"),)
    task_id: str = Field(
        sa_column=Column(String(32), ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)
    )
    run_id: int
    agent_name: str = Field(max_length=64)
    worker: str = Field(max_length=64)
    attempt: int
    expires_at: datetime
