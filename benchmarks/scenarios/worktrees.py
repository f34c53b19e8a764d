"""worktree-create: a new task's worktree, ready (found, cut, prepared) on a repository of
10,000 files."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks.harness import Measured, Options, Target, median, p95, scenario, summary

FILES = 10_000
FOLDERS = 100


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, timeout=600)


def _make_repo(root: Path) -> None:
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    _git(root, "config", "user.name", "Bench")
    _git(root, "config", "user.email", "bench@example.com")
    for i in range(FILES):
        folder = root / f"pkg{i % FOLDERS:03d}"
        folder.mkdir(exist_ok=True)
        (folder / f"module{i:05d}.py").write_text(f"VALUE = {i}\n\ndef f():\n    return VALUE\n")
    (root / ".gitignore").write_text(".env\n")
    (root / ".env").write_text("SECRET=1\n")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "10k files")
    # Packed, as a cloned or long-used repository is: a checkout from 10k loose objects would
    # measure a state users' repositories are not in.
    _git(root, "repack", "-adq")


def _ready(repo_root: Path, number: int) -> None:
    from maos_tui.worktrees import ensure_worktree, find_repo, prepare_worktree

    repo = find_repo(repo_root)
    tree = ensure_worktree(repo, f"TASK-{number}", f"Benchmark task {number}")
    prepare_worktree(repo, tree, copy=[".env"])


@scenario("worktree-create", "a new task's worktree on a 10k-file repository, p95", Target(1, "s"))
def worktree_create(options: Options) -> Measured:
    runs = options.runs(10, 2)
    with tempfile.TemporaryDirectory(prefix="maos-bench-wt-") as scratch:
        repo_root = Path(scratch) / "repo"
        _make_repo(repo_root)
        samples, bare = [], []
        for number in range(1, runs + 1):
            # Each sample starts with nothing waiting to be written back: otherwise the kernel
            # throttles a checkout for the previous one's 10k files.
            os.sync()
            start = time.perf_counter()
            _ready(repo_root, number)
            samples.append(time.perf_counter() - start)
            # git's own checkout of the same tree, interleaved: the part no wrapper can save.
            os.sync()
            start = time.perf_counter()
            _git(repo_root, "worktree", "add", "-q", "--detach", f"{scratch}/bare{number}")
            bare.append(time.perf_counter() - start)
    return Measured(
        p95(samples),
        f"{summary(samples, 's')}; bare `git worktree add` median {median(bare):.3g} s; "
        f"{FILES} files, .env copied",
    )
