"""Provider keys from a key command in the config ([api_keys])."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from maos_tui.agents.keys import load_key_commands
from maos_tui.config import ConfigError, Workspace, load_config


def config_with(root: Path, text: str):  # type: ignore[no-untyped-def]
    (root / ".maos").mkdir(exist_ok=True)
    (root / ".maos" / "config.toml").write_text(text, encoding="utf-8")
    return load_config(Workspace(root))


def test_key_command_sets_missing_variables_only(
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
    warnings = load_key_commands(config)
    assert os.environ["MAOS_TEST_KEY_A"] == "sk-from-command"
    assert os.environ["MAOS_TEST_KEY_B"] == "from-env"
    assert "MAOS_TEST_KEY_C" not in os.environ
    assert warnings == ["key command for MAOS_TEST_KEY_C failed (exit 4)"]
    monkeypatch.delenv("MAOS_TEST_KEY_A")


def test_key_command_must_be_an_argv_list(workspace: Path) -> None:
    # Refused when the config is read, before any command could run it.
    with pytest.raises(ConfigError, match=r"config.toml:2: key api_keys.OPENAI_API_KEY: must be"):
        config_with(workspace, '[api_keys]\nOPENAI_API_KEY = "pass show openai"\n')
