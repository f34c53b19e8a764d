"""Each task in its own git worktree and branch: creating and preparing it, committing a run's
work, the diff for review, merging without touching the user's changes, listing and pruning.

Pure git through subprocesses (no Textual, no litellm, no store): callers pass paths, task IDs,
titles and config values, and record what comes back (branch, base, merge commit) on the task.
Every failure is a `WorktreeError` whose message is one line.
"""

from maos_tui.worktrees.commit import Committed, agent_author, commit_all
from maos_tui.worktrees.conflict import conflict_markers, start_conflict_run
from maos_tui.worktrees.create import (
    Base,
    Repo,
    Worktree,
    ensure_worktree,
    find_repo,
    isolation_available,
    isolation_mode,
    resolve_base,
)
from maos_tui.worktrees.diff import (
    DiffText,
    FileStat,
    diff_stat,
    diff_text,
    file_offsets,
    iter_diff,
)
from maos_tui.worktrees.errors import (
    DirtyCheckout,
    IsolationUnavailable,
    MergeConflict,
    PathRefused,
    WorktreeError,
)
from maos_tui.worktrees.inventory import Orphans, WorktreeInfo, find_orphans, list_worktrees
from maos_tui.worktrees.merge import MergeCheck, Merged, Strategy, check_merge, merge_task
from maos_tui.worktrees.names import branch_name, slugify, worktree_path, worktree_root
from maos_tui.worktrees.prepare import Prepared, SetupFailed, prepare_worktree
from maos_tui.worktrees.prune import PruneReport, prune
from maos_tui.worktrees.toolbox import ToolSpec, WorktreeToolbox

__all__ = [
    "Base",
    "Committed",
    "DiffText",
    "DirtyCheckout",
    "FileStat",
    "IsolationUnavailable",
    "MergeCheck",
    "MergeConflict",
    "Merged",
    "Orphans",
    "PathRefused",
    "Prepared",
    "PruneReport",
    "Repo",
    "SetupFailed",
    "Strategy",
    "ToolSpec",
    "Worktree",
    "WorktreeError",
    "WorktreeInfo",
    "WorktreeToolbox",
    "agent_author",
    "branch_name",
    "check_merge",
    "commit_all",
    "conflict_markers",
    "diff_stat",
    "diff_text",
    "ensure_worktree",
    "file_offsets",
    "find_orphans",
    "find_repo",
    "isolation_available",
    "isolation_mode",
    "iter_diff",
    "list_worktrees",
    "merge_task",
    "prepare_worktree",
    "prune",
    "resolve_base",
    "slugify",
    "start_conflict_run",
    "worktree_path",
    "worktree_root",
]
