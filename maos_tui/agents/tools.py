"""The tools an LLM agent may call. Every call is validated; a bad one is answered with an
error the model can read and correct, and never raises into the scheduler or half-writes
the store (each call is one transaction)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from maos_tui.agents.base import Job, Outcome, RunResult
from maos_tui.agents.worktree_tools import WorktreeTools
from maos_tui.collab import DocumentType, MessageType
from maos_tui.domain import DomainError, TaskStatus, parse_status, parse_task_id

if TYPE_CHECKING:
    from maos_tui.agents.mcp_tools import McpTools


def _tool(name: str, description: str, properties: dict[str, Any], required: list[str]) -> dict:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": properties, "required": required},
        },
    }


_STR = {"type": "string"}
_STRS = {"type": "array", "items": {"type": "string"}}
SPECS = {
    "create_task": _tool(
        "create_task",
        "Create a subtask of the current task.",
        {
            "title": _STR,
            "description": _STR,
            "needs": {**_STRS, "description": "capabilities the subtask requires"},
            "after": {**_STRS, "description": "IDs of tasks that must be done first"},
            "assign": {**_STRS, "description": "agent names to assign"},
            "priority": {"type": "integer", "minimum": 0, "maximum": 3},
        },
        ["title"],
    ),
    "assign_task": _tool(
        "assign_task",
        "Assign a task to an agent.",
        {"task_id": _STR, "agent": _STR},
        ["task_id", "agent"],
    ),
    "post_message": _tool(
        "post_message",
        "Post a message in the current task's thread; @name notifies that agent, @human the "
        "person. A question to the human ends your run until they answer in the thread.",
        {
            "text": _STR,
            "type": {"type": "string", "enum": [t.value for t in MessageType]},
            "reply_to": {"type": "integer", "description": "ID of the message answered"},
        },
        ["text"],
    ),
    "write_document": _tool(
        "write_document",
        "Write a markdown document attached to the current task; the same title again "
        "adds a new version.",
        {
            "title": _STR,
            "content": _STR,
            "doc_type": {"type": "string", "enum": [t.value for t in DocumentType]},
        },
        ["title", "content"],
    ),
    "update_status": _tool(
        "update_status",
        "Move another task along the status graph (use complete_task/fail_task for yours).",
        {"task_id": _STR, "status": _STR},
        ["task_id", "status"],
    ),
    "complete_task": _tool(
        "complete_task",
        "Finish the current task (or approve it, when reviewing) with a short summary.",
        {"summary": _STR},
        ["summary"],
    ),
    "fail_task": _tool(
        "fail_task", "Give up on the current task, saying why.", {"reason": _STR}, ["reason"]
    ),
    "request_changes": _tool(
        "request_changes",
        "Reviewers only: send the task back to its author with what must change.",
        {"reason": _STR},
        ["reason"],
    ),
}
_WORK_TOOLS = [n for n in SPECS if n != "request_changes"]
_REVIEW_TOOLS = ["post_message", "write_document", "complete_task", "request_changes", "fail_task"]
# A reply run answers a mention on someone else's task: talk and write, never change it.
_REPLY_TOOLS = ["post_message", "write_document", "complete_task"]


MAX_DESCRIPTION_CHARS = 64 * 1024


class ToolError(Exception):
    """A bad call: the message goes back to the model."""


class Toolbox:
    def __init__(
        self, job: Job, max_tool_calls: int, max_subtasks: int, mcp: McpTools | None = None
    ) -> None:
        self.job = job
        self.mcp = mcp  # the agent's MCP servers' tools, offered beside ours
        self.max_tool_calls = max_tool_calls
        self.max_subtasks = max_subtasks
        self.calls = 0
        self.subtasks = 0
        self._handlers: dict[str, Callable[[dict[str, Any]], Awaitable[str | RunResult]]] = {
            "create_task": self._create_task,
            "assign_task": self._assign_task,
            "post_message": self._post_message,
            "write_document": self._write_document,
            "update_status": self._update_status,
            "complete_task": self._complete,
            "fail_task": self._fail,
            "request_changes": self._request_changes,
        }
        self.files = WorktreeTools.for_job(job)

    @property
    def names(self) -> list[str]:
        own = {"review": _REVIEW_TOOLS, "reply": _REPLY_TOOLS}.get(self.job.kind, _WORK_TOOLS)
        return own + (self.files.names if self.files else [])

    def specs(self) -> list[dict[str, Any]]:
        return (
            [SPECS[n] for n in self.names if n in SPECS]
            + (self.files.specs() if self.files else [])
            + (self.mcp.specs() if self.mcp else [])
        )

    @property
    def exhausted(self) -> bool:
        """The run has made more tool calls than it may: the last one was refused."""
        return self.calls > self.max_tool_calls

    def label(self, name: str) -> str:
        """The name logs show: an MCP tool's as `server.tool`."""
        return self.mcp.label(name) if self.mcp else name

    async def call(self, name: str, raw_arguments: str | None) -> tuple[str, RunResult | None]:
        """Run one tool call: (reply for the model, the run's result if this call ends it)."""
        self.calls += 1
        try:
            if self.calls > self.max_tool_calls:
                raise ToolError(f"tool call limit reached ({self.max_tool_calls} per run)")
            if self.mcp is not None and self.mcp.offers(name):
                return await self.mcp.call(name, _parse_arguments(raw_arguments)), None
            if name not in self.names:
                raise ToolError(f"unknown tool {name!r}; available: {', '.join(self.names)}")
            args = _parse_arguments(raw_arguments)
            if name not in self._handlers and self.files is not None:
                return await self.files.call(name, args), None
            outcome = await self._handlers[name](args)
        except ToolError as exc:
            return f"error: {exc}", None
        except DomainError as exc:
            return f"error: {exc}", None
        if isinstance(outcome, RunResult):
            return "ok", outcome
        return outcome, None

    # ------------------------------------------------------------------ tools

    async def _create_task(self, args: dict[str, Any]) -> str:
        if self.subtasks >= self.max_subtasks:
            raise ToolError(f"subtask limit reached ({self.max_subtasks} per run)")
        store = self.job.store
        async with store.write() as tx:
            task_id = await store.tasks.create_in(
                tx,
                _text(args, "title"),
                description=_description(args),
                needs=_strings(args, "needs"),
                after=_strings(args, "after"),
                assignees=_strings(args, "assign"),
                priority=_int(args, "priority", 2),
                parent=self.job.task.id,
                created_by=self.job.agent.name,
                max_retries=self.job.settings.max_retries,
            )
        self.subtasks += 1
        return f"created {task_id}"

    async def _assign_task(self, args: dict[str, Any]) -> str:
        task_id = parse_task_id(_text(args, "task_id"))
        store = self.job.store
        async with store.write() as tx:
            await store.tasks.set_assignees_in(
                tx, task_id, add=[_text(args, "agent")], actor=self.job.agent.name
            )
        return f"assigned {task_id}"

    async def _post_message(self, args: dict[str, Any]) -> str | RunResult:
        reply_to = args.get("reply_to")
        if reply_to is not None and (isinstance(reply_to, bool) or not isinstance(reply_to, int)):
            raise ToolError("field 'reply_to' must be a message ID (an integer)")
        message = await self.job.store.messages.post(
            self.job.task.id,
            self.job.agent.name,
            _text(args, "text"),
            _text(args, "type", required=False) or "comment",
            reply_to,
        )
        asks_human = message.type is MessageType.QUESTION and (
            message.mentions.human or not message.mentions.agents
        )
        if asks_human and self.job.kind == "work":
            # The run ends here; the scheduler parks the task until a person answers.
            return RunResult(Outcome.WAITING, f"asked the human (message #{message.id})")
        return " ".join([f"posted #{message.id}", *message.mentions.warnings])

    async def _write_document(self, args: dict[str, Any]) -> str:
        doc = await self.job.store.documents.write(
            self.job.task.id,
            _text(args, "title"),
            _text(args, "content"),
            self.job.agent.name,
            _text(args, "doc_type", required=False) or "deliverable",
        )
        return f"wrote {doc.ref} version {doc.version}"

    async def _update_status(self, args: dict[str, Any]) -> str:
        task_id = parse_task_id(_text(args, "task_id"))
        status = parse_status(_text(args, "status"))
        if task_id == self.job.task.id:
            raise ToolError("use complete_task or fail_task for the task you are working on")
        store = self.job.store
        async with store.write() as tx:
            await store.tasks.move_in(tx, task_id, status, actor=self.job.agent.name)
        return f"{task_id} is now {status.value}"

    async def _complete(self, args: dict[str, Any]) -> RunResult:
        return RunResult.done(_text(args, "summary"))

    async def _fail(self, args: dict[str, Any]) -> RunResult:
        return RunResult.failed(_text(args, "reason"))

    async def _request_changes(self, args: dict[str, Any]) -> RunResult:
        if self.job.task.status is not TaskStatus.REVIEW:
            raise ToolError("request_changes is only for tasks in review")
        return RunResult(Outcome.CHANGES, _text(args, "reason"))


def _parse_arguments(raw: str | None) -> dict[str, Any]:
    if raw is None or not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ToolError(f"arguments are not valid JSON ({exc.msg} at {exc.pos})") from None
    if not isinstance(value, dict):
        raise ToolError("arguments must be a JSON object")
    return value


def _description(args: dict[str, Any]) -> str:
    """A subtask's description, refused when it is over the cap: a model can flood the
    store (and every prompt that quotes the task) with one call otherwise."""
    text = _text(args, "description", required=False)
    if len(text) > MAX_DESCRIPTION_CHARS:
        raise ToolError(
            f"field 'description' is {len(text)} characters (at most {MAX_DESCRIPTION_CHARS})"
        )
    return text


def _text(args: dict[str, Any], key: str, *, required: bool = True) -> str:
    value = args.get(key)
    if value is None:
        if required:
            raise ToolError(f"missing field {key!r}")
        return ""
    if not isinstance(value, str):
        raise ToolError(f"field {key!r} must be a string")
    if required and not value.strip():
        raise ToolError(f"field {key!r} is empty")
    return value


def _strings(args: dict[str, Any], key: str) -> list[str]:
    value = args.get(key) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ToolError(f"field {key!r} must be a list of strings")
    return value


def _int(args: dict[str, Any], key: str, default: int) -> int:
    value = args.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ToolError(f"field {key!r} must be an integer")
    return value
