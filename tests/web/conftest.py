"""A real `maos-tui serve` on a free port of 127.0.0.1, in a real workspace."""

from __future__ import annotations

import queue
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from maos_tui.tui.web.auth import cookie_name
from tests.conftest import Cli

START_SECONDS = 120  # the serve process imports the store; a loaded machine is slow
_URL = re.compile(r"at (http://\S+?:(\d+)/\?token=(\S+))")


def wait_for(condition: Callable[[], object], seconds: float, what: str) -> object:
    """Poll until `condition` is truthy; fail naming `what` when the deadline passes."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds:.0f}s waiting for {what}")
        time.sleep(0.1)


_ESCAPES = re.compile(rb"\x1b\[[0-9;?<>$]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b.")


def screen_text(output: bytes) -> str:
    """The text an app drew, its escape sequences (cursor moves, colours) taken out."""
    return _ESCAPES.sub(b"", output).decode("utf-8", "replace")


def descendants(pid: int) -> list[int]:
    """Every process started under `pid`, read from /proc (children of each thread)."""
    found: list[int] = []
    pending = [pid]
    while pending:
        parent = pending.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                found.append(child)
                pending.append(child)
    return found


@dataclass
class Served:
    process: subprocess.Popen[str]
    url: str  # with the token, as printed
    port: int
    token: str
    output: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def cookie(self) -> dict[str, str]:
        return {cookie_name(self.token): self.token}

    def app_processes(self) -> list[int]:
        return descendants(self.process.pid)


def start_serve(cli: Cli, *args: str) -> Served:
    process = subprocess.Popen(
        cli.argv("serve", "--port", "0", *args),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=cli.env(),
        cwd=cli.workspace,
    )
    lines: queue.Queue[str] = queue.Queue()
    output: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            process.kill()
            raise AssertionError(f"serve printed no URL in {START_SECONDS}s: {output}") from None
        if match := _URL.search(line):
            served = Served(process, match[1], int(match[2]), match[3], output)
            return served


def stop_serve(served: Served) -> None:
    served.process.send_signal(signal.SIGTERM)
    try:
        served.process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        served.process.kill()
        served.process.wait()
        raise AssertionError(f"serve did not stop on SIGTERM: {served.output}") from None


@pytest.fixture
def served(cli: Cli) -> Iterator[Served]:
    cli.ok("init")
    cli.ok("task", "add", "Ship the web board")
    running = start_serve(cli)
    try:
        yield running
    finally:
        stop_serve(running)
