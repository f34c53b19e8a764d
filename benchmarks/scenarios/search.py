"""search: `store.search.search` over 10k tasks and 50k messages (the issue's bar: < 100 ms)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from benchmarks.data import Bench, Shape, bench_workspace, populate
from benchmarks.harness import Measured, Options, Target, p95, scenario, summary

BOARD = Shape(tasks=10_000, done=6_000)
MESSAGES = 50_000
# A word in every message, a word in a hundred, a two-word prefix query and a miss.
QUERIES = ("progress", "parser", "benchm task", "nothingmatchesthis")
_WORDS = ("parser", "lexer", "cache", "schema", "deploy", "review", "budget", "docs")


def _message_rows(count: int, tasks: int, now: Any) -> list[dict[str, Any]]:
    from maos_tui.domain import format_task_id

    return [
        {
            "task_id": format_task_id(1 + i % tasks),
            "author": "human",
            # "parser" lands in one message of every hundred; "progress" in all of them.
            "text": f"progress note {i} about the {_WORDS[i % 8] if i % 100 == 0 else 'work'}",
            "type": "comment",
            "created_at": now,
        }
        for i in range(count)
    ]


async def _measure(bench: Bench, rounds: int) -> list[float]:
    from sqlalchemy import insert

    from maos_tui.store.models import Message
    from maos_tui.store.search import rebuild

    store = await bench.open_store()
    try:
        await populate(store, BOARD)
        async with store.write() as tx:
            await tx.conn.execute(insert(Message), _message_rows(MESSAGES, BOARD.tasks, tx.now))
            await tx.conn.run_sync(rebuild)
        samples = []
        for _ in range(rounds):
            for query in QUERIES:
                start = time.perf_counter()
                await store.search.search(query, limit=20)
                samples.append(time.perf_counter() - start)
    finally:
        await store.close()
    return samples


@scenario("search", "search over 10k tasks + 50k messages, p95", Target(100, "ms"))
def search(options: Options) -> Measured:
    with bench_workspace() as bench:
        samples = asyncio.run(_measure(bench, options.runs(10, 2)))
    return Measured(
        p95(samples) * 1000,
        f"{summary(samples, 'ms', 1000)}; queries {', '.join(QUERIES)}; top 20",
    )
