"""Building the alerts on a test store: the real watcher, delivery and channels, with a
policy and clock the test chooses."""

from __future__ import annotations

from collections.abc import Callable

from maos_tui.alerts.channels import Channel
from maos_tui.alerts.delivery import Delivery, RetryPolicy
from maos_tui.alerts.digest import RatePolicy
from maos_tui.alerts.watcher import AlertWatcher
from maos_tui.store import Store

# No gathering, no gap: each alert goes out on the pass that finds it.
AT_ONCE = RatePolicy(per_task=300, gather=0, gap=0)
QUICK_RETRY = RetryPolicy(attempts=50, first_wait=0.1, max_wait=0.3, timeout=5)


class Ticks:
    """A clock the test moves (seconds, like time.monotonic)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def watcher(
    store: Store,
    channels: list[Channel],
    *,
    policy: RatePolicy = AT_ONCE,
    clock: Callable[[], float] | None = None,
    retry: RetryPolicy = QUICK_RETRY,
    budget_reason: Callable[[], str | None] = lambda: None,
) -> AlertWatcher:
    delivery = Delivery(channels, store.alerts.record_channel, retry)
    options = {"clock": clock} if clock is not None else {}
    return AlertWatcher(
        store, delivery, policy=policy, budget_reason=budget_reason, workspace="ws", **options
    )
