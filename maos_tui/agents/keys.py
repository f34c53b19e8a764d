"""Provider keys from a command instead of the environment, for people who keep them in a
password manager. In the user config:

    [api_keys]
    OPENAI_API_KEY = ["pass", "show", "openai"]

Each command (an argv list, no shell) runs once, when the scheduler or `agent check` starts,
and only for variables not already set; its trimmed stdout becomes the variable in this
process's environment, where litellm reads it per call. It is never written anywhere.

A command gets KEY_COMMAND_TIMEOUT seconds. It runs in a session of its own, so that a
timeout, or the scheduler stopping, kills it with everything it started.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal

from maos_tui.agents.secrets import scrub
from maos_tui.config import Config

KEY_COMMAND_TIMEOUT = 10.0
_MAX_OUTPUT = 64 * 1024  # a key is short; a command printing forever must not fill memory


def key_commands(config: Config) -> dict[str, list[str]]:
    """The configured commands for variables not set yet; ConfigError for a bad entry."""
    wanted = {}
    for name, argv in config.table("api_keys").items():
        if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
            raise config.error(f"api_keys.{name}", "must be an array of arguments", line_key=name)
        if not os.environ.get(name):
            wanted[name] = argv
    return wanted


async def load_key_commands(config: Config) -> dict[str, str]:
    """Run the commands side by side; set each variable that one printed. Returns, per
    variable whose command failed, one line saying how (the command named, scrubbed)."""
    wanted = key_commands(config)
    results = await asyncio.gather(*(_run(argv) for argv in wanted.values()))
    failures = {}
    for (name, argv), (value, failure) in zip(wanted.items(), results, strict=True):
        if failure is None:
            os.environ[name] = value
        else:
            failures[name] = f"key command `{scrub(shlex.join(argv))}` {failure}"
    return failures


# How long a killed key command is waited for before giving up on reaping it.
_REAP_SECONDS = 5.0


async def _run(argv: list[str]) -> tuple[str, str | None]:
    """(value, None), or ("", what went wrong)."""
    timeout = KEY_COMMAND_TIMEOUT
    starting = asyncio.ensure_future(
        asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
    )
    try:
        proc = await asyncio.shield(starting)
    except OSError as exc:
        return "", f"did not start: {exc.strerror or exc}"
    except asyncio.CancelledError:
        # Cancelled while the command was starting: it may run already, so it ends too.
        with contextlib.suppress(Exception):
            started = await starting
            os.killpg(started.pid, signal.SIGKILL)
        raise
    assert proc.stdout is not None and proc.stderr is not None
    try:
        async with asyncio.timeout(timeout):
            out, err = await asyncio.gather(_read(proc.stdout), _read(proc.stderr))
            code = await proc.wait()
    except TimeoutError:
        return "", f"timed out after {timeout:g}s"
    finally:
        # Also on cancel: no child of the command outlives it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        if proc.returncode is None:
            # Bounded: a killed command's exit is noticed at once, but a stop must never
            # hang on it.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), _REAP_SECONDS)
    value = out.decode("utf-8", errors="replace").strip()
    if code == 0 and value:
        return value, None
    if code == 0:
        return "", "printed nothing"
    lines = err.decode("utf-8", errors="replace").strip().splitlines()
    detail = f": {scrub(lines[-1])}" if lines else ""
    return "", f"failed (exit {code}){detail}"


async def _read(stream: asyncio.StreamReader) -> bytes:
    """Everything up to EOF, keeping at most _MAX_OUTPUT bytes."""
    kept = b""
    while chunk := await stream.read(65536):
        kept = (kept + chunk)[:_MAX_OUTPUT]
    return kept
