"""Workspace tokens (maos_tui/tokens.py): made once, user-only, reused, never trusted when
others could have read them."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from maos_tui.config import Workspace
from maos_tui.domain import DomainError
from maos_tui.tokens import SERVE_TOKEN, workspace_token


def test_made_once_user_only_and_reused(workspace: Path):
    ws = Workspace(workspace)
    token = workspace_token(ws, SERVE_TOKEN)
    path = workspace / ".maos" / SERVE_TOKEN
    assert path.stat().st_mode & 0o777 == 0o600
    assert (workspace / ".maos").stat().st_mode & 0o777 == 0o700
    assert len(token) >= 40 and path.read_text() == token + "\n"
    assert workspace_token(ws, SERVE_TOKEN) == token
    assert workspace_token(ws, "other-token") != token
    assert sorted(p.name for p in path.parent.iterdir()) == ["other-token", SERVE_TOKEN]


def test_processes_making_it_at_once_agree(workspace: Path):
    ws = Workspace(workspace)
    with ThreadPoolExecutor(8) as pool:
        tokens = set(pool.map(lambda _: workspace_token(ws, SERVE_TOKEN), range(16)))
    assert len(tokens) == 1
    assert [p.name for p in (workspace / ".maos").iterdir()] == [SERVE_TOKEN]


def test_a_token_others_can_read_is_refused(workspace: Path):
    ws = Workspace(workspace)
    workspace_token(ws, SERVE_TOKEN)
    path = workspace / ".maos" / SERVE_TOKEN
    path.chmod(0o640)
    with pytest.raises(DomainError, match="can be read by other users: delete it"):
        workspace_token(ws, SERVE_TOKEN)


@pytest.mark.parametrize("content", ["", "short\n", "has space in the middle of it\n", "é" * 20])
def test_an_unusable_token_is_refused(workspace: Path, content: str):
    path = workspace / ".maos" / SERVE_TOKEN
    path.parent.mkdir()
    path.write_text(content, encoding="utf-8")
    path.chmod(0o600)
    with pytest.raises(DomainError, match="does not hold a usable token"):
        workspace_token(Workspace(workspace), SERVE_TOKEN)


def test_a_symlink_is_not_followed(workspace: Path, tmp_path: Path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("a" * 43 + "\n")
    elsewhere.chmod(0o600)
    (workspace / ".maos").mkdir()
    os.symlink(elsewhere, workspace / ".maos" / SERVE_TOKEN)
    with pytest.raises(DomainError, match="cannot read the token file"):
        workspace_token(Workspace(workspace), SERVE_TOKEN)
