"""Shared fixtures: every test gets its own workspace and never sees the real user config."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from maos_tui.store import Store

_OUR_VARS = ("MAOS_WORKSPACE", "MAOS_DB_URL", "MAOS_CONFIG")


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point MAOS_CONFIG at an empty temp file so no test reads ~/.config/maos-tui."""
    for name in _OUR_VARS:
        monkeypatch.delenv(name, raising=False)
    user_config = tmp_path / "user-config" / "config.toml"
    monkeypatch.setenv("MAOS_CONFIG", str(user_config))
    yield user_config


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    return root


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


@dataclass
class Cli:
    """The real `maos-tui` program in a subprocess, run in one workspace."""

    workspace: Path

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _OUR_VARS}
        env["MAOS_CONFIG"] = str(self.workspace.parent / "user-config" / "config.toml")
        env.update(extra)
        return env

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "maos_tui", "--workspace", str(self.workspace), *args]

    def __call__(
        self, *args: str, input: str | None = None, timeout: float = 60, **env: str
    ) -> CliResult:
        done = subprocess.run(
            self.argv(*args),
            capture_output=True,
            text=True,
            input=input,
            timeout=timeout,
            env=self.env(**env),
            cwd=self.workspace if self.workspace.is_dir() else self.workspace.parent,
        )
        return CliResult(done.returncode, done.stdout, done.stderr)

    def ok(self, *args: str, **env: str) -> str:
        result = self(*args, **env)
        assert result.returncode == 0, f"{args} failed: {result.stderr}"
        return result.stdout

    def error(self, *args: str, **env: str) -> str:
        """Run a command that must fail with exactly one `error:` line and no traceback."""
        result = self(*args, **env)
        assert result.returncode != 0, f"{args} should have failed: {result.stdout}"
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
        return lines[0]


@pytest.fixture
def cli(workspace: Path) -> Cli:
    return Cli(workspace)


@pytest.fixture
async def store(workspace: Path) -> AsyncIterator[Store]:
    opened = await Store.open(f"sqlite+aiosqlite:///{workspace / '.maos' / 'state.db'}")
    yield opened
    await opened.close()
