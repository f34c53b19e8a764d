"""Theme files, broken ones, and the launcher's one-line errors."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from maos_tui.resources import themes_dir
from maos_tui.store import Store
from maos_tui.tui.app import MaosApp
from maos_tui.tui.themes import BOARD_VARIABLES, ThemeFileError, load_theme_file, load_themes

SHIPPED = ("maos-dark", "maos-light", "maos-high-contrast")


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_theme_has_every_colour(name: str):
    theme = load_theme_file(themes_dir() / f"{name}.toml")
    assert theme.name == name
    assert set(BOARD_VARIABLES) <= set(theme.variables)


def _luminance(hex_colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("name", SHIPPED)
def test_labels_on_the_focused_card_stay_readable(name: str):
    """The focused card's priority and assignees keep their own colours over the cursor's
    background: none may be (nearly) that background's colour, as P2 was on `$primary`."""
    theme = load_theme_file(themes_dir() / f"{name}.toml")
    cursor = theme.variables.get("block-cursor-background", theme.primary)
    labels = {f"priority-{n}": theme.variables[f"priority-{n}"] for n in range(4)}
    labels["secondary (assignees)"] = theme.secondary or ""
    labels["foreground"] = theme.variables.get("block-cursor-foreground", theme.foreground or "")
    unreadable = {k: round(_contrast(v, cursor), 2) for k, v in labels.items()}
    assert {k: v for k, v in unreadable.items() if v < 2.0} == {}


def test_broken_theme_file_is_reported_not_raised(tmp_path: Path):
    (tmp_path / "bad.toml").write_text('name = "bad"\ndark = true\nprimary = "nope"\n')
    (tmp_path / "worse.toml").write_text("not toml at all [")
    catalog = load_themes(themes_dir(), tmp_path)
    assert {t.name for t in catalog.themes} == set(SHIPPED)
    assert len(catalog.problems) == 2
    assert any("bad.toml" in p and "not a colour" in p for p in catalog.problems)
    with pytest.raises(ThemeFileError, match="invalid TOML"):
        load_theme_file(tmp_path / "worse.toml")


async def test_user_theme_loads_and_broken_choice_falls_back(
    store: Store, make_app: Callable[..., MaosApp], isolated_env: Path
):
    themes = isolated_env.parent / "themes"
    themes.mkdir(parents=True)
    mine = (themes_dir() / "maos-light.toml").read_text().replace("maos-light", "mine")
    (themes / "mine.toml").write_text(mine)
    (themes / "broken.toml").write_text('name = "broken"\n')
    isolated_env.write_text('theme = "broken"\n')
    app = make_app()
    async with app.run_test() as pilot:
        await pilot.pause()
        assert "mine" in app.available_themes
        assert app.theme == "maos-dark"
        messages = [n.message for n in app._notifications]
        assert any("broken.toml" in m for m in messages)
        assert any("'broken' is not available" in m for m in messages)


def test_launch_with_an_unusable_database_is_one_line(cli, workspace: Path):
    (workspace / ".maos").mkdir()
    (workspace / ".maos" / "state.db").write_text("this is not sqlite")
    line = cli.error()
    assert "not a usable maos-tui database" in line


def test_launch_with_a_newer_schema_is_one_line(cli, workspace: Path):
    cli.ok("init")
    with sqlite3.connect(workspace / ".maos" / "state.db") as db:
        db.execute("UPDATE maos_meta SET value = '999' WHERE key = 'schema_version'")
    line = cli.error()
    assert "newer" in line


def test_init_starter_team(cli):
    assert "needs a model" in cli.error("init", "--starter-team")
    out = cli.ok("init", "--starter-team", "--model", "ollama/llama3.1")
    assert "orchestrator, technical, qa" in out
    listed = cli.ok("agent", "list")
    assert "qa" in listed and "review" in listed and "ollama/llama3.1" in listed


def test_readme_lists_every_key():
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Keys", 1)[1].split("\n## ", 1)[0]
    from maos_tui.tui.keys import KEYS

    for spec in KEYS:
        assert f"| {spec.description} | `{spec.id}` |" in section, spec.id
        for key in spec.display.split(" "):
            assert f"`{key}`" in section, (spec.id, key)
