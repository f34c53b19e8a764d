"""Each channel's delivery: the command gets the alert as JSON on stdin, ntfy and gotify
URLs get their own body, and the terminal channel's sequences (tmux passthrough too)."""

from __future__ import annotations

import json
import sys
from email.header import decode_header
from pathlib import Path

import pytest
from fakes.support import until

from maos_tui.alerts.channels import CommandChannel, TerminalChannel, terminal_sequences
from maos_tui.alerts.delivery import send_once
from maos_tui.alerts.model import Alert, Kind, Message
from maos_tui.alerts.secrets import clean, mask_url
from maos_tui.alerts.webhook import WebhookChannel, guess_format
from maos_tui.store import Store

from .conftest import Hook
from .support import watcher

QUESTION = Message.of([Alert("k", Kind.QUESTION, "coder asked: which port?", "TASK-001")], "ws")


async def test_the_command_channel_gets_the_alert_as_json_on_stdin(
    store: Store, tmp_path: Path
) -> None:
    out = tmp_path / "alert.json"
    copy = f"import sys; open({str(out)!r}, 'w').write(sys.stdin.read())"
    await store.agents.add("coder", command=["true"])
    task = await store.tasks.create("Ask")
    alerts = watcher(store, [CommandChannel([sys.executable, "-c", copy])])
    await alerts.start()
    try:
        await store.messages.post(task.id, "coder", "@human which port?", type="question")
        await until(out.exists, message="the command run with the alert")
    finally:
        await alerts.stop()
    sent = json.loads(out.read_text())
    assert sent["title"] == "maos-tui (ws): TASK-001 a question for you"
    assert [(a["kind"], a["task_id"]) for a in sent["alerts"]] == [("question", "TASK-001")]
    assert "which port?" in sent["message"]


async def test_a_failing_or_missing_command_says_why() -> None:
    failing = CommandChannel([sys.executable, "-c", "import sys; sys.exit('no route')"])
    assert (
        await send_once(failing, QUESTION, 10) == f"{sys.executable} exited with status 1: no route"
    )
    missing = CommandChannel(["/nonexistent/notifier"])
    assert "cannot run /nonexistent/notifier" in str(await send_once(missing, QUESTION, 10))
    slow = CommandChannel([sys.executable, "-c", "import time; time.sleep(30)"])
    assert await send_once(slow, QUESTION, 0.5) == "no answer within 0.5s"


async def test_ntfy_gets_text_with_title_and_priority_headers(hook: Hook) -> None:
    assert await send_once(WebhookChannel(hook.url("/alerts"), "ntfy"), QUESTION, 10) is None
    post = hook.posts[0]
    assert post.body.decode() == "coder asked: which port?"
    assert post.headers["Title"] == "maos-tui (ws): TASK-001 a question for you"
    assert post.headers["Priority"] == "4"


async def test_a_title_that_is_not_ascii_reaches_ntfy_encoded(hook: Hook) -> None:
    message = Message.of([Alert("k", Kind.FAILED, "Grüße failed", "TASK-002")], "Straße")
    assert await send_once(WebhookChannel(hook.url("/t"), "ntfy"), message, 10) is None
    [(raw, charset)] = decode_header(hook.posts[0].headers["Title"])
    assert raw.decode(charset) == "maos-tui (Straße): TASK-002 failed"
    assert hook.posts[0].body.decode() == "Grüße failed"


async def test_gotify_gets_its_json(hook: Hook) -> None:
    url = hook.url("/message?token=abc")
    assert guess_format(url) == "gotify"
    assert await send_once(WebhookChannel(url), QUESTION, 10) is None
    assert hook.posts[0].json() == {
        "title": "maos-tui (ws): TASK-001 a question for you",
        "message": "coder asked: which port?",
        "priority": 8,
    }


@pytest.mark.parametrize(
    ("url", "form"),
    [
        ("https://ntfy.sh/my-topic", "ntfy"),
        ("https://ntfy.example.org/alerts?auth=tk", "ntfy"),
        ("https://push.example.org/message?token=x", "gotify"),
        ("http://127.0.0.1:8080/hook", "json"),
    ],
)
def test_the_webhook_format_follows_the_url(url: str, form: str) -> None:
    assert guess_format(url) == form


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:pw@hooks.example.org/x", "https://hooks.example.org/***"),
        ("https://push.example.org/message?token=AbC", "https://push.example.org/***"),
        ("https://ntfy.sh/secret-topic", "https://ntfy.sh/***"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        ("http://[::1]:9/x", "http://[::1]:9/***"),
    ],
)
def test_a_url_is_shown_without_its_secrets(url: str, shown: str) -> None:
    assert mask_url(url) == shown


def test_errors_are_cleaned_of_the_url() -> None:
    url = "https://bob:hunter22@ntfy.example.org/topic-xyz?auth=tok123"
    text = clean(f"cannot reach {url}: topic-xyz refused tok123 for bob:hunter22", url)
    for secret in ("hunter22", "topic-xyz", "tok123"):
        assert secret not in text


def test_terminal_sequences_and_their_tmux_passthrough() -> None:
    plain = terminal_sequences(QUESTION, tmux=False)
    title = "maos-tui (ws): TASK-001 a question for you"
    assert plain == (
        f"\a\x1b]9;{title}: coder asked: which port?\x07"
        f"\x1b]777;notify;{title};coder asked: which port?\x07"
    )
    wrapped = terminal_sequences(QUESTION, tmux=True)
    assert wrapped.startswith(f"\a\x1bPtmux;\x1b\x1b]9;{title}")
    assert wrapped.count("\x1bPtmux;") == 2 and wrapped.endswith("\x07\x1b\\")


def test_an_agents_text_cannot_drive_the_terminal() -> None:
    hostile = Message.of([Alert("k", Kind.FAILED, "x\x1b]52;c;ZXZpbA==\x07y\nz;w", "TASK-9")])
    sent = terminal_sequences(hostile, tmux=False)
    title, body = "maos-tui: TASK-9 failed", "x ]52;c;ZXZpbA== y z;w"
    assert sent == f"\a\x1b]9;{title}: {body}\x07\x1b]777;notify;{title};{body}\x07"


async def test_the_terminal_channel_writes_through_its_writer() -> None:
    written: list[str] = []
    assert (
        await send_once(TerminalChannel(written.append, tmux=False, why_not=""), QUESTION, 5)
        is None
    )
    assert written == [terminal_sequences(QUESTION, tmux=False)]
