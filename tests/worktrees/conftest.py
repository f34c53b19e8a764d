"""Real git repositories in tmp_path for the worktree layer's tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from maos_tui.worktrees import Repo, Worktree, ensure_worktree, find_repo

IDENTITY = {
    "GIT_AUTHOR_NAME": "Ada",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_COMMITTER_NAME": "Ada",
    "GIT_COMMITTER_EMAIL": "ada@example.com",
}


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout.strip()


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def commit_file(root: Path, rel: str, text: str, message: str | None = None) -> str:
    write(root, rel, text)
    git(root, "add", "--", rel)
    git(root, "commit", "-q", "-m", message or f"edit {rel}")
    return git(root, "rev-parse", "HEAD")


def make_repo(path: Path) -> Path:
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.name", "Ada")
    git(path, "config", "user.email", "ada@example.com")
    write(path, ".gitignore", ".env\n*.local.toml\nbuild/\n")
    write(path, "README.md", "hello\n")
    write(path, "src/app.py", "".join(f"line {i}\n" for i in range(1, 21)))
    git(path, "add", ".")
    git(path, "commit", "-q", "-m", "first")
    commit_file(path, "src/util.py", "def util():\n    return 1\n", "second")
    return path


@pytest.fixture
def repo_path(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "project")


@pytest.fixture
def repo(repo_path: Path) -> Repo:
    return find_repo(repo_path)


@pytest.fixture
def task_tree(repo: Repo) -> Worktree:
    return ensure_worktree(repo, "TASK-007", "Add a feature")


def head(root: Path, ref: str = "HEAD") -> str:
    return git(root, "rev-parse", ref)


def branches(root: Path) -> list[str]:
    return git(root, "for-each-ref", "--format=%(refname:short)", "refs/heads").splitlines()
