"""`[workspace]` settings: checked like every other table, loaded into WorkspaceSettings."""

from __future__ import annotations

from pathlib import Path

import pytest

from maos_tui.config import Workspace, load_config
from maos_tui.config_schema import ISOLATION_MODES, MERGE_STRATEGIES, WorkspaceSettings
from maos_tui.worktrees import IsolationUnavailable, Strategy, isolation_mode
from tests.test_config_validation import config_error, write_config


@pytest.mark.parametrize(
    ("text", "where", "expected"),
    [
        (
            '[workspace]\nmerge = "octopus"\n',
            ":2: key workspace.merge",
            'must be one of squash, merge, rebase, not "octopus"',
        ),
        (
            '[workspace]\nisolation = "docker"\n',
            ":2: key workspace.isolation",
            "must be one of worktree, none",
        ),
        (
            '[workspace]\nallowed_commands = ["pytest"]\n',
            ":2: key workspace.allowed_commands",
            'must be an array of commands, e.g. [["pytest"], ["npm", "test"]]',
        ),
        (
            "[workspace]\nallowed_commands = [[]]\n",
            ":2: key workspace.allowed_commands",
            "must be an array of commands",
        ),
        ("[workspace]\nsetup = []\n", ":2: key workspace.setup", "must not be empty"),
        ('[workspace]\ncopy = ".env"\n', ":2: key workspace.copy", "must be an array of strings"),
        (
            '[workspace]\nauto_merge = "yes"\n',
            ":2: key workspace.auto_merge",
            "must be true or false",
        ),
        (
            '[[agents]]\nname = "c"\ncommand = ["x"]\nisolation = "vm"\n',
            ":4: [[agents]] #1 key isolation",
            "must be one of worktree, none",
        ),
    ],
)
def test_bad_workspace_values_are_errors(
    workspace: Path, text: str, where: str, expected: str
) -> None:
    message = config_error(workspace, text)
    assert f"{workspace / '.maos' / 'config.toml'}{where}" in message and expected in message


def test_workspace_settings_load_with_their_defaults(workspace: Path) -> None:
    write_config(
        workspace,
        '[workspace]\ncopy = [".env"]\nsetup = ["npm", "ci"]\n'
        'allowed_commands = [["pytest"], ["npm", "test"]]\nmerge = "rebase"\n',
    )
    settings = load_config(Workspace(workspace)).workspace_settings()
    assert settings == WorkspaceSettings(
        copy=[".env"],
        setup=["npm", "ci"],
        allowed_commands=[["pytest"], ["npm", "test"]],
        merge="rebase",
    )
    assert (settings.isolation, settings.base_branch, settings.auto_merge) == (None, None, False)


def test_the_config_choices_are_the_layers_own(tmp_path: Path, repo_path: Path) -> None:
    assert tuple(s.value for s in Strategy) == MERGE_STRATEGIES
    plain = tmp_path / "plain"
    plain.mkdir()
    assert [isolation_mode(repo_path, m) for m in (None, *ISOLATION_MODES)] == [
        "worktree",
        *ISOLATION_MODES,
    ]
    assert [isolation_mode(plain, m) for m in (None, "none")] == ["none", "none"]
    with pytest.raises(IsolationUnavailable, match="not inside a git repository"):
        isolation_mode(plain, "worktree")
