"""Fault 2 on a real full filesystem: a small tmpfs holds the whole workspace.

Needs permission to mount (root with CAP_SYS_ADMIN, as in the project's CI container);
elsewhere the test is skipped with that reason, and the injected-ENOSPC test in
test_working_md_faults.py still covers the WORKING.md writer.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.reliability.helpers import integrity

SIZE = "4m"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mountpoint = tmp_path / "disk"
    mountpoint.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SIZE}", "tmpfs", str(mountpoint)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=True)


def fill(folder: Path) -> Path:
    """Write until the filesystem says ENOSPC; returns the filler file."""
    filler = folder / "filler"
    with filler.open("wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            assert exc.errno == 28  # ENOSPC
    return filler


def test_full_disk_fails_cleanly_loses_nothing_and_recovers(small_disk: Path) -> None:
    workspace = small_disk / "ws"
    cli = Cli(workspace)
    cli.ok("init", str(workspace))
    for n in range(5):
        cli.ok("task", "add", f"before {n}")
    working = workspace / "WORKING.md"
    before = working.read_bytes()
    filler = fill(small_disk)

    result = cli("task", "add", "while full", "--description", "x" * 60_000)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: cannot write {workspace / '.maos' / 'state.db'}: ")
    assert "the disk is full" in lines[0] and "free some space" in lines[0]
    assert working.read_bytes() == before  # never half-written, whatever failed
    assert not list(workspace.glob(".WORKING.md.maos-tmp-*"))

    filler.unlink()
    cli.ok("task", "add", "after space came back")
    titles = [t["title"] for t in json.loads(cli.ok("task", "list", "--json"))]
    assert titles[:5] == [f"before {n}" for n in range(5)] and "after space came back" in titles
    assert integrity(workspace / ".maos" / "state.db") == ["ok"]
    text = working.read_text(encoding="utf-8")
    assert all(title in text for title in titles)  # WORKING.md caught up
