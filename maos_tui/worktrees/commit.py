"""The end of a run: everything the agent left uncommitted becomes a commit on its branch."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from maos_tui.worktrees import gitcmd
from maos_tui.worktrees.names import canonical_task_id
from maos_tui.worktrees.porcelain import changed_paths

AGENT_EMAIL_DOMAIN = "maos.local"
# Who commits when the user has no git identity: git would refuse to commit at all.
FALLBACK_IDENTITY = ("maos-tui", f"maos@{AGENT_EMAIL_DOMAIN}")

_NOT_EMAIL = re.compile(r"[^A-Za-z0-9._+-]+")
_NOT_NAME = re.compile(r"[<>\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class Committed:
    sha: str | None  # None: the run changed nothing
    files: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.sha is not None

    def summary(self) -> str:
        """What the card says about the run's changes."""
        if self.sha is None:
            return "no changes"
        count = len(self.files)
        return f"committed {count} file{'s' if count != 1 else ''} as {self.sha[:10]}"


def agent_identity(agent: str) -> tuple[str, str]:
    """`coder` -> (`coder`, `coder@maos.local`), whatever characters the agent's name holds."""
    name = " ".join(_NOT_NAME.sub(" ", agent).split()) or "agent"
    local = _NOT_EMAIL.sub("-", agent).strip(".-") or "agent"
    return name, f"{local}@{AGENT_EMAIL_DOMAIN}"


def agent_author(agent: str) -> str:
    name, email = agent_identity(agent)
    return f"{name} <{email}>"


def commit_message(task_id: str, title: str, body: str = "") -> str:
    subject = f"{canonical_task_id(task_id)}: {' '.join(title.split())}"
    body = body.strip()
    return f"{subject}\n\n{body}\n" if body else f"{subject}\n"


def identity_env(cwd: Path) -> dict[str, str]:
    """Committer variables for git, only when the user has set no identity of their own."""
    done = gitcmd.git(cwd, "config", "user.email", ok=(0, 1))
    if done.stdout.strip():
        return {}
    name, email = FALLBACK_IDENTITY
    return {"GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email,
            "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email}  # fmt: skip


def commit_all(
    worktree: Path, task_id: str, title: str, *, agent: str, summary: str = ""
) -> Committed:
    """Commit every change in the worktree (new files included, ignored files not), with
    `TASK-007: <title>` as subject, the agent's summary as body and the agent as author.
    Hooks are skipped: a failing pre-commit hook must not leave work only in a working tree."""
    files = changed_paths(worktree)
    if not files:
        return Committed(None)
    gitcmd.git(worktree, "add", "--all")
    gitcmd.git(
        worktree,
        "-c",
        "commit.gpgsign=false",
        "commit",
        "--quiet",
        "--no-verify",
        "--allow-empty-message",
        f"--author={agent_author(agent)}",
        "--file=-",
        input=commit_message(task_id, title, summary),
        env=identity_env(worktree),
    )
    return Committed(gitcmd.out(worktree, "rev-parse", "HEAD"), sorted(set(files)))
