"""The channels an alert goes out through. Each `send` raises ChannelError (with a
message safe to show and record) when it failed, or Skipped when it cannot work here
(no terminal, no notify-send): that is no failure, and not retried."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import unicodedata
from collections.abc import Callable

from maos_tui.alerts.model import Message

_SHOWN_CHARS = 240


class ChannelError(Exception):
    """A failed send; the message names no secret."""


class Skipped(Exception):
    """The channel cannot work in this process (why is the message)."""


class Channel:
    name = ""

    @property
    def label(self) -> str:
        """The channel as shown in output, logs and the store: never a secret."""
        return self.name

    async def send(self, message: Message) -> None:
        raise NotImplementedError


def plain(text: str, limit: int = _SHOWN_CHARS) -> str:
    """One line without control characters: an agent's text must not drive the terminal."""
    flat = " ".join(
        "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text).split()
    )
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def terminal_sequences(message: Message, *, tmux: bool) -> str:
    """The bell, then an OSC 9 (iTerm2, kitty, WezTerm, Windows Terminal) and an OSC 777
    (foot, WezTerm, urxvt) notification. In tmux each OSC is wrapped for passthrough,
    which tmux forwards when `allow-passthrough` is on."""
    title, body = plain(message.title), plain(message.body)
    notes = [f"\x1b]9;{title}: {body}\x07", f"\x1b]777;notify;{title.replace(';', ',')};{body}\x07"]
    if tmux:
        notes = [f"\x1bPtmux;{n.replace(chr(27), chr(27) * 2)}\x1b\\" for n in notes]
    return "\a" + "".join(notes)


class TerminalChannel(Channel):
    name = "terminal"

    def __init__(self, write: Callable[[str], None] | None, *, tmux: bool, why_not: str) -> None:
        self._write = write
        self._tmux = tmux
        self._why_not = why_not

    async def send(self, message: Message) -> None:
        if self._write is None:
            raise Skipped(self._why_not)
        try:
            self._write(terminal_sequences(message, tmux=self._tmux))
        except (OSError, ValueError) as exc:
            raise ChannelError(f"cannot write to the terminal: {exc}") from None


class DesktopChannel(Channel):
    name = "desktop"

    async def send(self, message: Message) -> None:
        program = shutil.which("notify-send")
        if program is None:
            raise Skipped("notify-send is not on PATH")
        urgency = "critical" if message.priority >= 5 else "normal"
        argv = [program, "--app-name=maos-tui", f"--urgency={urgency}"]
        await run_argv([*argv, plain(message.title), message.body[:2000]], None)


class CommandChannel(Channel):
    name = "command"

    def __init__(self, argv: list[str]) -> None:
        self.argv = argv

    @property
    def label(self) -> str:
        return f"command {self.argv[0]}"

    async def send(self, message: Message) -> None:
        await run_argv(self.argv, json.dumps(message.to_json()).encode())


async def run_argv(argv: list[str], stdin: bytes | None) -> None:
    """Run a program (no shell) with `stdin`; ChannelError unless it exits 0."""
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        raise ChannelError(f"cannot run {argv[0]}: {exc.strerror or exc}") from None
    try:
        _, err = await proc.communicate(stdin)
    except BaseException:  # cancelled by the send's timeout: the program must not linger
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        raise
    if proc.returncode != 0:
        last = plain(err.decode(errors="replace").strip().splitlines()[-1]) if err.strip() else ""
        detail = f": {last}" if last else ""
        raise ChannelError(f"{argv[0]} exited with status {proc.returncode}{detail}")
