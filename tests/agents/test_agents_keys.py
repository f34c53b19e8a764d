"""Provider keys from a key command in the config ([api_keys]): set, bounded in time, and
killed with everything they started when they time out or the scheduler stops."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from fakes.support import alive, make_scheduler, until

from maos_tui.agents import keys
from maos_tui.agents.keys import load_key_commands
from maos_tui.config import ConfigError, Workspace, load_config
from maos_tui.domain import AgentStatus
from maos_tui.store import Store


def config_with(root: Path, text: str):  # type: ignore[no-untyped-def]
    (root / ".maos").mkdir(exist_ok=True)
    (root / ".maos" / "config.toml").write_text(text, encoding="utf-8")
    return load_config(Workspace(root))


def sleeper(pids: Path) -> str:
    """A key command that starts a child and waits forever, writing both PIDs."""
    script = f"echo $$ > {pids}; sleep 300 & echo $! >> {pids}; wait"
    return f'["/bin/sh", "-c", "{script}"]'


async def started(pids: Path) -> list[int]:
    async def both() -> bool:
        return pids.exists() and len(pids.read_text().split()) == 2

    await until(both, timeout=30)
    return [int(p) for p in pids.read_text().split()]


async def all_gone(pids: list[int]) -> None:
    """SIGKILL is sent at once but lands when the process is next scheduled."""

    async def gone() -> bool:
        return not any(alive(pid) for pid in pids)

    await until(gone, timeout=30)


async def test_key_command_sets_missing_variables_only(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MAOS_TEST_KEY_A", raising=False)
    monkeypatch.setenv("MAOS_TEST_KEY_B", "from-env")
    printer = f'["{sys.executable}", "-c", "print(\' sk-from-command \')"]'
    config = config_with(
        workspace,
        f"[api_keys]\nMAOS_TEST_KEY_A = {printer}\nMAOS_TEST_KEY_B = {printer}\n"
        f'MAOS_TEST_KEY_C = ["{sys.executable}", "-c", "import sys; sys.exit(4)"]\n',
    )
    failures = await load_key_commands(config)
    assert os.environ["MAOS_TEST_KEY_A"] == "sk-from-command"
    assert os.environ["MAOS_TEST_KEY_B"] == "from-env"
    assert "MAOS_TEST_KEY_C" not in os.environ
    assert failures == {
        "MAOS_TEST_KEY_C": f"key command `{sys.executable} -c 'import sys; sys.exit(4)'` "
        "failed (exit 4)"
    }
    monkeypatch.delenv("MAOS_TEST_KEY_A")


def test_key_command_must_be_an_argv_list(workspace: Path) -> None:
    # Refused when the config is read, before any command could run it.
    with pytest.raises(ConfigError, match=r"config.toml:2: key api_keys.OPENAI_API_KEY: must be"):
        config_with(workspace, '[api_keys]\nOPENAI_API_KEY = "pass show openai"\n')


async def test_a_key_command_that_hangs_is_killed_with_its_children_at_the_timeout(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MAOS_TEST_KEY_SLOW", raising=False)
    monkeypatch.setattr(keys, "KEY_COMMAND_TIMEOUT", 1.0)
    pids = tmp_path / "pids"
    config = config_with(workspace, f"[api_keys]\nMAOS_TEST_KEY_SLOW = {sleeper(pids)}\n")
    failures = await load_key_commands(config)
    assert failures["MAOS_TEST_KEY_SLOW"].endswith("timed out after 1s")
    assert failures["MAOS_TEST_KEY_SLOW"].startswith("key command `/bin/sh -c ")
    await all_gone(await started(pids))


async def test_a_cancelled_key_command_leaves_nothing_running(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MAOS_TEST_KEY_SLOW", raising=False)
    pids = tmp_path / "pids"
    config = config_with(workspace, f"[api_keys]\nMAOS_TEST_KEY_SLOW = {sleeper(pids)}\n")
    loading = asyncio.create_task(load_key_commands(config))
    running = await started(pids)
    assert all(alive(pid) for pid in running)
    loading.cancel()
    with pytest.raises(asyncio.CancelledError):
        await loading
    await all_gone(running)


async def test_an_agent_whose_key_command_timed_out_is_offline_saying_so(
    store: Store, workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setattr(keys, "KEY_COMMAND_TIMEOUT", 1.0)
    await store.agents.add("thinker", model="openai/gpt-4o-mini")
    await store.tasks.create("plan it", assignees=["thinker"])
    config = f"[api_keys]\nOPENAI_API_KEY = {sleeper(tmp_path / 'pids')}\n"
    scheduler = make_scheduler(store, workspace, config)
    await scheduler.start()
    try:

        async def offline() -> bool:
            return (await store.agents.get("thinker")).status is AgentStatus.OFFLINE

        await until(offline, timeout=30)
        await asyncio.wait_for(scheduler.wait_idle(), 30)
    finally:
        await scheduler.stop()
    agent = await store.agents.get("thinker")
    assert agent.status_reason == (
        "missing OPENAI_API_KEY: key command `/bin/sh -c "
        f"'echo $$ > {tmp_path / 'pids'}; sleep 300 & echo $! >> {tmp_path / 'pids'}; wait'`"
        " timed out after 1s"
    )
    assert (await store.tasks.get("TASK-001")).status.value == "assigned"


def test_run_stops_on_time_while_a_key_command_hangs(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`run --max-seconds` is not held by a key command, and leaves none of it behind."""
    cli.ok("init")
    cli.ok("agent", "add", "thinker", "--model", "openai/gpt-4o-mini")
    pids = tmp_path / "pids"
    (cli.workspace / ".maos" / "config.toml").write_text(
        f"[api_keys]\nOPENAI_API_KEY = {sleeper(pids)}\n", encoding="utf-8"
    )
    env = {k: "" for k in ("OPENAI_API_KEY",)}
    result = cli("run", "--max-seconds", "2", timeout=40, **env)
    assert result.returncode == 0, result.stderr
    running = [int(p) for p in pids.read_text().split()]
    assert running
    asyncio.run(all_gone(running))


async def test_while_its_key_command_runs_the_agent_waits_and_stop_kills_it(
    store: Store, workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    await store.agents.add("thinker", model="openai/gpt-4o-mini")
    task = await store.tasks.create("plan it", assignees=["thinker"])
    pids = tmp_path / "pids"
    scheduler = make_scheduler(store, workspace, f"[api_keys]\nOPENAI_API_KEY = {sleeper(pids)}\n")
    await scheduler.start()
    try:

        async def waits() -> bool:
            reason = (await store.tasks.get(task.id)).status_reason
            return reason == "waiting: thinker is offline (waiting for its key command)"

        await until(waits, timeout=30)
        running = await started(pids)
        assert (await store.agents.get("thinker")).status is AgentStatus.IDLE
    finally:
        await scheduler.stop()
    await all_gone(running)
