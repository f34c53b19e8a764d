"""The LLM agent's file tools over its worktree: list, read, search and write, each confined
to the worktree and bounded in what it returns. Plain strings in, strings out."""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
from pathlib import Path

from maos_tui.worktrees import gitcmd
from maos_tui.worktrees.confine import confined, relative
from maos_tui.worktrees.errors import WorktreeError

LIST_LIMIT = 500
READ_LINE_LIMIT = 2000
READ_BYTE_LIMIT = 2 * 1024 * 1024
OUTPUT_CHAR_LIMIT = 40_000
SEARCH_MATCH_LIMIT = 200
SEARCH_LINE_CHARS = 300
WRITE_BYTE_LIMIT = 10 * 1024 * 1024
SEARCH_TIMEOUT = 30.0


def _pathspec(root: Path, path: str | None, glob: str | None) -> list[str]:
    base = relative(root, confined(root, path or "."))
    prefix = "" if base == "." else f"{base}/"
    if glob is None:
        return [] if base == "." else [f":(literal){base}"]
    if not isinstance(glob, str) or not glob or glob.startswith(("/", ":")) or ".." in glob:
        raise WorktreeError(f"glob {glob!r} must be relative, e.g. '*.py' or 'src/**/*.ts'")
    # A glob without a folder ("*.py") matches at any depth, as models expect.
    pattern = glob if "/" in glob else f"**/{glob}"
    return [f":(glob){prefix}{pattern}"]


def list_files(root: Path, path: str | None = None, glob: str | None = None) -> str:
    """Files under `path` (tracked, or new and not ignored), optionally matching `glob`."""
    spec = _pathspec(root, path, glob)
    listed = gitcmd.git(
        root, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *spec
    ).stdout
    files = sorted({f for f in gitcmd.null_split(listed) if (root / f).exists()})
    if not files:
        return "no files match"
    shown = "\n".join(files[:LIST_LIMIT])
    more = len(files) - LIST_LIMIT
    return f"{shown}\n... and {more} more: narrow with path or glob" if more > 0 else shown


def read_file(root: Path, path: str, start: int | None = None, end: int | None = None) -> str:
    """Lines `start`..`end` (1-based, inclusive) of a file, each prefixed with its number."""
    target = confined(root, path)
    rel = relative(root, target)
    if not target.is_file():
        raise WorktreeError(f"{rel!r} is not a file: list_files shows what exists")
    for name, value in (("start", start), ("end", end)):
        if value is not None and (not isinstance(value, int) or value < 1):
            raise WorktreeError(f"{name} must be a line number of at least 1, not {value!r}")
    with target.open("rb") as handle:
        data = handle.read(READ_BYTE_LIMIT + 1)
    if b"\0" in data[:8192]:
        return f"{rel} is a binary file of {target.stat().st_size} bytes: not shown"
    lines = data[:READ_BYTE_LIMIT].decode("utf-8", errors="replace").splitlines()
    first = start or 1
    last = min(end or len(lines), len(lines), first + READ_LINE_LIMIT - 1)
    if lines and first > len(lines):
        raise WorktreeError(f"{rel} has {len(lines)} lines: start must be at most {len(lines)}")
    body = "\n".join(f"{n}\t{lines[n - 1]}" for n in range(first, last + 1))
    notes = []
    if last < (end or len(lines)) or len(data) > READ_BYTE_LIMIT:
        notes.append(f"[shown lines {first}-{last}; ask with start={last + 1} for more]")
    return _bounded("\n".join([body, *notes]) if body else f"{rel} is empty")


def search(root: Path, regex: str, glob: str | None = None) -> str:
    """`path:line:text` for lines of tracked files matching a Perl-style regex."""
    if not isinstance(regex, str) or not regex:
        raise WorktreeError("regex must be a non-empty string")
    argv = ["git", "grep", "-n", "-I", "--no-color", "-P", "-e", regex, "--"]
    argv += _pathspec(root, None, glob)
    child = subprocess.Popen(
        argv, cwd=root, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=gitcmd.git_env(),
    )  # fmt: skip
    assert child.stdout is not None and child.stderr is not None
    expired = threading.Event()
    # A read from the pipe has no timeout of its own: the timer ends git, which ends the read.
    timer = threading.Timer(SEARCH_TIMEOUT, lambda: (expired.set(), child.kill()))
    timer.start()
    matches: list[str] = []
    try:
        for raw in child.stdout:
            if len(matches) == SEARCH_MATCH_LIMIT:
                matches.append("... more matches not shown: narrow the regex or the glob")
                break
            line = raw.decode("utf-8", errors="replace").rstrip("\n")
            cut = len(line) > SEARCH_LINE_CHARS
            matches.append(line[:SEARCH_LINE_CHARS] + "…" if cut else line)
        else:  # git finished (or was stopped): only then is its exit status known
            child.wait()
            if child.returncode not in (0, 1) and not expired.is_set() and not matches:
                reason = gitcmd.first_line(child.stderr.read().decode("utf-8", "replace"))
                raise WorktreeError(f"invalid search: {reason}")
    finally:
        timer.cancel()
        child.kill()
        child.wait()
        child.stdout.close()
        child.stderr.close()
    if expired.is_set():
        matches.append(f"[search stopped after {SEARCH_TIMEOUT:g} s: narrow the regex or glob]")
    return _bounded("\n".join(matches)) if matches else "no matches"


def write_file(root: Path, path: str, content: str) -> str:
    """Create or replace a file (its folders are made), atomically."""
    if not isinstance(content, str):
        raise WorktreeError("content must be a string")
    target = confined(root, path)
    rel = relative(root, target)
    if rel == "." or target.is_dir():
        raise WorktreeError(f"{path!r} is a folder: give a file path, e.g. '{path}/new.py'")
    data = content.encode("utf-8")
    if len(data) > WRITE_BYTE_LIMIT:
        raise WorktreeError(f"content is {len(data)} bytes; at most {WRITE_BYTE_LIMIT} are allowed")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        mode = target.stat().st_mode & 0o7777 if target.exists() else None
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            if mode is not None:
                os.chmod(temp, mode)
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise WorktreeError(f"cannot write {rel}: {exc.strerror or exc}") from exc
    return f"wrote {len(data)} bytes to {rel}"


def _bounded(text: str) -> str:
    if len(text) <= OUTPUT_CHAR_LIMIT:
        return text
    return text[:OUTPUT_CHAR_LIMIT] + f"\n[output cut at {OUTPUT_CHAR_LIMIT} characters]"
