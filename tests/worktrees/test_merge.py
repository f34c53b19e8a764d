"""Each merge rule: the user's uncommitted changes are never touched, a conflict changes
nothing, an unchecked-out base is updated without a checkout, a checked-out one safely."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from maos_tui.worktrees import (
    DirtyCheckout,
    MergeConflict,
    Repo,
    Worktree,
    WorktreeError,
    check_merge,
    commit_all,
    ensure_worktree,
    merge_task,
    resolve_base,
)
from maos_tui.worktrees.merge import _publish
from tests.worktrees.conftest import branches, commit_file, git, head, write


def agent_work(tree: Worktree, files: dict[str, str]) -> str:
    for rel, text in files.items():
        write(tree.path, rel, text)
    done = commit_all(tree.path, tree.task_id, "Add a feature", agent="coder", summary="done")
    assert done.sha
    return done.sha


def state(repo_path: Path) -> tuple[str, str, list[str], str]:
    """Everything a refused merge must leave as it was."""
    return (
        head(repo_path, "main"),
        git(repo_path, "status", "--porcelain=v2", "--untracked-files=all"),
        branches(repo_path),
        git(repo_path, "worktree", "list", "--porcelain"),
    )


def merge(repo: Repo, tree: Worktree, **kwargs) -> object:
    return merge_task(repo, tree.task_id, "Add a feature", tree.branch, tree.base.branch, **kwargs)


def test_squash_into_the_clean_main_checkout_then_cleanup(
    repo: Repo, repo_path: Path, task_tree: Worktree
) -> None:
    agent_work(task_tree, {"src/app.py": "new app\n", "src/new.py": "print(1)\n"})
    before = head(repo_path)
    merged = merge(repo, task_tree, body="the summary", agent="coder")
    assert git(repo_path, "log", "-1", "--format=%an <%ae>|%cn") == "coder <coder@maos.local>|Ada"
    assert merged.commit == head(repo_path) != before
    assert git(repo_path, "rev-list", "--parents", "-n1", "HEAD").split() == [merged.commit, before]
    assert (
        git(repo_path, "log", "-1", "--format=%s%n%n%b") == "TASK-007: Add a feature\n\nthe summary"
    )
    assert (repo_path / "src/app.py").read_text() == "new app\n"
    assert (repo_path / "src/new.py").read_text() == "print(1)\n"
    assert git(repo_path, "status", "--porcelain") == ""
    assert merged.files == ["src/app.py", "src/new.py"]
    assert merged.removed_worktree == task_tree.path and not task_tree.path.exists()
    assert merged.deleted_branch == task_tree.branch
    assert task_tree.branch not in branches(repo_path)


def test_merge_strategy_keeps_both_parents(
    repo: Repo, repo_path: Path, task_tree: Worktree
) -> None:
    tip = agent_work(task_tree, {"a.txt": "a\n"})
    before = head(repo_path)
    merged = merge(repo, task_tree, strategy="merge")
    assert git(repo_path, "rev-list", "--parents", "-n1", "HEAD").split() == [
        merged.commit,
        before,
        tip,
    ]


def test_rebase_strategy_replays_the_agents_commits_on_a_moved_base(
    repo: Repo, repo_path: Path, task_tree: Worktree
) -> None:
    agent_work(task_tree, {"a.txt": "a\n"})
    agent_work(task_tree, {"b.txt": "b\n"})
    moved = commit_file(repo_path, "user.txt", "the user went on\n")
    merged = merge(repo, task_tree, strategy="rebase")
    log = git(repo_path, "log", "--format=%an %s", f"{moved}..HEAD").splitlines()
    assert log == ["coder TASK-007: Add a feature", "coder TASK-007: Add a feature"]
    assert git(repo_path, "rev-list", "--merges", "--count", "HEAD") == "0"
    assert merged.commit == head(repo_path)
    assert (repo_path / "b.txt").exists() and (repo_path / "user.txt").exists()
    assert len(git(repo_path, "worktree", "list").splitlines()) == 1  # no scratch left


def test_a_merge_touching_a_file_modified_in_the_main_checkout_is_refused(
    repo: Repo, repo_path: Path, task_tree: Worktree
) -> None:
    agent_work(task_tree, {"src/app.py": "agent version\n", "README.md": "agent readme\n"})
    write(repo_path, "src/app.py", "the user's unsaved work\n")
    write(repo_path, "README.md", "user readme\n")
    git(repo_path, "add", "README.md")  # staged counts as modified too
    before = state(repo_path)
    for strategy in ("squash", "merge", "rebase"):
        with pytest.raises(DirtyCheckout) as caught:
            merge(repo, task_tree, strategy=strategy)
        assert caught.value.files == ["README.md", "src/app.py"]
        assert "README.md, src/app.py" in str(caught.value) and "\n" not in str(caught.value)
        assert state(repo_path) == before
    assert (repo_path / "src/app.py").read_text() == "the user's unsaved work\n"


def test_an_untracked_file_the_merge_would_create_is_refused(
    repo: Repo, repo_path: Path, task_tree: Worktree
) -> None:
    agent_work(task_tree, {"notes.txt": "agent notes\n"})
    write(repo_path, "notes.txt", "the user's notes\n")
    before = state(repo_path)
    with pytest.raises(DirtyCheckout, match=r"notes\.txt"):
        merge(repo, task_tree)
    assert (
        state(repo_path) == before and (repo_path / "notes.txt").read_text() == "the user's notes\n"
    )


def test_unrelated_uncommitted_changes_survive_a_merge(
    repo: Repo, repo_path: Path, task_tree: Worktree
) -> None:
    agent_work(task_tree, {"src/app.py": "agent version\n"})
    write(repo_path, "README.md", "user edit\n")
    write(repo_path, "src/util.py", "staged user edit\n")
    git(repo_path, "add", "src/util.py")
    write(repo_path, "scratch.txt", "untracked\n")
    merge(repo, task_tree)
    assert (repo_path / "src/app.py").read_text() == "agent version\n"
    assert (repo_path / "README.md").read_text() == "user edit\n"
    assert (repo_path / "scratch.txt").read_text() == "untracked\n"
    assert git(repo_path, "diff", "--cached", "--name-only") == "src/util.py"
    assert git(repo_path, "diff", "--name-only") == "README.md"


def test_a_moved_base_that_conflicts_changes_nothing_and_names_the_files(
    repo: Repo, repo_path: Path, task_tree: Worktree
) -> None:
    agent_work(task_tree, {"src/app.py": "agent version\n", "src/util.py": "agent util\n"})
    commit_file(repo_path, "src/app.py", "user version\n")
    assert check_merge(repo, task_tree.branch, "main").conflicts == ["src/app.py"]
    before = state(repo_path)
    for strategy in ("squash", "merge", "rebase"):
        with pytest.raises(MergeConflict) as caught:
            merge(repo, task_tree, strategy=strategy)
        assert caught.value.files == ["src/app.py"]
        assert state(repo_path) == before
    assert task_tree.path.is_dir()


def test_a_moved_base_that_still_merges_cleanly_is_merged(
    repo: Repo, repo_path: Path, task_tree: Worktree
) -> None:
    agent_work(task_tree, {"src/app.py": "agent version\n"})
    moved = commit_file(repo_path, "README.md", "user readme\n")
    merged = merge(repo, task_tree)
    assert git(repo_path, "rev-parse", f"{merged.commit}^") == moved
    assert (repo_path / "README.md").read_text() == "user readme\n"


def test_a_base_checked_out_nowhere_is_updated_without_a_checkout(
    repo: Repo, repo_path: Path
) -> None:
    git(repo_path, "branch", "release")
    tree = ensure_worktree(repo, "TASK-3", "Fix", base=resolve_base(repo, "release"))
    agent_work(tree, {"README.md": "fixed\n"})
    write(repo_path, "README.md", "the user's edit on main\n")
    main_before = head(repo_path)
    merged = merge_task(repo, "TASK-3", "Fix", tree.branch, "release")
    assert head(repo_path, "release") == merged.commit
    assert git(repo_path, "show", "release:README.md") == "fixed"
    assert head(repo_path) == main_before
    assert (repo_path / "README.md").read_text() == "the user's edit on main\n"


def test_the_ref_update_is_guarded_by_the_old_value(repo: Repo, repo_path: Path) -> None:
    git(repo_path, "branch", "release")
    first = head(repo_path, "release")
    moved = commit_file(repo_path, "x.txt", "x\n")
    git(repo_path, "branch", "-f", "release", moved)
    with pytest.raises(
        WorktreeError, match="release changed during the merge, so nothing was merged"
    ):
        _publish(repo, "release", None, first, head(repo_path, "HEAD~1"), "TASK-1")
    assert head(repo_path, "release") == moved


def test_uncommitted_work_in_the_task_worktree_is_never_merged_away(
    repo: Repo, repo_path: Path, task_tree: Worktree
) -> None:
    agent_work(task_tree, {"a.txt": "a\n"})
    write(task_tree.path, "late.txt", "not committed yet\n")
    before = state(repo_path)
    with pytest.raises(DirtyCheckout, match=r"late\.txt"):
        merge(repo, task_tree)
    assert state(repo_path) == before and (task_tree.path / "late.txt").exists()


def test_a_branch_without_changes_merges_to_the_base_tip(
    repo: Repo, repo_path: Path, task_tree: Worktree
) -> None:
    before = head(repo_path)
    merged = merge(repo, task_tree)
    assert merged.commit == before == head(repo_path) and merged.files == []
    assert not task_tree.path.exists()


def test_a_bad_strategy_is_a_one_line_error(repo: Repo, task_tree: Worktree) -> None:
    with pytest.raises(WorktreeError, match="must be one of squash, merge, rebase, not 'octopus'"):
        merge(repo, task_tree, strategy="octopus")


def test_four_tasks_at_once_each_in_its_worktree_then_merged_at_once(
    repo: Repo, repo_path: Path
) -> None:
    def one_task(number: int) -> Worktree:
        tree = ensure_worktree(repo, f"TASK-{number}", f"Task {number}")
        agent_work(tree, {f"task{number}.txt": f"{number}\n"})
        return tree

    with ThreadPoolExecutor(4) as pool:
        trees = list(pool.map(one_task, range(1, 5)))
    assert len({t.path for t in trees}) == 4
    for tree in trees:
        files = git(repo_path, "diff", "--name-only", f"main...{tree.branch}")
        assert files == f"task{int(tree.task_id[5:])}.txt"  # nobody wrote in another's tree
    assert git(repo_path, "status", "--porcelain") == ""  # nor in the main checkout

    def merge_one(tree: Worktree) -> str:
        return merge_task(repo, tree.task_id, "t", tree.branch, "main").commit

    with ThreadPoolExecutor(4) as pool:
        commits = list(pool.map(merge_one, trees))
    assert len(set(commits)) == 4
    assert sorted(p.name for p in repo_path.glob("task*.txt")) == [
        f"task{n}.txt" for n in range(1, 5)
    ]
    assert git(repo_path, "status", "--porcelain") == ""
