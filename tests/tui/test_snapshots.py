"""What users see, pinned as SVG snapshots (pytest-textual-snapshot): fixed data, clock and
zone, no cursor blink. Update deliberately with `pytest --snapshot-update` and look at them."""

from __future__ import annotations

from pathlib import Path

import pytest

from .snapshot_app import build_app, no_blink

SMALL = (80, 24)
LARGE = (160, 48)


@pytest.fixture(autouse=True)
def provider_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """The seeded LLM agents have their keys: the views would show them offline without."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-snapshot-dummy")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-snapshot-dummy")


def settle(*keys: str):
    async def run_before(pilot) -> None:
        await pilot.pause()
        if keys:
            await pilot.press(*keys)
            await pilot.pause()
        no_blink(pilot.app)
        await pilot.pause()

    return run_before


def test_empty_board_welcome(snap_compare, tmp_path: Path):
    app = build_app(tmp_path / "ws", populated=False)
    assert snap_compare(app, terminal_size=SMALL, run_before=settle())


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "160x48"])
def test_populated_board(snap_compare, tmp_path: Path, size: tuple[int, int]):
    app = build_app(tmp_path / "ws")
    assert snap_compare(app, terminal_size=size, run_before=settle())


@pytest.mark.parametrize("theme", ["maos-light", "maos-high-contrast"])
def test_populated_board_themes(snap_compare, tmp_path: Path, theme: str):
    app = build_app(tmp_path / "ws", theme=theme)
    assert snap_compare(app, terminal_size=SMALL, run_before=settle())


def test_focus_on_the_next_column(snap_compare, tmp_path: Path):
    # The cursor and title of both columns change look; nothing else does.
    app = build_app(tmp_path / "ws")
    assert snap_compare(app, terminal_size=SMALL, run_before=settle("l"))


def test_task_detail(snap_compare, tmp_path: Path):
    app = build_app(tmp_path / "ws")
    # In progress is the third column; its only card is TASK-003.
    assert snap_compare(app, terminal_size=SMALL, run_before=settle("l", "l", "enter"))


def test_new_task_validation_error(snap_compare, tmp_path: Path):
    app = build_app(tmp_path / "ws")
    assert snap_compare(app, terminal_size=SMALL, run_before=settle("n", "enter"))


def test_agents_screen(snap_compare, tmp_path: Path):
    app = build_app(tmp_path / "ws")
    assert snap_compare(app, terminal_size=(120, 24), run_before=settle("A"))


def test_help_screen(snap_compare, tmp_path: Path):
    app = build_app(tmp_path / "ws")
    assert snap_compare(app, terminal_size=SMALL, run_before=settle("question_mark"))
