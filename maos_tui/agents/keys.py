"""Provider keys from a command instead of the environment, for people who keep them in a
password manager. In the user config:

    [api_keys]
    OPENAI_API_KEY = ["pass", "show", "openai"]

Each command (an argv list, no shell) runs once, when the scheduler or `agent check` starts,
and only for variables not already set; its trimmed stdout becomes the variable in this
process's environment, where litellm reads it per call. It is never written anywhere.
"""

from __future__ import annotations

import os
import subprocess

from maos_tui.agents.secrets import scrub
from maos_tui.config import Config

KEY_COMMAND_TIMEOUT = 30


def load_key_commands(config: Config) -> list[str]:
    """Run the configured key commands; returns one warning per command that failed."""
    warnings = []
    for name, argv in config.table("api_keys").items():
        if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
            raise config.error(f"api_keys.{name}", "must be an array of arguments", line_key=name)
        if os.environ.get(name):
            continue
        try:
            done = subprocess.run(
                argv, capture_output=True, text=True, timeout=KEY_COMMAND_TIMEOUT, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            warnings.append(f"key command for {name} did not run: {exc}")
            continue
        value = done.stdout.strip()
        if done.returncode != 0 or not value:
            detail = scrub(done.stderr.strip().splitlines()[-1]) if done.stderr.strip() else ""
            suffix = f": {detail}" if detail else ""
            warnings.append(f"key command for {name} failed (exit {done.returncode}){suffix}")
            continue
        os.environ[name] = value
    return warnings
