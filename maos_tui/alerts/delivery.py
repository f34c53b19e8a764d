"""Delivery: one worker per channel, so a slow or failing channel holds up no other, and
nothing here is awaited by the scheduler.

Each message is tried up to `attempts` times, each try within `timeout`, waiting
`first_wait` seconds after the first failure and twice as long after each next one (at
most `max_wait`). A channel's state is reported when it changes (failing, working
again), so `doctor` can say so; a message whose tries are used up is dropped, and the
channel stays reported failing until a later message goes through.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from maos_tui.alerts.channels import Channel, ChannelError, Skipped
from maos_tui.alerts.model import Message

log = logging.getLogger(__name__)

# Messages waiting for one channel; past this the oldest are dropped (the channel has
# been failing for long, and doctor says so).
QUEUE_LIMIT = 50
Report = Callable[[str, bool, str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 6
    first_wait: float = 2.0
    max_wait: float = 120.0
    timeout: float = 10.0

    def wait(self, failures: int) -> float:
        return float(min(self.first_wait * 2 ** (failures - 1), self.max_wait))


async def send_once(channel: Channel, message: Message, timeout: float) -> str | None:
    """Send through `channel` once: None when it worked, else why not (safe to show).
    Skipped raises through: that channel is not for this process."""
    try:
        async with asyncio.timeout(timeout):
            await channel.send(message)
    except ChannelError as exc:
        return str(exc)
    except TimeoutError:
        return f"no answer within {timeout:g}s"
    return None


class Delivery:
    def __init__(self, channels: list[Channel], report: Report, policy: RetryPolicy) -> None:
        self.channels = channels
        self.policy = policy
        self._report = report
        self._queues = {c.label: asyncio.Queue[Message]() for c in channels}
        self._workers: list[asyncio.Task[None]] = []
        self.failing: dict[str, str] = {}

    def start(self) -> None:
        self._workers = [
            asyncio.create_task(self._work(c), name=f"maos-alerts-{c.name}") for c in self.channels
        ]

    def send(self, message: Message) -> None:
        for channel in self.channels:
            queue = self._queues[channel.label]
            if queue.qsize() >= QUEUE_LIMIT:
                queue.get_nowait()
                log.warning("alerts: %s is behind; the oldest alert was dropped", channel.label)
            queue.put_nowait(message)

    async def drain(self, grace: float) -> None:
        """Give queued messages up to `grace` seconds, then stop the workers. A failing
        channel is not waited for: quitting must not wait out its retries."""
        working = [q for label, q in self._queues.items() if label not in self.failing]
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace):
                await asyncio.gather(*(q.join() for q in working))
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)

    async def _work(self, channel: Channel) -> None:
        queue = self._queues[channel.label]
        while True:
            message = await queue.get()
            try:
                await self._deliver(channel, message)
            except Exception:  # a bug here must not stop the channel for good
                log.exception("alerts: delivering through %s failed", channel.label)
            finally:
                queue.task_done()

    async def _deliver(self, channel: Channel, message: Message) -> None:
        for failures in range(1, self.policy.attempts + 1):
            try:
                error = await send_once(channel, message, self.policy.timeout)
            except Skipped:
                return
            if error is None:
                if channel.label in self.failing:
                    del self.failing[channel.label]
                    log.warning("alerts: %s works again", channel.label)
                    await self._safe_report(channel.label, False, "works again")
                return
            first = channel.label not in self.failing
            self.failing[channel.label] = error
            last = failures == self.policy.attempts
            note = "gave up on an alert" if last else f"retrying (try {failures})"
            # Said when it starts failing and when an alert is given up, not on every try.
            level = logging.WARNING if first or last else logging.DEBUG
            log.log(level, "alerts: %s failed: %s; %s", channel.label, error, note)
            if first or last:
                await self._safe_report(channel.label, True, f"{error}; {note}")
            if not last:
                await asyncio.sleep(self.policy.wait(failures))

    async def _safe_report(self, label: str, failing: bool, message: str) -> None:
        try:
            await self._report(label, failing, message)
        except Exception as exc:  # the store is busy or gone: the log has it
            log.warning("alerts: cannot record the state of %s: %s", label, exc)
