"""Group commit for the scheduler: work asked for while a batch is being handled waits
for the next batch, so N runs ending together cost one transaction instead of N."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Batcher(Generic[T, R]):
    """`await submit(item)` returns `handle([... item ...])`'s result for that item.

    The first call starts a drain task; the items submitted before it runs (those of the
    callers that are ready in the same turn of the loop) make its first batch, and any
    submitted while a batch is handled make the next one. `handle` returns one result or
    exception per item, in order: one item's failure must not fail the others.

    A caller cancelled while it waits stops waiting; its item is still handled (a run's
    end is recorded even when its task is cancelled at that moment).
    """

    def __init__(
        self, handle: Callable[[list[T]], Awaitable[Sequence[R | BaseException]]], name: str
    ) -> None:
        self._handle = handle
        self._name = name
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._drainer: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._drainer is None:
            self._drainer = asyncio.create_task(self._drain(), name=self._name)
        return await asyncio.shield(future)

    async def idle(self) -> None:
        """Wait until everything submitted so far has been handled."""
        while self._drainer is not None:
            await asyncio.wait([self._drainer])

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                try:
                    results = await self._handle([item for item, _ in batch])
                except Exception as exc:  # the handler's own bug
                    results = [exc] * len(batch)
                except BaseException:  # cancelled: so are the callers still waiting
                    for _, future in batch:
                        future.cancel()
                    raise
                _settle(batch, results)
        finally:
            self._drainer = None
            left, self._pending = self._pending, []
            for _, future in left:
                future.cancel()


def _settle(batch: list[tuple[T, asyncio.Future[R]]], results: Sequence[R | BaseException]) -> None:
    for (_, future), result in zip(batch, results, strict=True):
        if future.done():
            continue
        if isinstance(result, BaseException):
            future.set_exception(result)
            # Retrieved here too: a caller that stopped waiting must not leave it unread.
            future.exception()
        else:
            future.set_result(result)
