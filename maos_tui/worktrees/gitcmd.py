"""Running git: argv only (never a shell), with a timeout, its failures as one-line errors."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from maos_tui.worktrees.errors import WorktreeError

GIT_TIMEOUT = 60.0
# Commands that write a whole checkout (worktree add/remove, a fast-forward of the main
# checkout) scale with the repository's size.
CHECKOUT_TIMEOUT = 900.0

# Variables a git hook or a parent git sets that would point our commands at another repository.
_REPO_VARIABLES = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_PREFIX",
    "GIT_NAMESPACE",
)


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _REPO_VARIABLES}
    # English messages (we show their first line), no prompt for credentials, and no
    # optional lock: `git status` run by us must never make an agent hit index.lock.
    env.update(LC_ALL="C", GIT_TERMINAL_PROMPT="0", GIT_OPTIONAL_LOCKS="0")
    env.update(extra or {})
    return env


def first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line.removeprefix("fatal: ").removeprefix("error: ")
    return ""


def run(
    argv: Sequence[str],
    cwd: Path,
    *,
    timeout: float = GIT_TIMEOUT,
    input: str | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a program (git or a configured argv) and capture its output; raise only if it
    cannot start or times out."""
    try:
        return subprocess.run(
            list(argv),
            cwd=cwd,
            input=input,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="surrogateescape",
            timeout=timeout,
            env=dict(env) if env is not None else git_env(),
            stdin=None if input is not None else subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise WorktreeError(f"{argv[0]} {_verb(argv)}took longer than {timeout:g} s") from exc
    except FileNotFoundError as exc:
        if not cwd.is_dir():
            raise WorktreeError(f"folder {cwd} does not exist") from exc
        raise WorktreeError(f"{argv[0]} is not installed (not found on PATH)") from exc
    except OSError as exc:
        raise WorktreeError(f"cannot run {argv[0]}: {exc.strerror or exc}") from exc


def _verb(argv: Sequence[str]) -> str:
    words = [a for a in argv[1:3] if not a.startswith("-")]
    return f"{words[0]} " if words else ""


def git(
    cwd: Path,
    *args: str,
    timeout: float = GIT_TIMEOUT,
    input: str | None = None,
    env: Mapping[str, str] | None = None,
    ok: Sequence[int] = (0,),
) -> subprocess.CompletedProcess[str]:
    """`git args...` in cwd; an exit code not in `ok` raises a WorktreeError naming git's reason."""
    done = run(["git", *args], cwd, timeout=timeout, input=input, env=git_env(env))
    if done.returncode not in ok:
        reason = first_line(done.stderr) or first_line(done.stdout) or f"exit {done.returncode}"
        raise WorktreeError(f"git {_verb(['git', *args])}failed: {reason}")
    return done


def out(cwd: Path, *args: str, timeout: float = GIT_TIMEOUT) -> str:
    """The stripped stdout of a git command that must succeed."""
    return git(cwd, *args, timeout=timeout).stdout.strip()


def commit_sha(cwd: Path, ref: str) -> str | None:
    """The commit `ref` names, None when it names none."""
    done = git(
        cwd, "rev-parse", "--verify", "-q", "--end-of-options", f"{ref}^{{commit}}", ok=(0, 1)
    )
    return done.stdout.strip() or None


def null_split(text: str) -> list[str]:
    return [part for part in text.split("\0") if part]
