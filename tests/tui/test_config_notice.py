"""A keymap that takes a key from another binding, or names no binding, and an ignored config
key are told once at start, as plain text: the user's config is not Textual markup."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from maos_tui.store import Store
from maos_tui.tui.app import MaosApp

SIZE = (120, 36)


async def test_config_problems_are_one_notice_at_start(
    store: Store, make_app: Callable[..., MaosApp], workspace: Path
) -> None:
    config = workspace / ".maos" / "config.toml"
    config.write_text(
        '[scheduler]\nmax_paralel = 2\n[keymap]\n"task.new" = "q"\n"[b]task.nwe[/]" = "x"\n',
        encoding="utf-8",
    )
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        notices = [n for n in app._notifications if n.title == "Config"]
        assert len(notices) == 1
        assert notices[0].message.splitlines() == [
            f"{config}:2: key scheduler.max_paralel: unknown key, ignored; "
            "did you mean max_parallel?",
            'keymap: unknown binding id "[b]task.nwe[/]", ignored; did you mean "task.new"?',
            'keymap: "task.new" = "q" takes q from "app.quit" (Quit (asks if runs are active)); '
            "only one of them will work",
        ]
        assert notices[0].markup is False
        await pilot.press("n")  # a second screen does not repeat it
        await pilot.pause()
        assert len([n for n in app._notifications if n.title == "Config"]) == 1


async def test_a_clean_config_gives_no_notice(
    store: Store, make_app: Callable[..., MaosApp], workspace: Path
) -> None:
    (workspace / ".maos" / "config.toml").write_text('[keymap]\n"task.new" = "ctrl+o"\n')
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not [n for n in app._notifications if n.title == "Config"]
