"""The loop detector on its own: each pattern, its nudge, its escalation, and runs that
repeat a tool with different arguments (not a loop)."""

from __future__ import annotations

import json

import pytest

from maos_tui.config_schema import SchedulerSettings
from maos_tui.scheduler.loops import MAX_BLOCKS, Loop, LoopDetector, LoopLimits


def detector(**limits: int) -> LoopDetector:
    return LoopDetector(LoopLimits(**limits))


def call(name: str, **arguments: object) -> str:
    return f"{name} {json.dumps(arguments)}"


def feed(d: LoopDetector, kind: str, payload: str, times: int) -> list[Loop | None]:
    return [d.observe(kind, payload) for _ in range(times)]


def test_the_same_call_nudges_on_the_fourth_and_escalates_on_the_fifth() -> None:
    d = detector()
    assert feed(d, "call", call("read_file", path="a.py"), 3) == [None] * 3
    nudge = d.observe("call", 'read_file {"path":  "a.py"}')
    assert nudge is not None and not nudge.escalate
    assert (nudge.pattern, nudge.count) == ("call", 4)
    assert nudge.evidence == 'the same tool call 4 times: read_file {"path":"a.py"}'
    assert "read_file" in nudge.nudge and "fail_task" in nudge.nudge
    stop = d.observe("call", call("read_file", path="a.py"))
    assert stop is not None and stop.escalate and stop.count == 5


def test_the_evidence_never_holds_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-live-" + "q" * 40
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    d = detector(same_text=2)
    said = "x" * 170 + f" key {secret}"  # cut in two by the evidence's length
    d.observe("text", said)
    found = d.observe("text", said)
    assert found is not None and "sk-live" not in found.evidence and "qqqq" not in found.nudge


def test_arguments_compare_canonically() -> None:
    d = detector(same_call=2)
    assert d.observe("call", 'write {"b": 1, "a": [1, 2]}') is None
    found = d.observe("call", 'write {"a":[1,2],"b":1}')
    assert found is not None and found.shown == 'write {"a":[1,2],"b":1}'


def test_reads_of_different_files_are_not_a_loop() -> None:
    d = detector()
    seen = []
    for i in range(40):
        seen.append(d.observe("call", call("read_file", path=f"src/module_{i}.py")))
        seen.append(d.observe("ok", f"contents of module {i}"))
    seen += [d.observe("text", "Reading the next file."), d.observe("text", "Reading it.")]
    assert seen == [None] * len(seen)


def test_the_same_text_three_times() -> None:
    d = detector()
    assert feed(d, "text", "Let me check the tests.", 2) == [None, None]
    found = d.observe("text", "Let me  check\nthe tests.")  # spacing ignored
    assert found is not None and (found.pattern, found.count, found.escalate) == ("text", 3, False)
    assert d.observe("text", "") is None  # an empty text is no text
    again = d.observe("text", "Let me check the tests.")
    assert again is not None and again.escalate


def test_the_same_error_three_times_in_a_row() -> None:
    d = detector()
    error = "error: unknown task TASK-404"
    assert feed(d, "error", error, 2) == [None, None]
    assert d.observe("ok", "created TASK-002") is None  # the row is broken
    assert feed(d, "error", error, 2) == [None, None]
    found = d.observe("error", error)
    assert found is not None and found.evidence.startswith("the same tool error 3 times in a row")
    stop = d.observe("error", error)
    assert stop is not None and stop.escalate and stop.count == 4


def test_a_different_error_ends_the_row() -> None:
    d = detector()
    seen = [d.observe("error", f"error: {word}") for word in ["a", "a", "b", "a", "a", "b"]]
    assert seen == [None] * 6


def test_output_repeating_a_block() -> None:
    d = detector(output_lines=3, output_repeats=3)
    block = ["Running tests...", "FAILED test_login: assert 401 == 200", "Retrying in 1s"]
    found = [d.observe("output", line) for _ in range(3) for line in block]
    loops = [f for f in found if f is not None]
    assert len(loops) == 1 and loops[0].pattern == "output" and not loops[0].escalate
    assert "FAILED test_login" in loops[0].shown and loops[0].count == 3
    # Counted afresh after the nudge: three more repeats stop it.
    more = [d.observe("output", line) for _ in range(3) for line in block]
    stops = [f for f in more if f is not None]
    assert stops and stops[0].escalate and stops[0].count == 6


def test_output_that_moves_on_or_is_trivial_is_not_a_loop() -> None:
    d = detector()
    lines = [f"compiling module {i} of 200" for i in range(200)]
    lines += ["", "ok", "", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok"]
    assert [d.observe("output", line) for line in lines] == [None] * len(lines)


def test_one_line_over_and_over_is_a_flood_not_a_loop() -> None:
    """A flood, a spinner or a progress bar prints one line again and again while the agent
    goes on (the flooding agent of tests/reliability finishes its task)."""
    d = detector()
    line = "x" * 80
    assert feed(d, "output", line, 5000) == [None] * 5000


def test_output_memory_is_bounded_and_recent_blocks_still_count() -> None:
    d = detector(output_lines=1, output_repeats=3)
    old = "FAILED test_login: assert 401 == 200"
    recent = "a line the run prints now and then"
    assert d.observe("output", old) is None
    for i in range(3 * MAX_BLOCKS):
        if i in (3 * MAX_BLOCKS - 200, 3 * MAX_BLOCKS - 100):
            assert d.observe("output", recent) is None
        assert d.observe("output", f"compiling module number {i:06d}") is None
    assert len(d._blocks) <= MAX_BLOCKS
    # The old block was forgotten: twice more makes two, not three.
    assert d.observe("output", old) is None and d.observe("output", old) is None
    found = d.observe("output", recent)  # remembered: its third time
    assert found is not None and found.count == 3


def test_limits_come_from_the_scheduler_settings() -> None:
    settings = SchedulerSettings(loop_same_call=7, loop_output_lines=5)
    limits = LoopLimits.of(settings)
    assert (limits.same_call, limits.same_text, limits.output_lines) == (7, 3, 5)


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown kind 'diff'"):
        detector().observe("diff", "x")
