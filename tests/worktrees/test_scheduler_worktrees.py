"""The scheduler runs each task's agent in the task's own worktree (`maos-tui run` as a real
process, stand-in coding agents that check the MAOS_* variables): commits at the end of every
run, review before done, approval merging, conflicts and the run that resolves them."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Cli
from tests.worktrees.conftest import commit_file, git
from tests.worktrees.scheduled import coder, run_until_idle, runs_of, setup, task


def test_a_run_commits_its_work_on_the_branch_and_waits_for_the_persons_review(
    cli: Cli, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    ws = setup(cli, coder("coder", "edit", log))
    tid = cli.ok("task", "add", "Write the notes").strip()
    run_until_idle(cli)  # a task waiting for the person's review is not work left
    shown = task(cli, tid)
    assert shown["status"] == "review", shown
    branch = shown["branch"]
    assert branch["branch"] == f"maos/{tid}-write-the-notes" and branch["change"] == "changes"
    assert branch["worktree"] == str(ws / ".maos" / "worktrees" / tid)
    assert branch["base"] == "main" and branch["base_sha"] == git(ws, "rev-parse", "main")
    assert not (ws / f"{tid}.txt").exists(), "the agent wrote in the main checkout"
    message = git(ws, "log", "-1", "--format=%s%n%b%an", branch["branch"])
    assert message.splitlines() == [f"{tid}: Write the notes", f"edit done for {tid}", "coder"]
    assert git(Path(branch["worktree"]), "status", "--porcelain") == ""
    [run] = runs_of(log, tid)
    assert run["cwd"] == branch["worktree"] and "You work in your own git worktree" in str(run)

    cli.ok("task", "approve", tid)
    assert (ws / f"{tid}.txt").read_text() == f"work of {tid}\n"
    assert task(cli, tid)["status"] == "done"


def test_a_run_that_changes_nothing_is_done_with_no_changes(cli: Cli, tmp_path: Path) -> None:
    setup(cli, coder("coder", "nothing", tmp_path / "log"))
    tid = cli.ok("task", "add", "Look around").strip()
    run_until_idle(cli)
    shown = task(cli, tid)
    assert shown["status"] == "done" and shown["branch"]["change"] == "no changes"


def test_an_agents_own_commit_is_kept_and_reviewed(cli: Cli, tmp_path: Path) -> None:
    ws = setup(cli, coder("coder", "commit", tmp_path / "log"))
    tid = cli.ok("task", "add", "Commit it yourself").strip()
    run_until_idle(cli)
    shown = task(cli, tid)
    assert shown["status"] == "review" and shown["branch"]["change"] == "changes"
    assert git(ws, "log", "-1", "--format=%s", shown["branch"]["branch"]) == "my own commit"


def test_a_reviewer_agent_gets_the_diff_and_auto_merge_lands_its_approval(
    cli: Cli, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    config = coder("coder", "edit", log) + coder(
        "checker", "nothing", log, table='capabilities = ["review"]'
    )
    ws = setup(cli, config + "[workspace]\nauto_merge = true\n")
    tid = cli.ok("task", "add", "Reviewed work", "--assign", "coder").strip()
    run_until_idle(cli)
    review = (log / f"{tid}.review").read_text()
    assert f"+++ b/{tid}.txt" in review and f"+work of {tid}" in review
    shown = task(cli, tid)
    assert shown["status"] == "done", shown
    assert shown["branch"]["approved_by"] == "checker"
    assert shown["branch"]["merge_commit"] == git(ws, "rev-parse", "main")
    assert (ws / f"{tid}.txt").exists()


def test_without_auto_merge_an_agents_approval_waits_for_the_person(
    cli: Cli, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    config = coder("coder", "edit", log) + coder(
        "checker", "nothing", log, table='capabilities = ["review"]'
    )
    setup(cli, config)
    tid = cli.ok("task", "add", "Reviewed work", "--assign", "coder").strip()
    run_until_idle(cli)
    shown = task(cli, tid)
    assert shown["status"] == "review" and shown["branch"]["approved_by"] == "checker"
    assert len([r for r in runs_of(log, tid) if r["kind"] == "review"]) == 1  # not again
    cli.ok("task", "merge", tid)
    assert task(cli, tid)["status"] == "done"


def test_a_conflict_is_resolved_by_the_authors_conflict_run_in_the_same_worktree(
    cli: Cli, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    ws = setup(cli, coder("coder", "resolve", log))
    tid = cli.ok("task", "add", "Rewrite the readme", "--assign", "coder").strip()
    run_until_idle(cli)
    worktree = task(cli, tid)["branch"]["worktree"]
    commit_file(ws, "README.md", "the base moved on\n", "base edits the readme")
    assert "README.md" in cli.error("task", "approve", tid)
    assert task(cli, tid)["branch"]["conflict"] == ["README.md"]
    cli.ok("task", "rebase", tid)
    run_until_idle(cli)
    first, second = runs_of(log, tid)
    assert second["context"]["conflict"]["files"] == ["README.md"]
    assert first["cwd"] == second["cwd"] == worktree
    shown = task(cli, tid)
    assert shown["status"] == "review" and shown["branch"]["conflict"] == []
    cli.ok("task", "approve", tid)
    assert (ws / "README.md").read_text() == "resolved by the agent\n"


def test_changes_requested_send_the_task_back_with_the_feedback_slot(
    cli: Cli, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    setup(cli, coder("coder", "edit", log))
    tid = cli.ok("task", "add", "Try again").strip()
    run_until_idle(cli)
    assert task(cli, tid)["status"] == "review"
    # What the diff screen's `R` does, through the same service.
    import asyncio

    from maos_tui.branch_review import Branches
    from maos_tui.config_schema import WorkspaceSettings
    from maos_tui.store import Store

    async def request() -> None:
        store = await Store.open(f"sqlite+aiosqlite:///{cli.workspace / '.maos' / 'state.db'}")
        try:
            await Branches(store, cli.workspace, WorkspaceSettings()).request_changes(
                tid, note="rename the file"
            )
        finally:
            await store.close()

    asyncio.run(request())
    run_until_idle(cli)
    first, second = runs_of(log, tid)
    assert "review_feedback" not in first["context"]
    assert second["context"]["review_feedback"] == []
    assert first["cwd"] == second["cwd"]
    assert task(cli, tid)["status"] == "review"


def test_a_failed_setup_fails_the_run_with_its_output(cli: Cli, tmp_path: Path) -> None:
    log = tmp_path / "log"
    setup_argv = '["sh", "-c", "echo installing; echo broken lockfile >&2; exit 3"]'
    setup(cli, coder("coder", "edit", log) + f"[workspace]\nsetup = {setup_argv}\n")
    tid = cli.ok("task", "add", "Needs setup").strip()
    run_until_idle(cli)
    shown = task(cli, tid)
    assert shown["status"] == "failed", shown
    [error] = [line for line in cli.ok("task", "show", tid).splitlines() if "last error:" in line]
    assert "setup sh -c" in error and "broken lockfile" in error
    assert runs_of(log, tid) == []  # the agent never ran in an unprepared worktree


def test_a_subtask_gets_its_own_worktree(cli: Cli, tmp_path: Path) -> None:
    log = tmp_path / "log"
    setup(cli, coder("coder", "edit", log))
    parent = cli.ok("task", "add", "Parent").strip()
    child = cli.ok("task", "add", "Child", "--parent", parent).strip()
    run_until_idle(cli)
    trees = {t: task(cli, t)["branch"]["worktree"] for t in (parent, child)}
    assert trees[parent] != trees[child] and trees[child].endswith(child)
