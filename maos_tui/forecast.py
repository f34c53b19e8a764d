"""Cost to finish: what the open tasks will likely cost, from what finished runs cost.

Pure: it takes plain history records (store/history_views.py reads them) and does no I/O.

A task's cost is split the way the runs happen: its work runs (one per attempt, so the
retries count) at the cost of one work run, plus its review runs at the cost of one review
run. Each factor comes from the history of the agent that works the task, on its model:

- cost (and tokens) per work run: the mean over its finished work runs; the high figure
  is the 90th percentile of the runs' costs (each task's runs averaged).
- work runs per task and review runs per task: over the finished (done) tasks it worked,
  the mean and the 90th percentile.
- cost per review run: over every finished review run (the reviewer is not known ahead).

"Likely" multiplies means, because means add up: the board's likely total is the
expected total. "High" multiplies 90th percentiles, and a roll-up adds them: a ceiling
that most plans stay under. Runs already finished on a task are counted off its remaining
runs; an open task needs at least one more run of the kind its status waits for.

An agent with no finished work run on its model borrows the workspace's figures (and the
forecast says so); with no finished run anywhere the forecast is zero, and says why.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

WORK, REVIEW = "work", "review"
WORK_STATUSES = frozenset({"inbox", "assigned", "in_progress"})
OPEN_STATUSES = WORK_STATUSES | {"review"}
HIGH_PERCENTILE = 90
# How a task's waiting reason starts when the forecast gate holds it.
HELD = "held: forecast"

BASIS_AGENT, BASIS_WORKSPACE, BASIS_NONE = "agent", "workspace", "none"


@dataclass(frozen=True, slots=True)
class RunTally:
    """The finished runs of one kind that one agent made on one task."""

    task_id: str
    agent: str
    model: str | None  # the agent's model (None: a command agent, or a removed agent)
    kind: str  # work | review
    runs: int
    cost_usd: float
    tokens: int


@dataclass(frozen=True, slots=True)
class History:
    tallies: Sequence[RunTally]
    done: frozenset[str]  # tasks finished for good: their run counts are per-task samples
    spent_usd: float = 0.0  # what every run cost so far, open runs too


@dataclass(frozen=True, slots=True)
class OpenTask:
    id: str
    title: str
    status: str  # one of OPEN_STATUSES
    agent: str | None  # who works it (its assignee or its last worker), None if nobody yet
    model: str | None
    parent: str | None = None
    after: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Estimate:
    likely_usd: float
    high_usd: float
    likely_tokens: int
    basis: str  # BASIS_AGENT, BASIS_WORKSPACE or BASIS_NONE
    note: str  # the basis in words

    def to_json(self) -> dict[str, object]:
        return {
            "likely_usd": round(self.likely_usd, 6),
            "high_usd": round(self.high_usd, 6),
            "likely_tokens": self.likely_tokens,
            "basis": self.basis,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class Spread:
    """A per-unit figure: its mean and its high (90th percentile, never under the mean)."""

    mean: float
    high: float

    @classmethod
    def of(cls, samples: Sequence[float], mean: float | None = None) -> Spread | None:
        if not samples:
            return None
        middle = sum(samples) / len(samples) if mean is None else mean
        return cls(middle, max(middle, percentile(samples, HIGH_PERCENTILE)))


@dataclass(frozen=True, slots=True)
class Rates:
    """One agent's (or the workspace's) figures; None where there is no sample."""

    run_cost: Spread | None
    run_tokens: float
    runs_per_task: Spread | None
    reviews_per_task: Spread | None
    tasks: int  # finished tasks behind the per-task figures
    runs: int  # finished work runs behind the per-run figures


@dataclass(frozen=True, slots=True)
class Rollup:
    id: str  # the task at its root (a parent, or a chain's last task); "board" for all
    likely_usd: float
    high_usd: float
    tasks: tuple[str, ...]  # the open tasks it adds up


@dataclass
class Forecast:
    spent_usd: float
    tasks: dict[str, Estimate] = field(default_factory=dict)
    board: Rollup = field(default_factory=lambda: Rollup("board", 0.0, 0.0, ()))


def usd(amount: float) -> str:
    """Money as the board shows it: cents, or four decimals below a cent."""
    return f"${amount:.2f}" if amount >= 0.01 or amount == 0 else f"${amount:.4f}"


def percentile(samples: Sequence[float], pct: int) -> float:
    """Nearest rank: the smallest sample with at least pct% of the samples at or under it."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


class Forecaster:
    """The rates of every agent and of the workspace, worked out once from a history."""

    def __init__(self, history: History) -> None:
        self.history = history
        self._work: dict[tuple[str, str | None], list[RunTally]] = defaultdict(list)
        self._task_runs: dict[str, tuple[int, int]] = {}
        reviews: list[RunTally] = []
        for tally in history.tallies:
            work, review = self._task_runs.get(tally.task_id, (0, 0))
            if tally.kind == WORK:
                self._work[(tally.agent, tally.model)].append(tally)
                work += tally.runs
            elif tally.kind == REVIEW:
                reviews.append(tally)
                review += tally.runs
            self._task_runs[tally.task_id] = (work, review)
        self._review_cost = _per_run(reviews)
        self._review_tokens = _tokens_per_run(reviews)
        self.workspace = self._rates([t for ts in self._work.values() for t in ts])
        self._agents = {key: self._rates(tallies) for key, tallies in self._work.items()}

    def runs_of(self, task_id: str) -> tuple[int, int]:
        """The task's finished (work, review) runs."""
        return self._task_runs.get(task_id, (0, 0))

    def _rates(self, tallies: list[RunTally]) -> Rates:
        done = [t for t in tallies if t.task_id in self.history.done]
        return Rates(
            run_cost=_per_run(tallies),
            run_tokens=_tokens_per_run(tallies),
            runs_per_task=Spread.of([float(t.runs) for t in done]),
            reviews_per_task=Spread.of([float(self.runs_of(t.task_id)[1]) for t in done]),
            tasks=len(done),
            runs=sum(t.runs for t in tallies),
        )

    def estimate(self, task: OpenTask) -> Estimate:
        """What the rest of this task will likely cost."""
        rates, basis, note = self._basis(task)
        if rates is None or rates.run_cost is None:
            return Estimate(0.0, 0.0, 0, BASIS_NONE, note)
        ws = self.workspace
        runs_per_task = rates.runs_per_task or ws.runs_per_task
        reviews_per_task = rates.reviews_per_task or ws.reviews_per_task
        work_done, reviews_done = self.runs_of(task.id)
        in_review = task.status == REVIEW
        work = _remaining(runs_per_task, work_done, 0 if in_review else 1)
        review = _remaining(reviews_per_task, reviews_done, 1 if in_review else 0)
        review_cost = self._review_cost or Spread(0.0, 0.0)
        likely = work[0] * rates.run_cost.mean + review[0] * review_cost.mean
        high = work[1] * rates.run_cost.high + review[1] * review_cost.high
        tokens = work[0] * rates.run_tokens + review[0] * self._review_tokens
        return Estimate(likely, high, round(tokens), basis, note)

    def _basis(self, task: OpenTask) -> tuple[Rates | None, str, str]:
        if task.agent is not None:
            own = self._agents.get((task.agent, task.model))
            if own is not None:
                on = f" on {task.model}" if task.model else ""
                note = (
                    f"{task.agent}{on}: {_count(own.runs, 'run')}, {_count(own.tasks, 'task')} done"
                )
                return own, BASIS_AGENT, note
        if self.workspace.run_cost is None:
            return None, BASIS_NONE, "no history: no run has finished yet"
        who = "no history" if task.agent is not None else "no agent yet"
        return self.workspace, BASIS_WORKSPACE, f"{who}: workspace average"

    def forecast(self, tasks: Iterable[OpenTask]) -> Forecast:
        """Every open task's estimate and the board's total."""
        result = Forecast(self.history.spent_usd)
        for task in tasks:
            result.tasks[task.id] = self.estimate(task)
        result.board = total("board", result.tasks, list(result.tasks))
        return result


def total(root: str, estimates: Mapping[str, Estimate], ids: Iterable[str]) -> Rollup:
    """The estimates of these tasks added up (tasks without one, closed ones, add nothing)."""
    kept = tuple(i for i in ids if i in estimates)
    likely = sum(estimates[i].likely_usd for i in kept)
    high = sum(estimates[i].high_usd for i in kept)
    return Rollup(root, likely, high, kept)


def subtree(root: str, parents: Mapping[str, str | None]) -> list[str]:
    """The task and its descendants (any status), root first, then in ID order by level."""
    children: dict[str, list[str]] = defaultdict(list)
    for child, parent in parents.items():
        if parent is not None:
            children[parent].append(child)
    found, level = [root], [root]
    seen = {root}
    while level:
        level = [c for p in level for c in sorted(children[p]) if c not in seen]
        seen.update(level)
        found += level
    return found


def chains(tasks: Sequence[OpenTask], estimates: Mapping[str, Estimate]) -> list[Rollup]:
    """Per dependency chain: for each open task no open task waits on, and that waits on
    open tasks itself, what it costs to get it done (see `chain`). Most expensive first."""
    after = _open_after(tasks)
    awaited = {a for deps in after.values() for a in deps}
    found = [
        chain(t.id, tasks, estimates, after) for t in tasks if t.id not in awaited and after[t.id]
    ]
    return sorted(found, key=lambda r: (-r.likely_usd, r.id))


def chain(
    root: str,
    tasks: Sequence[OpenTask],
    estimates: Mapping[str, Estimate],
    after: Mapping[str, list[str]] | None = None,
) -> Rollup:
    """What it costs to get `root` done: it and every open task it waits on, directly or
    not, each counted once."""
    after = _open_after(tasks) if after is None else after
    members, stack, seen = [root], list(after.get(root, ())), {root}
    while stack:
        current = stack.pop()
        if current not in seen:
            seen.add(current)
            members.append(current)
            stack.extend(after.get(current, ()))
    return total(root, estimates, members)


def parent_rollups(
    tasks: Sequence[OpenTask], parents: Mapping[str, str | None], estimates: Mapping[str, Estimate]
) -> list[Rollup]:
    """Per parent task: its subtree's open tasks, for every task with an open descendant.
    In ID order of the parents' first appearance going up from each open task."""
    roots: list[str] = []
    for task in tasks:
        current, seen = parents.get(task.id), {task.id}
        while current is not None and current not in seen:
            seen.add(current)
            if current not in roots:
                roots.append(current)
            current = parents.get(current)
    return [total(root, estimates, subtree(root, parents)) for root in sorted(roots)]


def _open_after(tasks: Sequence[OpenTask]) -> dict[str, list[str]]:
    """Each open task's dependencies that are still open (the finished ones cost nothing)."""
    open_ids = {t.id for t in tasks}
    return {t.id: [a for a in t.after if a in open_ids] for t in tasks}


def _per_run(tallies: Sequence[RunTally]) -> Spread | None:
    """The mean cost of one run, and the 90th percentile of each tally's mean run."""
    runs = sum(t.runs for t in tallies)
    if not runs:
        return None
    mean = sum(t.cost_usd for t in tallies) / runs
    return Spread.of([t.cost_usd / t.runs for t in tallies if t.runs], mean)


def _tokens_per_run(tallies: Sequence[RunTally]) -> float:
    runs = sum(t.runs for t in tallies)
    return sum(t.tokens for t in tallies) / runs if runs else 0.0


def _remaining(per_task: Spread | None, done: int, floor: int) -> tuple[float, float]:
    """Runs still to come (likely, high): the per-task figure less those already made, at
    least `floor`. Without a per-task figure, just the floor: the one run the status waits
    for is certain, more would be a guess."""
    if per_task is None:
        return float(floor), float(floor)
    return max(floor, per_task.mean - done), max(floor, per_task.high - done)


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}{'' if n == 1 else 's'}"
