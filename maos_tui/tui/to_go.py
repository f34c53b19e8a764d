"""The board's cost to finish, for the header (`~$11 to go`) and the task detail.

Read in a worker after the board reloads, never in the reload itself: summing a long run
history takes a few hundred milliseconds. It is read again only when the history's stamp
(a run started or ended, a task was done) or the board's counts changed, and the history
itself only when its stamp did.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from maos_tui.forecast import Estimate, Forecast, Forecaster, Rollup, subtree, total

if TYPE_CHECKING:
    from maos_tui.forecast import History
    from maos_tui.store import Store


class BoardForecast:
    def __init__(self) -> None:
        self.result: Forecast | None = None
        self.parents: dict[str, str | None] = {}
        self.has_history = False
        self._key: object = None
        self._stamp: object = None
        self._history: History | None = None

    async def refresh(self, store: Store, counts: dict[str, int]) -> bool:
        """Read again if anything it depends on changed; True when it did."""
        from maos_tui.store.history_views import history_stamp, read_inputs

        async with store.read() as conn:
            stamp = await history_stamp(conn)
            key = (stamp, sorted(counts.items()))
            if key == self._key:
                return False
            history = self._history if stamp == self._stamp else None
            inputs = await read_inputs(conn, history)
        forecaster = Forecaster(inputs.history)
        self.result = forecaster.forecast(inputs.tasks)
        self.has_history = forecaster.workspace.run_cost is not None
        self.parents = inputs.parents
        self._key, self._stamp, self._history = key, stamp, inputs.history
        return True

    @property
    def to_go(self) -> float | None:
        """The board's likely cost to finish; None before the first read, or while no run
        has finished (a figure then would be made up)."""
        if self.result is None or not self.has_history:
            return None
        return self.result.board.likely_usd

    def of(self, task_id: str) -> tuple[Estimate | None, Rollup | None]:
        """The task's own estimate (None if it is closed) and its subtree's, once read."""
        if self.result is None:
            return None, None
        estimates = self.result.tasks
        return estimates.get(task_id), total(task_id, estimates, subtree(task_id, self.parents))


def approx(amount: float) -> str:
    """`~$11` from ten dollars up, `~$4.20` below: a forecast is no closer than that."""
    return f"~${amount:.0f}" if amount >= 10 else f"~${amount:.2f}"
