"""The diff rule's bookkeeping on its own (scheduler/diff_loops.py): when it samples, when
an unchanged diff is a nudge, then an escalation, and a change starting afresh."""

from __future__ import annotations

from maos_tui.config_schema import SchedulerSettings
from maos_tui.scheduler.diff_loops import DiffLimits, DiffProgress, finishes
from maos_tui.scheduler.loops import Loop


def steps(p: DiffProgress, fingerprints: str, now: float = 0.0) -> list[Loop | None]:
    """One tool call per letter; a letter is the diff sampled then, `.` no sample asked."""
    found: list[Loop | None] = []
    for letter in fingerprints:
        due = p.due(now, step=True)
        assert due is (letter != "."), f"sample due: {due}, at {len(found)} in {fingerprints}"
        found.append(p.seen(letter, now) if due else None)
    return found


def test_unchanged_for_the_steps_nudges_then_escalates() -> None:
    p = DiffProgress(DiffLimits(steps=3, seconds=3600))
    # The baseline, three calls (sampled at the third), three more.
    *quiet, nudge = steps(p, "a..a")
    assert quiet == [None] * 3
    assert nudge is not None and (nudge.pattern, nudge.escalate) == ("diff", False)
    assert nudge.evidence == "the worktree's diff unchanged for 3 steps"
    assert "complete_task" in nudge.nudge and "fail_task" in nudge.nudge
    *quiet, stop = steps(p, "..a")
    assert quiet == [None, None] and stop is not None and stop.escalate
    assert stop.evidence == "the worktree's diff unchanged for 6 steps"


def test_a_change_starts_the_count_afresh_nudge_included() -> None:
    p = DiffProgress(DiffLimits(steps=3, seconds=3600))
    assert steps(p, "a..b..c..d") == [None] * 10  # moved at each sample
    nudge = steps(p, "..d")[-1]
    assert nudge is not None and not nudge.escalate
    assert steps(p, "..e") == [None] * 3  # it heard, and moved
    again = steps(p, "..e")[-1]
    assert again is not None and not again.escalate  # a nudge again, not a stop


def test_acting_for_the_minutes_without_a_change_nudges_then_escalates() -> None:
    """A command agent: its output lines are actions but no steps."""
    p = DiffProgress(DiffLimits(steps=3, seconds=600))
    assert p.due(0.0, step=False) and p.seen("a", 0.0) is None
    for now in (10.0, 300.0, 599.0):
        assert not p.due(now, step=False)
    assert p.due(600.0, step=False)
    nudge = p.seen("a", 601.0)
    assert nudge is not None and not nudge.escalate
    assert nudge.evidence == "the worktree's diff unchanged for 10 minutes"
    assert not p.due(1100.0, step=False)
    assert p.due(1201.0, step=False)
    stop = p.seen("a", 1201.0)
    assert stop is not None and stop.escalate
    assert stop.evidence == "the worktree's diff unchanged for 20 minutes"


def test_the_minutes_show_the_steps_made_meanwhile_and_short_times_in_seconds() -> None:
    p = DiffProgress(DiffLimits(steps=50, seconds=3))
    assert p.due(0.0, step=True) and p.seen("a", 0.0) is None
    assert not p.due(1.0, step=True)
    assert p.due(3.5, step=True)
    found = p.seen("a", 3.5)
    assert found is not None
    assert found.evidence == "the worktree's diff unchanged for 3 seconds (2 steps)"


def test_one_sample_at_a_time_and_a_failed_one_waits_for_the_next_threshold() -> None:
    p = DiffProgress(DiffLimits(steps=2, seconds=3600))
    assert p.due(0.0, step=True)
    assert not p.due(0.0, step=True)  # the first is still being taken
    assert p.seen("a", 0.0) is None
    assert not p.due(0.0, step=True)
    assert p.due(0.0, step=True)
    assert p.seen(None, 0.0) is None  # git could not say
    assert not p.due(0.0, step=True)  # not every step from now on
    assert p.due(0.0, step=True)
    found = p.seen("a", 0.0)
    assert found is not None and found.evidence.endswith("for 4 steps")


def test_limits_come_from_the_scheduler_settings() -> None:
    limits = DiffLimits.of(SchedulerSettings(loop_diff_steps=7, loop_diff_minutes=0.5))
    assert (limits.steps, limits.seconds) == (7, 30.0)
    default = DiffLimits.of(SchedulerSettings())
    assert (default.steps, default.seconds) == (15, 1200.0)


def test_the_calls_that_end_the_run_are_told_apart() -> None:
    assert finishes('complete_task {"summary": "done"}') and finishes("fail_task")
    assert not finishes('complete_tasks {"x": 1}') and not finishes('read_file {"path": "a"}')
