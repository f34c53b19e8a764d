"""The LLM agent's worktree tools: what they do, and every path escape through each of them
refused with an error the model can act on, nothing outside the worktree read or changed."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from maos_tui.worktrees import Worktree, files_tools
from maos_tui.worktrees.toolbox import WorktreeToolbox
from tests.worktrees.conftest import git, write

SECRET = "TOP-SECRET-OUTSIDE"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    write(folder, "secret.txt", SECRET + "\n")
    return folder


@pytest.fixture
def box(task_tree: Worktree, outside: Path) -> WorktreeToolbox:
    os.symlink(outside, task_tree.path / "link_dir")
    os.symlink(outside / "secret.txt", task_tree.path / "link_file")
    return WorktreeToolbox(
        task_tree.path, allowed_commands=[[sys.executable, "-c"], ["git", "status"]]
    )


def outside_unchanged(outside: Path) -> None:
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    assert (outside / "secret.txt").read_text() == SECRET + "\n"


ESCAPES = {
    "absolute": ("/etc/passwd", "absolute path"),
    "home": ("~/x", "absolute path"),
    "dotdot": ("../outside/secret.txt", "contains '..'"),
    "inner dotdot": ("src/../../outside/secret.txt", "contains '..'"),
    "symlinked folder": ("link_dir/secret.txt", "symbolic link"),
    "symlinked file": ("link_file", "symbolic link"),
    "git data": (".git", ".git, git's own data"),
}


@pytest.mark.parametrize("case", list(ESCAPES))
@pytest.mark.parametrize("tool", ["list_files", "read_file", "write_file"])
def test_each_path_escape_is_refused_by_each_path_tool(
    box: WorktreeToolbox, outside: Path, tool: str, case: str
) -> None:
    path, reason = ESCAPES[case]
    args: dict[str, object] = {"path": path}
    if tool == "write_file":
        args["content"] = "pwned\n"
    result = box.call(tool, args)
    assert result.startswith("error: ") and reason in result, result
    assert SECRET not in result and "\n" not in result
    outside_unchanged(outside)


@pytest.mark.parametrize("glob", ["../*", "/etc/*", ":(top)*", "../**/*.txt"])
@pytest.mark.parametrize("tool", ["list_files", "search"])
def test_a_glob_cannot_leave_the_worktree(
    box: WorktreeToolbox, outside: Path, tool: str, glob: str
) -> None:
    args = {"glob": glob} if tool == "list_files" else {"regex": "SECRET", "glob": glob}
    result = box.call(tool, args)
    assert result.startswith("error: glob") and "must be relative" in result, result


def test_search_never_reads_through_a_tracked_symlink(
    box: WorktreeToolbox, task_tree: Worktree, outside: Path
) -> None:
    git(task_tree.path, "add", "link_file", "link_dir")
    assert box.call("search", {"regex": "TOP-SECRET"}) == "no matches"


PATCH_ESCAPES = {
    "dotdot": ("../outside/new.txt", "contains '..'"),
    "absolute": ("/tmp/maos-escape.txt", "absolute path"),
    "through a symlink": ("link_dir/new.txt", "symbolic link"),
    "git hooks": (".git/hooks/pre-commit", "git's own data"),
}


@pytest.mark.parametrize("case", list(PATCH_ESCAPES))
def test_apply_patch_refuses_each_escape(
    box: WorktreeToolbox, task_tree: Worktree, outside: Path, case: str
) -> None:
    target, reason = PATCH_ESCAPES[case]
    a, b = ("/dev/null", target) if target.startswith("/") else ("/dev/null", f"b/{target}")
    patch = f"--- {a}\n+++ {b}\n@@ -0,0 +1 @@\n+pwned\n"
    result = box.call("apply_patch", {"unified_diff": patch})
    assert result.startswith("error: "), result
    assert reason in result and "\n" not in result, result
    outside_unchanged(outside)
    assert not Path("/tmp/maos-escape.txt").exists()
    assert git(
        task_tree.path, "status", "--porcelain", "--untracked-files=all"
    ) == "?? link_dir\n?? link_file".replace("\\n", "\n")
    assert not (task_tree.path / ".git").is_dir()


def test_run_command_runs_only_allowed_argv_without_a_shell(
    box: WorktreeToolbox, task_tree: Worktree
) -> None:
    refused = [["rm", "-rf", "/"], ["sh", "-c", "ls"], [sys.executable], "pytest; rm -rf /", []]
    for argv in refused:
        result = box.call("run_command", {"argv": argv})
        assert result.startswith("error: "), result
    assert "is not allowed: argv must start with one of" in box.call(
        "run_command", {"argv": ["rm", "x"]}
    )
    code = "import os; print(os.getcwd()); open('made.txt', 'w').write('$(whoami)')"
    result = box.call("run_command", {"argv": [sys.executable, "-c", code]})
    assert result.splitlines()[1:3] == ["[exit 0]", str(task_tree.path)]
    assert (task_tree.path / "made.txt").read_text() == "$(whoami)"  # no shell expanded it
    failing = box.call("run_command", {"argv": [sys.executable, "-c", "raise SystemExit(3)"]})
    assert "[exit 3]" in failing


def test_run_command_has_a_timeout_and_an_output_cap(task_tree: Worktree) -> None:
    box = WorktreeToolbox(
        task_tree.path, allowed_commands=[[sys.executable]], command_timeout=1, output_cap=2000
    )
    slow = box.call(
        "run_command",
        {
            "argv": [
                sys.executable,
                "-c",
                "import time; print('started', flush=True); time.sleep(60)",
            ]
        },
    )
    assert "[timed out after 1 s]" in slow and "started" in slow
    loud = box.call("run_command", {"argv": [sys.executable, "-c", "print('A' * 100000 + 'END')"]})
    assert "bytes omitted" in loud and loud.rstrip().endswith("END") and len(loud) < 3000


def test_commands_see_the_maos_variables(task_tree: Worktree) -> None:
    box = WorktreeToolbox.for_worktree(
        task_tree, [[sys.executable, "-c"]], env={"PATH": os.environ["PATH"]}
    )
    code = "import os; print(sorted(k for k in os.environ if k.startswith('MAOS_')), os.environ['MAOS_BRANCH'])"
    result = box.call("run_command", {"argv": [sys.executable, "-c", code]})
    assert (
        result.splitlines()[-1]
        == f"['MAOS_BASE', 'MAOS_BRANCH', 'MAOS_WORKTREE'] {task_tree.branch}"
    )


def test_without_allowed_commands_run_command_is_not_offered(task_tree: Worktree) -> None:
    box = WorktreeToolbox(task_tree.path)
    names = [s.name for s in box.specs()]
    assert names == ["list_files", "read_file", "search", "write_file", "apply_patch"]
    assert box.call("run_command", {"argv": ["ls"]}).startswith(
        "error: no tool named 'run_command'"
    )


def test_the_tools_work_inside_the_worktree(box: WorktreeToolbox, task_tree: Worktree) -> None:
    assert (
        box.call("write_file", {"path": "pkg/new.py", "content": "x = 1\ny = 2\n"})
        == "wrote 12 bytes to pkg/new.py"
    )
    listed = box.call("list_files", {"glob": "*.py"}).splitlines()
    assert listed == ["pkg/new.py", "src/app.py", "src/util.py"]
    assert box.call("list_files", {"path": "src"}).splitlines() == ["src/app.py", "src/util.py"]
    assert (
        box.call("read_file", {"path": "src/app.py", "start": 2, "end": 3})
        == "2\tline 2\n3\tline 3"
    )
    assert (
        box.call("search", {"regex": r"line 1\d", "glob": "src/*.py"}).splitlines()[0]
        == "src/app.py:10:line 10"
    )
    patch = "--- a/src/util.py\n+++ b/src/util.py\n@@ -1,2 +1,2 @@\n def util():\n-    return 1\n+    return 2\n"
    assert box.call("apply_patch", {"unified_diff": patch}) == "applied to 1 file: src/util.py"
    assert (task_tree.path / "src/util.py").read_text() == "def util():\n    return 2\n"
    bad = box.call("apply_patch", {"unified_diff": patch})
    assert bad.startswith("error: the patch does not apply") and "src/util.py" in bad


def test_bad_arguments_are_errors_the_model_can_fix(box: WorktreeToolbox) -> None:
    assert box.call("read_file", {}) == "error: read_file: missing argument 'path'"
    assert (
        box.call("read_file", {"path": "src/app.py", "lines": 3})
        == "error: read_file: unknown argument 'lines'"
    )
    assert "start must be a line number" in box.call(
        "read_file", {"path": "src/app.py", "start": "1"}
    )
    assert "not a file" in box.call("read_file", {"path": "src"})
    assert "invalid search" in box.call("search", {"regex": "("})
    assert "is a folder" in box.call("write_file", {"path": "src", "content": ""})


def test_output_is_bounded(box: WorktreeToolbox, task_tree: Worktree) -> None:
    write(task_tree.path, "big.txt", "".join(f"needle {i}\n" for i in range(5000)))
    git(task_tree.path, "add", "big.txt")
    found = box.call("search", {"regex": "needle"}).splitlines()
    assert len(found) == 201 and found[-1].startswith("... more matches not shown")
    read = box.call("read_file", {"path": "big.txt"}).splitlines()
    assert len(read) == 2001 and read[-1] == "[shown lines 1-2000; ask with start=2001 for more]"


def process_gone(pid: int) -> bool:
    """Dead or a zombie (killed, awaiting a reaper that may be slow in a container)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "State:\tZ" in status


def test_run_command_leaves_no_process_behind(task_tree: Worktree) -> None:
    box = WorktreeToolbox(task_tree.path, allowed_commands=[[sys.executable]])
    code = (
        "import subprocess, sys;"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']);"
        "open('grandchild.pid', 'w').write(str(child.pid)); print('parent done')"
    )
    result = box.call("run_command", {"argv": [sys.executable, "-c", code]})
    assert "[exit 0]" in result and "parent done" in result
    pid = int((task_tree.path / "grandchild.pid").read_text())
    deadline = time.monotonic() + 30
    while not process_gone(pid):
        assert time.monotonic() < deadline, f"grandchild {pid} of run_command still runs"
        time.sleep(0.05)


def test_a_search_that_hangs_is_stopped_at_its_deadline(
    box: WorktreeToolbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stalled = tmp_path / "stalled-bin"
    stalled.mkdir()
    (stalled / "git").write_text("#!/bin/sh\necho 'src/app.py:1:first match'\nexec sleep 120\n")
    (stalled / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{stalled}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(files_tools, "SEARCH_TIMEOUT", 1.0)
    started = time.monotonic()
    result = box.call("search", {"regex": "line"})
    assert result.splitlines() == [
        "src/app.py:1:first match",
        "[search stopped after 1 s: narrow the regex or glob]",
    ]
    assert time.monotonic() - started < 60
