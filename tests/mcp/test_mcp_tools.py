"""Every tool through a real `maos-tui mcp` subprocess: happy path, bad input (the CLI's
one-line message as a tool error, nothing written), the caller recorded as author."""

from __future__ import annotations

from maos_tui.store import Store
from tests.conftest import Cli
from tests.mcp.mcp_support import ok, refused, rows, stdio_client, tools_list_json
from tests.tui.diff_repo import task_in_review

TOOLS_LIST_MAX_BYTES = 12 * 1024


def _activity_count(cli: Cli) -> int:
    return rows(cli.workspace, "SELECT count(*) FROM activities")[0][0]


async def test_tools_have_schemas_and_tools_list_stays_small(cli: Cli) -> None:
    cli.ok("init")
    async with stdio_client(cli) as client:
        listed = await client.list_tools()
    names = {tool.name for tool in listed.tools}
    assert names == {
        "list_tasks",
        "get_task",
        "create_task",
        "update_task",
        "claim_task",
        "finish_task",
        "post_message",
        "write_document",
        "search",
    }
    for tool in listed.tools:
        assert tool.input_schema["type"] == "object", tool.name
        assert tool.output_schema is not None and tool.output_schema["type"] == "object", tool.name
    size = len(tools_list_json(listed).encode("utf-8"))
    assert size < TOOLS_LIST_MAX_BYTES, f"tools/list is {size} bytes"


async def test_task_tools_happy_paths_and_authorship(cli: Cli) -> None:
    cli.ok("init")
    cli.ok("agent", "add", "claude", "--command", "true", "--capability", "code")
    first = cli.ok("task", "add", "Write the parser").strip()
    async with stdio_client(cli, "--as", "claude") as client:
        made = await ok(
            client,
            "create_task",
            title="Test the parser",
            description="ask @claude",
            priority=1,
            after=[first],
            needs=["code"],
            parent=first,
        )
        assert made["created_by"] == "claude" and made["after"] == [first]
        assert made["blocked"] is True and made["parent"] == first
        listed = await ok(client, "list_tasks")
        assert [t["id"] for t in listed["tasks"]] == [made["id"], first]
        assert set(listed["tasks"][0]) == {
            "id",
            "title",
            "status",
            "priority",
            "assignees",
            "blocked",
        }
        assert (await ok(client, "list_tasks", query="test"))["tasks"][0]["id"] == made["id"]
        assert (await ok(client, "list_tasks", status="done"))["tasks"] == []
        assert (await ok(client, "list_tasks", limit=1))["more"] is True
        updated = await ok(
            client, "update_task", id=first, title="Write the lexer", assignees=["claude"]
        )
        assert updated["title"] == "Write the lexer" and updated["assignees"] == ["claude"]
        assert updated["status"] == "assigned"
        await ok(client, "post_message", id=first, text="started on it")
        await ok(client, "write_document", id=first, title="Plan", content="1. lex")
        shown = await ok(client, "get_task", id=first)
        assert [s["id"] for s in shown["subtasks"]] == [made["id"]]
        assert [m["text"] for m in shown["messages"]] == ["started on it"]
        assert shown["documents"] == [{"ref": "DOC-1", "title": "Plan", "version": 1}]
        assert "last_error" in shown and "result" in shown
        hits = await ok(client, "search", text="lexer")
        assert hits["hits"][0]["ref"] == first
    # Nothing else is open: the MCP server rewrites WORKING.md after its writes, as the CLI.
    assert "Test the parser" in (cli.workspace / "WORKING.md").read_text()
    authors = rows(cli.workspace, "SELECT DISTINCT actor FROM activities WHERE task_id IS NOT NULL")
    assert ("claude",) in authors
    assert rows(cli.workspace, "SELECT author FROM messages") == [("claude",)]
    assert rows(cli.workspace, "SELECT author FROM document_versions") == [("claude",)]


async def test_bad_input_is_a_one_line_tool_error_and_writes_nothing(cli: Cli) -> None:
    cli.ok("init")
    first = cli.ok("task", "add", "One").strip()
    second = cli.ok("task", "add", "Two", "--after", first).strip()
    before = _activity_count(cli)
    async with stdio_client(cli) as client:
        assert "unknown task TASK-099" in await refused(client, "get_task", id="TASK-99")
        assert "unknown status 'bogus'" in await refused(
            client, "update_task", id=first, status="bogus"
        )
        assert "TASK-077" in await refused(client, "create_task", title="x", after=["TASK-77"])
        assert "title is empty" in await refused(client, "create_task", title="  ")
        assert "priority" in await refused(client, "create_task", title="x", priority=9)
        # All or nothing: the valid title change is not written either.
        assert "unknown agent nobody" in await refused(
            client, "update_task", id=first, title="changed", assignees=["nobody"]
        )
        assert "unknown agent ghost" in await refused(client, "list_tasks", assignee="ghost")
        assert "limit" in await refused(client, "list_tasks", limit=0)
        assert "message type" in await refused(
            client, "post_message", id=first, text="x", type="yell"
        )
        assert "unknown task" in await refused(
            client, "write_document", id="TASK-50", title="t", content="c"
        )
        assert "only a task in progress" in await refused(
            client, "finish_task", id=second, summary="done"
        )
        assert "limit" in await refused(client, "search", text="x", limit=-1)
        # The SDK's own type checks are one line too, without the value sent.
        typed = await refused(client, "list_tasks", limit="lots")
        assert "limit" in typed and "valid integer" in typed and "lots" not in typed
    assert _activity_count(cli) == before
    assert rows(cli.workspace, "SELECT title FROM tasks ORDER BY seq") == [("One",), ("Two",)]


async def test_claim_then_finish_and_fail(cli: Cli) -> None:
    cli.ok("init")
    cli.ok("agent", "add", "claude", "--command", "true", "--capability", "code")
    cli.ok("agent", "add", "rev", "--command", "true", "--capability", "review")
    cli.ok("agent", "pause", "rev")
    cli.ok("agent", "pause", "claude")
    needs_rust = cli.ok("task", "add", "Port to rust", "--needs", "rust", "--priority", "0").strip()
    blocked_on = cli.ok("task", "add", "Blocker").strip()
    cli.ok("task", "add", "Blocked", "--after", blocked_on)
    other = cli.ok("task", "add", "Second").strip()
    async with stdio_client(cli, "--as", "claude") as client:
        claimed = (await ok(client, "claim_task"))["task"]
        # Priority first, but the rust task needs a capability claude lacks.
        assert claimed["id"] == blocked_on and claimed["status"] == "in_progress"
        assert claimed["assignees"] == ["claude"]
        done = await ok(client, "finish_task", id=blocked_on, summary="cleared")
        assert done["status"] == "review" and done["result"] == "cleared"  # rev may review
        rust = (await ok(client, "claim_task", capabilities=["rust"]))["task"]
        assert rust["id"] == needs_rust
        failed = await ok(client, "finish_task", id=needs_rust, failed_reason="no toolchain")
        assert failed["status"] == "failed" and failed["last_error"] == "no toolchain"
        assert (await ok(client, "claim_task"))["task"]["id"] == other
        await ok(client, "finish_task", id=other, summary="ok")
        assert (await ok(client, "claim_task"))["task"] is None
    claims = rows(
        cli.workspace,
        "SELECT task_id, agent_name, outcome FROM runs WHERE kind = 'claim' ORDER BY id",
    )
    assert claims == [
        (blocked_on, "claude", "done"),
        (needs_rust, "claude", "failed"),
        (other, "claude", "done"),
    ]


async def test_resources(cli: Cli) -> None:
    cli.ok("init")
    first = cli.ok("task", "add", "Read me", "--description", "the body").strip()
    async with stdio_client(cli) as client:
        task = await client.read_resource(f"maos://task/{first}")
        text = task.contents[0].text
        assert text.startswith(f"# {first}: Read me") and "the body" in text
        working = await client.read_resource("maos://working")
        assert working.contents[0].text == (cli.workspace / "WORKING.md").read_text()


async def test_get_task_gives_a_worktree_tasks_diff_stat(cli: Cli, store: Store) -> None:
    tid = await task_in_review(store, cli.workspace)
    other = (await store.tasks.create("No branch here")).id
    async with stdio_client(cli) as client:
        shown = await ok(client, "get_task", id=tid)
        plain = await ok(client, "get_task", id=other)
    stat = shown["diff_stat"]
    assert stat["branch"].startswith(f"maos/{tid}-") and stat["base"] == "main"
    counts = {f["path"]: (f["added"], f["removed"]) for f in stat["files"]}
    assert counts["docs/notes.md"] == (3, 0)  # a new file counts too
    assert counts["OLD.txt"] == (0, 1)
    assert set(counts) == {"docs/notes.md", "OLD.txt", "src/app.py"}
    assert plain["diff_stat"] is None
