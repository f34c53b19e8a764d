"""`c` on the agents screen runs the CLI's `agent check`: a real request to the model
(the fake OpenAI-compatible server on 127.0.0.1), or a PATH lookup for a command agent."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest
from fakes.openai_server import FakeOpenAI, text

from maos_tui.store import Store
from maos_tui.tui.app import MaosApp
from maos_tui.tui.screens.agents import AgentsScreen

SIZE = (100, 30)
MODEL = "openai/gpt-4o-mini"


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


async def check_note(app: MaosApp, pilot: object) -> str:
    """Press `c` on the agents screen and wait for the check's answer."""
    await pilot.press("A")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    assert isinstance(app.screen, AgentsScreen)
    await pilot.press("c")  # type: ignore[attr-defined]
    note = app.screen.query_one("#agent-note")
    for _ in range(600):  # litellm's first import alone can take seconds
        text = str(note.render())
        if "checking" not in text:
            return text
        await asyncio.sleep(0.05)
    raise AssertionError(f"the check never answered: {text}")


async def test_check_calls_the_model(
    store: Store,
    make_app: Callable[..., MaosApp],
    fake: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-dummy-key")
    await store.agents.add("thinker", model=MODEL, api_base=fake.base_url)
    fake.script(text("ok"))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        note = await check_note(app, pilot)
    assert "thinker: openai/gpt-4o-mini answered in" in note
    assert len(fake.requests) == 1


async def test_check_reports_a_missing_key_without_calling(
    store: Store,
    make_app: Callable[..., MaosApp],
    fake: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    await store.agents.add("thinker", model=MODEL)  # OpenAI's own API: a key is needed
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        note = await check_note(app, pilot)
    assert "thinker: missing OPENAI_API_KEY" in note
    assert fake.requests == []


async def test_check_looks_a_command_up_on_path(
    store: Store, make_app: Callable[..., MaosApp]
) -> None:
    await store.agents.add("ghost", command=["no-such-program-here", "--go"])
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        note = await check_note(app, pilot)
    assert "ghost: command 'no-such-program-here' not found on PATH" in note
