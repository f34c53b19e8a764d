"""The tools and resources, as the SDK declares them: typed arguments give each tool its
input schema, `-> dict[str, object]` its output schema and structured content. Their
descriptions are kept short: the whole `tools/list` answer must stay small (a test
measures it), since every client puts it in its model's context."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from pydantic import Field

# (context, operation, arguments) -> the operation's result; ToolError for bad input
# (ResourceError when there is no tool context: a resource read).
Run = Callable[[Context | None, str, dict[str, Any]], Awaitable[dict[str, Any]]]

TaskId = Annotated[str, Field(description="task ID, e.g. TASK-7")]
_STATUSES = "inbox|assigned|in_progress|review|done|failed|cancelled"


def register(server: MCPServer, run: Run) -> None:
    @server.tool(description="List tasks (priority, then age) as compact rows.")
    async def list_tasks(
        ctx: Context,
        status: Annotated[str | None, Field(description=_STATUSES)] = None,
        assignee: str | None = None,
        query: Annotated[str | None, Field(description="words in the ID or title")] = None,
        limit: int = 50,
    ) -> dict[str, object]:
        args = {"status": status, "assignee": assignee, "query": query, "limit": limit}
        return await run(ctx, "list_tasks", args)

    @server.tool(
        description="One task: fields, last error and result, deps, subtasks, "
        "last 20 messages, document titles."
    )
    async def get_task(ctx: Context, id: TaskId) -> dict[str, object]:
        return await run(ctx, "get_task", {"id": id})

    @server.tool(description="Create a task (same rules as `maos-tui task add`).")
    async def create_task(
        ctx: Context,
        title: str,
        description: str | None = None,
        priority: Annotated[int | None, Field(description="0 (highest) to 3")] = None,
        after: Annotated[list[str] | None, Field(description="task IDs it waits for")] = None,
        needs: Annotated[list[str] | None, Field(description="capabilities")] = None,
        assign: Annotated[list[str] | None, Field(description="agent names")] = None,
        parent: str | None = None,
    ) -> dict[str, object]:
        args = {
            "title": title,
            "description": description,
            "priority": priority,
            "after": after,
            "needs": needs,
            "assign": assign,
            "parent": parent,
        }
        return await run(ctx, "create_task", args)

    @server.tool(description="Change a task: status, fields, assignees (replaced). All or nothing.")
    async def update_task(
        ctx: Context,
        id: TaskId,
        status: Annotated[str | None, Field(description=_STATUSES)] = None,
        title: str | None = None,
        description: str | None = None,
        priority: int | None = None,
        assignees: list[str] | None = None,
    ) -> dict[str, object]:
        args = {
            "id": id,
            "status": status,
            "title": title,
            "description": description,
            "priority": priority,
            "assignees": assignees,
        }
        return await run(ctx, "update_task", args)

    @server.tool(
        description="Atomically take the next runnable task you may do; it goes to "
        "in_progress for you. task is null when there is none. Finish it with finish_task."
    )
    async def claim_task(
        ctx: Context,
        capabilities: Annotated[
            list[str] | None, Field(description="capabilities you offer")
        ] = None,
    ) -> dict[str, object]:
        return await run(ctx, "claim_task", {"capabilities": capabilities})

    @server.tool(
        description="Finish a task in progress: done (or review) with a summary, "
        "or failed with failed_reason."
    )
    async def finish_task(
        ctx: Context, id: TaskId, summary: str | None = None, failed_reason: str | None = None
    ) -> dict[str, object]:
        args = {"id": id, "summary": summary, "failed_reason": failed_reason}
        return await run(ctx, "finish_task", args)

    @server.tool(description="Post to a task's thread; @name notifies an agent or the user.")
    async def post_message(
        ctx: Context,
        id: TaskId,
        text: str,
        type: Annotated[
            str, Field(description="comment|status_update|question|answer")
        ] = "comment",
    ) -> dict[str, object]:
        return await run(ctx, "post_message", {"id": id, "text": text, "type": type})

    @server.tool(description="Attach a document to a task; the same title adds a version.")
    async def write_document(
        ctx: Context, id: TaskId, title: str, content: str
    ) -> dict[str, object]:
        args = {"id": id, "title": title, "content": content}
        return await run(ctx, "write_document", args)

    @server.tool(description="Search tasks, messages and documents; every word must match.")
    async def search(ctx: Context, text: str, limit: int = 20) -> dict[str, object]:
        return await run(ctx, "search", {"text": text, "limit": limit})

    @server.resource("maos://working", mime_type="text/markdown", description="WORKING.md")
    async def working() -> str:
        return str((await run(None, "working", {}))["text"])

    @server.resource("maos://task/{id}", mime_type="text/markdown", description="A task")
    async def task(id: str) -> str:
        return str((await run(None, "task_markdown", {"id": id}))["text"])
