"""Live updates from another process, a 10,000-task store, and what the first paint imports."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from fakes.support import PATIENCE, until
from sqlalchemy import insert, update

from maos_tui.domain import TaskStatus, format_task_id
from maos_tui.store import Store
from maos_tui.store.models import Counter, Task
from maos_tui.tui.app import MaosApp
from maos_tui.tui.board_data import PAGE
from maos_tui.tui.widgets.board import MORE_ID

from .conftest import FIXED_NOW, card_ids, column


async def test_task_added_by_another_process_appears_without_a_keypress(
    store: Store, make_app: Callable[..., MaosApp], cli
):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        proc = await asyncio.create_subprocess_exec(
            *cli.argv("task", "add", "From another terminal"), env=cli.env()
        )
        async with asyncio.timeout(PATIENCE):
            assert await proc.wait() == 0
        await until(lambda: card_ids(app, "inbox"), pause=pilot.pause, message="no card appeared")
        assert card_ids(app, "inbox") == ["TASK-001"]
        feed_text = "\n".join(str(line.text) for line in app.main_screen.feed.lines)
        assert "created TASK-001" in feed_text


async def bulk_tasks(store: Store, count: int, done: int) -> None:
    rows = [
        {
            "id": format_task_id(n),
            "seq": n,
            "title": f"Generated task {n}",
            "status": (TaskStatus.DONE if n <= done else TaskStatus.INBOX).value,
            "priority": n % 4,
            "created_at": FIXED_NOW,
            "updated_at": FIXED_NOW + timedelta(seconds=n),
        }
        for n in range(1, count + 1)
    ]
    async with store.write() as tx:
        await tx.conn.execute(insert(Task), rows)
        await tx.conn.execute(update(Counter).where(Counter.name == "task").values(value=count))


async def test_ten_thousand_tasks_open_and_navigate(store: Store, make_app: Callable[..., MaosApp]):
    await bulk_tasks(store, 10_000, done=8_000)
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        inbox = column(app, "inbox")
        done = column(app, "done")
        # The first paint reads what the screen shows; the full pages follow at once.
        await until(lambda: app.main_screen.filled, pause=pilot.pause)
        # Windows, not whole columns: PAGE cards and a "N more" line.
        assert inbox.option_count == PAGE + 1 and done.option_count == PAGE + 1
        assert inbox.options[-1].id == MORE_ID
        assert "INBOX 2000" in str(
            app.main_screen.query_one("#column-inbox .column-title").render()
        )
        first = inbox.task_id
        await pilot.press("j", "j", "G")
        assert inbox.highlighted == PAGE  # the "more" line
        await pilot.press("enter")
        await pilot.pause()
        assert inbox.option_count == 2 * PAGE + 1
        await pilot.press("g", "right_square_bracket")
        await app.main_screen.settle_writes()
        assert (await store.tasks.get(first)).status is TaskStatus.ASSIGNED
        await pilot.press("l", "l", "l", "l")
        assert app.focused is done
        assert done.task_id == "TASK-8000"  # newest first


def test_first_paint_does_not_import_litellm(workspace: Path, isolated_env: Path):
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        from maos_tui.config import Workspace, load_config
        from maos_tui.store import Store
        from maos_tui.tui.app import MaosApp

        async def main():
            ws = Workspace(__import__("pathlib").Path({str(workspace)!r}))
            ws.ensure_dirs()
            store = await Store.open(ws.default_db_url())
            await store.tasks.create("a task")
            app = MaosApp(ws, load_config(ws), store=store, start_services=False)
            async with app.run_test() as pilot:
                await pilot.pause()
                assert app.first_paint_at is not None
            print(sorted(m for m in sys.modules if m.split(".")[0] == "litellm"))

        asyncio.run(main())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


async def test_filter_finds_tasks_beyond_the_loaded_page(
    store: Store, make_app: Callable[..., MaosApp]
) -> None:
    for n in range(PAGE + 30):
        await store.tasks.create("needle in the haystack" if n == 0 else f"hay {n}")
    async with store.write() as tx:
        await tx.conn.execute(update(Task).values(status=TaskStatus.DONE.value))
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        # DONE reads newest first: the oldest task is not among the loaded cards.
        assert "TASK-001" not in card_ids(app, "done")
        await pilot.press("slash", *"needle", "enter")
        await until(lambda: card_ids(app, "done") == ["TASK-001"], pause=pilot.pause)
        title = app.main_screen.query_one("#column-done .column-title")
        assert str(title.render()) == "DONE 1/130"
        await pilot.press("escape")
        await until(lambda: card_ids(app, "done")[PAGE:] == [MORE_ID], pause=pilot.pause)
