"""`msg`, `notify`, `doc` and `search` through the real `maos-tui` program."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from maos_tui.store import Store
from tests.conftest import Cli


@pytest.fixture
def task(cli: Cli) -> str:
    cli.ok("init")
    cli.ok("agent", "add", "coder", "--model", "openai/x")
    return cli.ok("task", "add", "Parser").strip()


def thread(cli: Cli, task_id: str) -> list[dict]:
    return json.loads(cli.ok("msg", "list", task_id, "--json"))


def test_post_and_list_a_thread(cli: Cli, task: str) -> None:
    posted = json.loads(
        cli.ok("msg", "post", task, "Which format?", "--type", "question", "--json")
    )
    assert posted["warnings"] == []
    cli.ok("msg", "post", task.lower(), "JSON", "--type", "answer", "--reply-to", str(posted["id"]))
    got = thread(cli, task)
    assert [(m["author"], m["type"], m["text"], m["reply_to"]) for m in got] == [
        ("human", "question", "Which format?", None),
        ("human", "answer", "JSON", posted["id"]),
    ]
    assert set(got[0]) == {"id", "task_id", "author", "type", "text", "reply_to", "created_at"}
    text = cli.ok("msg", "list", task)
    assert f"#{posted['id'] + 1} human [answer] ↳ #{posted['id']}" in text


def test_message_text_from_stdin(cli: Cli, task: str) -> None:
    result = cli("msg", "post", task, "-", input="line one\nline two\n")
    assert result.returncode == 0, result.stderr
    assert thread(cli, task)[0]["text"] == "line one\nline two"


def test_unknown_mention_is_kept_with_a_warning(cli: Cli, task: str) -> None:
    result = cli("msg", "post", task, "@coder and @nobody")
    assert result.returncode == 0
    assert result.stderr.strip() == (
        "warning: @nobody is not an agent or the user; kept as plain text"
    )
    assert thread(cli, task)[0]["text"] == "@coder and @nobody"


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("msg", "post", "TASK-001", "  "), "error: message is empty"),
        (("msg", "post", "TASK-042", "hi"), "error: unknown task TASK-042"),
        (("msg", "post", "TASK-002", "hi", "--reply-to", "1"), "belongs to TASK-001, not TASK-002"),
        (("msg", "post", "TASK-001", "hi", "--reply-to", "9"), "error: unknown message 9"),
        (("msg", "post", "TASK-001", "hi", "--type", "rant"), "unknown message type 'rant'"),
        (("msg", "post", "nope", "hi"), "invalid task ID 'nope'"),
    ],
)
def test_bad_messages_are_one_line_errors_and_change_nothing(
    cli: Cli, task: str, args: tuple, error: str
) -> None:
    cli.ok("task", "add", "Other")
    cli.ok("msg", "post", task, "first")
    assert error in cli.error(*args)
    assert [m["text"] for m in thread(cli, task)] == ["first"]
    assert thread(cli, "TASK-002") == []


async def test_human_notifications_list_and_read(cli: Cli, task: str, store: Store) -> None:
    cli.ok("msg", "post", task, "@human: people are not notified of their own mentions")
    assert json.loads(cli.ok("notify", "list", "--json")) == []
    # An agent's messages, through the service the agent tools use.
    await store.messages.post(task, "coder", "done, @human please check")
    await store.messages.post(task, "coder", "JSON or CSV?", type="question")
    notes = json.loads(cli.ok("notify", "list", "--unread", "--json"))
    assert [n["text"][:40] for n in notes] == [
        "coder mentioned you in the thread of TAS",
        "coder mentioned you in the thread of TAS",
    ]
    assert set(notes[0]) == {
        "id", "recipient", "task_id", "message_id", "text", "created_at", "delivered_at", "read_at",
    }  # fmt: skip
    newest, oldest = (n["id"] for n in notes)
    assert cli.error("notify", "read", str(oldest), "99") == "error: unknown notification 99"
    assert len(json.loads(cli.ok("notify", "list", "--unread", "--json"))) == 2
    assert cli.ok("notify", "read", str(oldest)).strip() == "marked 1 read"
    assert [n["id"] for n in json.loads(cli.ok("notify", "list", "--unread", "--json"))] == [newest]
    assert cli.ok("notify", "read", "--all").strip() == "marked 1 read"
    assert "* " not in cli.ok("notify", "list")
    cli.error("notify", "read")


def test_documents_versions_show_diff_and_export(cli: Cli, task: str, tmp_path: Path) -> None:
    source = tmp_path / "spec.md"
    source.write_text("# Spec\nold line\n")
    first = json.loads(
        cli.ok("doc", "add", task, "--title", "../../etc/passwd", "--file", str(source), "--json")
    )
    source.write_text("# Spec\nnew line\n")
    second = json.loads(
        cli.ok("doc", "add", task, "--title", "../../etc/passwd", "--file", str(source), "--json")
    )
    assert (first["id"], first["version"], second["id"], second["version"]) == (1, 1, 1, 2)
    assert not (cli.workspace / "etc").exists()  # a title is text, never a path
    listed = json.loads(cli.ok("doc", "list", "--task", task, "--json"))
    assert [(d["ref"], d["latest"], "content" in d) for d in listed] == [("DOC-1", 2, False)]
    shown = json.loads(cli.ok("doc", "show", "DOC-1", "--version", "1", "--json"))
    assert (shown["content"], [v["version"] for v in shown["versions"]]) == (
        "# Spec\nold line\n",
        [1, 2],
    )
    diff = cli.ok("doc", "diff", "1", "1")
    assert "-old line" in diff and "+new line" in diff
    target = tmp_path / "out" / "spec.md"
    target.parent.mkdir()
    cli.ok("doc", "export", "DOC-1", str(target), "--version", "1")
    assert target.read_text() == "# Spec\nold line\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["spec.md"]
    assert "exists; use --force" in cli.error("doc", "export", "DOC-1", str(target))
    cli.ok("doc", "export", "DOC-1", str(target), "--force")
    assert target.read_text() == "# Spec\nnew line\n"


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"\xff\xfeoops", "is not UTF-8 text"),
        (b"x" * (5 * 1024 * 1024 + 1), "is 5.0 MB (documents are at most 5 MB)"),
    ],
    ids=["not-utf8", "too-big"],  # the ids land in the subprocess env: keep them short
)
def test_bad_document_files_change_nothing(
    cli: Cli, task: str, tmp_path: Path, content: bytes, error: str
) -> None:
    source = tmp_path / "doc.bin"
    source.write_bytes(content)
    assert error in cli.error("doc", "add", task, "--title", "T", "--file", str(source))
    assert json.loads(cli.ok("doc", "list", "--json")) == []


def test_document_lookups_fail_clearly(cli: Cli, task: str, tmp_path: Path) -> None:
    source = tmp_path / "a.md"
    source.write_text("a")
    missing = tmp_path / "missing.md"
    assert "cannot read" in cli.error("doc", "add", task, "--title", "T", "--file", str(missing))
    cli.ok("doc", "add", task, "--title", "T", "--file", str(source))
    assert cli.error("doc", "show", "DOC-1", "--version", "4") == (
        "error: DOC-1 has no version 4 (versions 1 to 1)"
    )
    assert cli.error("doc", "show", "DOC-8") == "error: unknown document DOC-8"
    assert "is a folder" in cli.error("doc", "export", "DOC-1", str(tmp_path))
    assert "no version 9" in cli.error(
        "doc", "export", "DOC-1", str(tmp_path / "x"), "--version", "9"
    )
    assert not (tmp_path / "x").exists()
    assert "unknown document type" in cli.error(
        "doc", "add", task, "--title", "T", "--file", str(source), "--type", "memo"
    )


def test_search_ranks_and_returns_json(cli: Cli, task: str) -> None:
    cli.ok("task", "add", "Cleanup", "--description", "the parser is slow")
    cli.ok("msg", "post", task, "parser thoughts")
    hits = json.loads(cli.ok("search", "parser", "--json"))
    assert hits[0]["ref"] == "TASK-001"  # the only title match
    assert {(h["kind"], h["ref"]) for h in hits[1:]} == {("task", "TASK-002"), ("message", "1")}
    assert set(hits[0]) == {"kind", "ref", "task_id", "title", "snippet", "score"}
    assert "TASK-001" in cli.ok("search", "pars")
    assert cli.error("search", "!!!") == "error: search text is empty (give at least one word)"


def test_configured_user_name_notifies_the_person(cli: Cli, task: str) -> None:
    (cli.workspace / ".maos" / "config.toml").write_text('user_name = "ada"\n')
    cli.ok("task", "add", "Review", "--description", "@ada and @coder, have a look")
    posted = cli("msg", "post", task, "@ada counts as a name, not a warning")
    assert posted.returncode == 0 and posted.stderr == ""
