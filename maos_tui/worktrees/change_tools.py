"""The LLM agent's tools that change its worktree beyond one file: `apply_patch` through
`git apply`, and `run_command` for the argv prefixes the user allowed (never a shell)."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from maos_tui.worktrees import gitcmd
from maos_tui.worktrees.confine import confined
from maos_tui.worktrees.errors import PathRefused, WorktreeError
from maos_tui.worktrees.process import run_capped

COMMAND_TIMEOUT = 300.0
COMMAND_OUTPUT_CAP = 32 * 1024
PATCH_BYTE_LIMIT = 10 * 1024 * 1024
# git apply's flags: recount the hunks (models miscount them), take whitespace as given.
_APPLY = ("apply", "--recount", "--whitespace=nowarn")


def apply_patch(root: Path, unified_diff: str) -> str:
    """Apply a unified diff (paths relative to the worktree root, `a/` `b/` prefixes) all or
    nothing. git apply itself refuses paths with `..`, absolute paths, `.git` and paths beyond
    a symbolic link."""
    if not isinstance(unified_diff, str) or not unified_diff.strip():
        raise WorktreeError("unified_diff must be a non-empty unified diff, as `git diff` prints")
    if len(unified_diff.encode("utf-8", "surrogateescape")) > PATCH_BYTE_LIMIT:
        raise WorktreeError(f"the patch is larger than {PATCH_BYTE_LIMIT} bytes")
    patch = unified_diff if unified_diff.endswith("\n") else unified_diff + "\n"
    _refuse_absolute_headers(patch)
    stat = gitcmd.git(root, *_APPLY, "--numstat", "-z", "-", input=patch, ok=(0, 1, 128))
    _refuse_failure(stat)
    files = [f for f in (i.split("\t", 2)[-1] for i in gitcmd.null_split(stat.stdout)) if f]
    for name in files:  # git apply checks these too; a second guard costs nothing
        confined(root, name)
    _refuse_failure(gitcmd.git(root, *_APPLY, "-", input=patch, ok=(0, 1, 128)))
    return f"applied to {len(files)} file{'s' if len(files) != 1 else ''}: {', '.join(files)}"


def _refuse_absolute_headers(patch: str) -> None:
    for line in patch.splitlines():
        if line.startswith(("--- /", "+++ /")) and not line[4:].startswith("/dev/null"):
            raise PathRefused(
                f"the patch names an absolute path ({line[4:].split(chr(9))[0]}): use paths "
                "relative to the worktree root with a/ and b/ prefixes, as `git diff` prints"
            )


def _refuse_failure(done: subprocess.CompletedProcess[str]) -> None:
    if done.returncode:
        reasons = [gitcmd.first_line(line) for line in done.stderr.splitlines() if line.strip()]
        detail = "; ".join(reasons[:5]) or "git apply failed"
        raise WorktreeError(f"the patch does not apply, nothing was changed: {detail}")


def allowed(argv: Sequence[str], allowed_commands: Sequence[Sequence[str]]) -> bool:
    return any(
        len(prefix) > 0 and list(argv[: len(prefix)]) == list(prefix) for prefix in allowed_commands
    )


def run_command(
    root: Path,
    argv: object,
    *,
    allowed_commands: Sequence[Sequence[str]],
    timeout: float = COMMAND_TIMEOUT,
    cap: int = COMMAND_OUTPUT_CAP,
    env: Mapping[str, str] | None = None,
) -> str:
    """Run argv in the worktree when it starts with an allowed prefix; its exit status and
    output (head and tail within the cap)."""
    if not isinstance(argv, list) or not argv or not all(isinstance(a, str) and a for a in argv):
        raise WorktreeError('argv must be a list of strings, e.g. ["pytest", "-q"]')
    if not allowed(argv, allowed_commands):
        choices = " | ".join(shlex.join(p) for p in allowed_commands) or "none are configured"
        raise WorktreeError(
            f"{shlex.join(argv[:3])} is not allowed: argv must start with one of: {choices}"
        )
    ran = run_capped(argv, root, timeout=timeout, cap=cap, env=env)
    status = f"timed out after {timeout:g} s" if ran.returncode is None else ran.status()
    return f"$ {shlex.join(argv)}\n[{status}]\n{ran.output}".rstrip()
