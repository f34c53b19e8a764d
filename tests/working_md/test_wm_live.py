"""The running sync against real editing processes, races, bursts and crashes."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fakes.support import PATIENCE, until

from maos_tui.config import Workspace
from maos_tui.domain import TaskStatus
from maos_tui.store import Store
from maos_tui.working_md.atomic import TEMP_MARK
from maos_tui.working_md.sync import WorkingSync


@pytest.fixture
async def live(store: Store, ws: Workspace) -> AsyncIterator[WorkingSync]:
    await store.agents.add("coder", command=["true"])
    await store.tasks.create("Research pricing", priority=1)
    await store.tasks.create("Design page")
    running = WorkingSync(store, ws, debounce=0.05, settle=0.1, empty_grace=0.5)
    await running.start()
    yield running
    await running.stop()


async def status_of(store: Store, task_id: str) -> TaskStatus:
    return (await store.tasks.get(task_id)).status


def run(*argv: str) -> None:
    subprocess.run(argv, check=True, timeout=30)


async def test_sed_in_place_lands_in_the_store(live, store, ws) -> None:
    run(
        "sed",
        "-i",
        "s/^- \\[TASK-002\\] Design page$/- [TASK-002] Design page !P0/",
        str(ws.working_md),
    )
    await until(lambda: _priority(store, "TASK-002", 0))


async def _priority(store: Store, task_id: str, value: int) -> bool:
    return (await store.tasks.get(task_id)).priority == value


PYTHON_EDIT = """
import sys, time
path, old, new, pause = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
text = open(path, encoding="utf-8").read()
assert old in text
with open(path, "w", encoding="utf-8") as out:   # truncates now...
    out.flush()
    time.sleep(pause)                              # ...and writes later
    out.write(text.replace(old, new))
"""


async def test_python_in_place_write_lands_in_the_store(live, store, ws) -> None:
    run(
        sys.executable,
        "-c",
        PYTHON_EDIT,
        str(ws.working_md),
        "### DONE\n",
        "### DONE\n- Shipped\n",
        "0",
    )
    await until(lambda: _has_title(store, "Shipped"))
    assert (await store.tasks.get("TASK-003")).status is TaskStatus.DONE


async def _has_title(store: Store, title: str) -> bool:
    return any(t.title == title for t in await store.tasks.list())


async def test_truncate_then_write_with_a_pause_is_not_half_applied(live, store, ws) -> None:
    run(
        sys.executable,
        "-c",
        PYTHON_EDIT,
        str(ws.working_md),
        "- [TASK-001] Research pricing",
        "- [TASK-001] Research competitor pricing",
        "0.3",
    )
    await until(lambda: _title_is(store, "TASK-001", "Research competitor pricing"))
    assert len(await store.tasks.list()) == 2  # nothing archived while it was empty
    assert "Research competitor pricing" in ws.working_md.read_text()


async def _title_is(store: Store, task_id: str, title: str) -> bool:
    return (await store.tasks.get(task_id)).title == title


RENAME_SAVE = """
import os, sys
path, old, new = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(path, encoding="utf-8").read()
# Like vim: a swap file while editing, a backup of the old file, then a rename save.
swap = os.path.join(os.path.dirname(path), ".WORKING.md.swp")
open(swap, "w").write("swap")
os.rename(path, path + "~")
tmp = path + ".new"
open(tmp, "w", encoding="utf-8").write(text.replace(old, new))
os.rename(tmp, path)
os.unlink(swap)
"""


async def test_rename_save_with_swap_and_backup_files_lands(live, store, ws) -> None:
    run(sys.executable, "-c", RENAME_SAVE, str(ws.working_md), "- [TASK-002] Design page\n", "")
    await until(lambda: _archived(store, "TASK-002"))
    assert (ws.root / "WORKING.md~").exists()  # the editor's files are left alone
    assert not (await store.tasks.get("TASK-001")).archived


async def _archived(store: Store, task_id: str) -> bool:
    return (await store.tasks.get(task_id)).archived


async def test_a_store_change_rewrites_the_file_and_a_burst_coalesces(live, store, ws) -> None:
    before = len(live.history.list())
    started = time.monotonic()
    for number in range(200):
        await store.tasks.create(f"Burst {number}")
    await until(lambda: "Burst 199" in ws.working_md.read_text())
    elapsed = time.monotonic() - started
    # At most one rewrite per debounce interval (plus the leading one).
    assert len(live.history.list()) - before <= elapsed / live.debounce + 2


async def test_store_change_and_hand_edit_within_100_ms_both_survive(live, store, ws) -> None:
    edit = asyncio.create_subprocess_exec(
        "sed",
        "-i",
        "s/^- \\[TASK-001\\] Research pricing !P1$/- [TASK-001] Hand edit !P1/",
        str(ws.working_md),
    )
    process = await edit
    await store.tasks.create("Store change")
    async with asyncio.timeout(PATIENCE):
        await process.wait()
    await until(lambda: _title_is(store, "TASK-001", "Hand edit"))
    await until(lambda: "Store change" in ws.working_md.read_text())
    await until(lambda: "Hand edit" in ws.working_md.read_text())
    assert not (await store.tasks.get("TASK-003")).archived


async def test_problems_are_reported_to_the_callback(store, ws, replace) -> None:
    seen: list[list] = []
    running = WorkingSync(store, ws, settle=0.05, empty_grace=0.2, on_problems=seen.append)
    await running.start()
    try:
        replace(ws.working_md, "### INBOX\n", "### INBOX\n- [TASK-042] missing\n")
        await until(lambda: seen and seen[-1])
        assert seen[-1][0].reason == "unknown task TASK-042"
        assert running.problems == seen[-1]
    finally:
        await running.stop()


CRASH = """
import asyncio, os, sys
from maos_tui.config import Workspace
from maos_tui.store import Store
from maos_tui.working_md.sync import WorkingSync

async def main():
    store = await Store.open(sys.argv[2])
    await store.tasks.create("Never written")
    os.replace = lambda *a: os._exit(3)   # the process dies between temp write and replace
    await WorkingSync(store, Workspace(__import__("pathlib").Path(sys.argv[1]))).sync_once()

asyncio.run(main())
"""


async def test_a_crash_before_the_replace_leaves_the_old_file_and_temps_are_cleaned(
    store, ws
) -> None:
    sync = WorkingSync(store, ws, settle=0.01, empty_grace=0)
    await sync.sync_once()
    old = ws.working_md.read_bytes()
    done = subprocess.run(
        [sys.executable, "-c", CRASH, str(ws.root), store.url], timeout=60, capture_output=True
    )
    assert done.returncode == 3, done.stderr
    assert ws.working_md.read_bytes() == old
    assert list(ws.root.glob(f".WORKING.md{TEMP_MARK}*"))
    await sync.start()
    await sync.stop()
    assert not list(ws.root.glob(f".WORKING.md{TEMP_MARK}*"))
    assert "Never written" in ws.working_md.read_text()


READER = """
import sys, time
path, seconds = sys.argv[1], float(sys.argv[2])
end = time.monotonic() + seconds
reads = 0
while time.monotonic() < end:
    text = open(path, encoding="utf-8").read()
    assert text.startswith("# ") and text.rstrip().endswith("kept verbatim."), text[-200:]
    reads += 1
print(reads)
"""


async def test_readers_never_see_a_partial_file(live, store, ws) -> None:
    reader = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        READER,
        str(ws.working_md),
        "1.5",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    for number in range(60):
        await store.tasks.create(f"Churn {number}")
        await asyncio.sleep(0.02)
    async with asyncio.timeout(PATIENCE):
        out, err = await reader.communicate()
    assert reader.returncode == 0, err.decode()[-500:]
    assert int(out) > 10


def test_file_permissions_are_kept(tmp_path: Path) -> None:
    from maos_tui.working_md.atomic import atomic_write

    target = tmp_path / "WORKING.md"
    target.write_text("old")
    target.chmod(0o640)
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new" and target.stat().st_mode & 0o777 == 0o640
    assert atomic_write(target, b"newer", still_ok=lambda: False) is None
    assert target.read_bytes() == b"new"
    assert not list(tmp_path.glob(f".WORKING.md{TEMP_MARK}*"))


def test_cleanup_helper_only_touches_our_temp_files(tmp_path: Path) -> None:
    from maos_tui.working_md.atomic import cleanup_temp_files

    ours = tmp_path / f".WORKING.md{TEMP_MARK}abc"
    theirs = tmp_path / ".WORKING.md.swp"
    for path in (ours, theirs):
        path.write_text("x")
    assert cleanup_temp_files(tmp_path / "WORKING.md") == [ours]
    assert theirs.exists()


HOLD_LOCK = """
import fcntl, sys, time
fd = open(sys.argv[1], "a")
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


async def test_a_pass_that_waited_long_leaves_the_watcher_listening(live, store, ws) -> None:
    """A pass stalled by another process's lock (12 s here) used to make the watcher sleep as
    long again afterwards, deaf to new saves: the second save then took over 10 s."""
    lock = ws.maos_dir / "working.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(lock), "12"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        text = ws.working_md.read_text()
        ws.working_md.write_text(text.replace("] Design page", "] Design page !P0"))
        await until(lambda: _priority(store, "TASK-002", 0), timeout=60)
    finally:
        holder.kill()
        holder.wait()
    # Settled: the file is the one the sync wrote after applying that save.
    await until(lambda: live.files.unchanged(live.files.load_state()) and not live._dirty.is_set())
    saved = time.monotonic()
    text = ws.working_md.read_text()
    ws.working_md.write_text(text.replace("] Research pricing !P1", "] Research pricing !P3"))
    await until(lambda: _priority(store, "TASK-001", 3), timeout=30)
    assert time.monotonic() - saved < 8, "the watcher was deaf after the long pass"
