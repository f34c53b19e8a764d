"""`maos-tui doctor`: check the database, WORKING.md, the config and the agents, read-only.

Doctor is what error messages send the user to when something is broken, so it must work
on exactly the broken states: it never creates, migrates or rewrites anything (the database
is opened read-only with SQLite's own URI flag) and it reports every problem it finds
instead of stopping at the first. Exit status 1 when any check is an error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import stat
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from maos_tui.commands.doctor_worktrees import check_worktrees
from maos_tui.config import Config, inspect_config
from maos_tui.config_checks import Problem, in_agent_table
from maos_tui.domain import AgentKind, AgentRecord, AgentStatus

if TYPE_CHECKING:
    from maos_tui.commands.context import Context

OK, WARNING, ERROR = "ok", "warning", "error"
SHOWN_PROBLEMS = 3


@dataclass(frozen=True)
class Finding:
    check: str
    status: str
    message: str


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    doctor = sub.add_parser(
        "doctor",
        help="check the database, WORKING.md, config and agents (changes nothing)",
        parents=[common],
    )
    doctor.add_argument("--json", action="store_true")
    doctor.add_argument(
        "--offline", action="store_true", help="do not send a test request to LLM agents"
    )
    doctor.set_defaults(handler=run_doctor)


async def run_doctor(ctx: Context, args: argparse.Namespace) -> int:
    findings: list[Finding] = []
    if ctx.db_url.startswith("postgresql"):
        from maos_tui.store.server_checks import check_server_database

        found, db_usable = await check_server_database(ctx.db_url)
        db_findings = [Finding(*finding) for finding in found]
    else:
        db_findings, db_usable = check_database(ctx)
    findings += db_findings
    config, problems = inspect_config(ctx.workspace, ctx.env)
    findings += check_working_md(ctx.workspace.working_md, ctx.workspace.root)
    config_findings, config_agents = check_config(config, problems)
    findings += config_findings
    agents = await stored_agents(ctx) if db_usable else []
    known = {a.name for a in agents}
    agents += [a for a in config_agents if a.name not in known]
    findings += await check_agents(agents, offline=args.offline)
    findings += await check_alerts(ctx, config) if db_usable else []
    findings += await check_worktrees(ctx) if db_usable else []

    failed = any(f.status == ERROR for f in findings)
    if ctx.json:
        ctx.emit({"ok": not failed, "checks": [asdict(f) for f in findings]})
    else:
        for f in findings:
            ctx.out(f"{f.status:<8} {f.check:<10} {f.message}")
        ctx.out("problems found" if failed else "no problems found")
    return 1 if failed else 0


def check_database(ctx: Context) -> tuple[list[Finding], bool]:
    """(findings, whether the store can be opened without writing to it)."""
    from maos_tui.store.engine import sqlite_path
    from maos_tui.store.migrations import LATEST

    path = sqlite_path(ctx.db_url)
    if path is None:
        return [Finding("database", WARNING, "not a SQLite file; integrity not checked")], False
    if not path.exists():
        return [Finding("database", WARNING, f"{path} does not exist yet (`maos-tui init`)")], False
    if path.is_dir():
        return [Finding("database", ERROR, f"database path {path} is a folder")], False
    findings = permission_findings(path)
    try:
        version = _inspect_database(path)
    except sqlite3.Error as exc:
        return [*findings, Finding("database", ERROR, _database_error(path, exc))], False
    except _DatabaseProblem as exc:
        return [*findings, Finding("database", ERROR, f"{path}: {exc}")], False
    if version > LATEST:
        message = f"{path}: schema v{version} is from a newer maos-tui (this one knows v{LATEST})"
        return [*findings, Finding("database", ERROR, message)], False
    if version < LATEST:
        message = f"{path}: integrity ok, schema v{version} (upgraded to v{LATEST} on next use)"
        return [*findings, Finding("database", WARNING, message)], False
    return [*findings, Finding("database", OK, f"{path}: integrity ok, schema v{version}")], True


class _DatabaseProblem(Exception):
    pass


def _text_not_utf8(con: sqlite3.Connection, tables: list[str]) -> str | None:
    """The first table whose stored text does not decode: SQLite's integrity check never
    looks at encodings, but every read of such a row fails."""
    con.text_factory = bytes
    try:
        for table in tables:
            if table.startswith("sqlite_"):
                continue
            quoted = table.replace('"', '""')
            for row in con.execute(f'SELECT * FROM "{quoted}"'):
                for value in row:
                    if isinstance(value, bytes) and not _decodes(value):
                        return f"table {table}"
        return None
    finally:
        con.text_factory = str


def _decodes(value: bytes) -> bool:
    try:
        value.decode()
    except UnicodeDecodeError:
        return False
    return True


def _inspect_database(path: Path) -> int:
    """Integrity check and schema version, through a read-only connection."""
    from maos_tui.store.sqlite_conn import BUSY_TIMEOUT_MS

    uri = f"file:{quote(str(path))}?mode=ro"
    con = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        rows = [str(r[0]) for r in con.execute("PRAGMA integrity_check(20)")]
        if rows != ["ok"]:
            shown = "; ".join(rows[:SHOWN_PROBLEMS])
            raise _DatabaseProblem(
                f"integrity check failed ({len(rows)} problem(s): {shown}); "
                "keep the file and restore a backup"
            )
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        damaged = _text_not_utf8(con, sorted(tables))
        if damaged:
            raise _DatabaseProblem(
                f"is damaged: {damaged} holds text that is not UTF-8 (the integrity check "
                "cannot see this); keep the file and restore a backup"
            )
        if "maos_meta" not in tables:
            raise _DatabaseProblem("holds no maos-tui schema (no maos_meta table)")
        row = con.execute("SELECT value FROM maos_meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            raise _DatabaseProblem("has no schema version")
        return int(row[0])
    except UnicodeDecodeError:
        # SQLite's answer quoted damaged text (its schema, usually) that is not UTF-8.
        raise _DatabaseProblem(
            "is damaged: it holds text that is not UTF-8; keep the file and restore a backup"
        ) from None
    finally:
        con.close()


def _database_error(path: Path, exc: sqlite3.Error) -> str:
    text = str(exc)
    lowered = text.lower()
    if "locked" in lowered:
        return f"{path}: database is locked by another process; try again"
    if "not a database" in lowered or "malformed" in lowered:
        return (
            f"{path} is not a usable maos-tui database ({text}); nothing was changed: "
            "keep the file, restore a backup, or move it aside and run `maos-tui init`"
        )
    return f"{path}: cannot read the database: {text}"


def permission_findings(db: Path) -> list[Finding]:
    """The folder and database hold the plan of work and run logs: user-only, like on create."""
    findings = []
    for item, wanted in (
        (db.parent, 0o700),
        (db, 0o600),
        (db.with_name(db.name + "-wal"), 0o600),
        (db.with_name(db.name + "-shm"), 0o600),
    ):
        try:
            mode = stat.S_IMODE(item.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            findings.append(
                Finding(
                    "security",
                    ERROR,
                    f"{item} is mode {mode:o}: others can read it (chmod {wanted:o} {item})",
                )
            )
    return findings


def check_working_md(path: Path, root: Path) -> list[Finding]:
    """The same refusals and parser the sync uses, so doctor agrees with it."""
    from maos_tui.working_md.files import read_snapshot
    from maos_tui.working_md.parse import parse_working

    if path.is_symlink():
        target = path.resolve()
        if not target.is_relative_to(root.resolve()):
            return [
                Finding(
                    "working",
                    ERROR,
                    f"{path} is a symlink to {target}, outside the workspace; "
                    "maos-tui will not write through it",
                )
            ]
    if not path.exists():
        return [Finding("working", WARNING, f"{path} does not exist (`maos-tui init`)")]
    try:
        info = path.stat()
        snapshot = read_snapshot(path)
    except OSError as exc:
        return [Finding("working", ERROR, f"cannot read {path}: {exc.strerror}")]
    text = snapshot.text
    if text is None:
        refused = snapshot.refused or snapshot.foreign or "it was removed while being read"
        return [Finding("working", ERROR, f"{path} cannot be synced: {refused}")]
    findings = []
    # The mode bit too: root passes os.access, but a file made read-only is meant to be so.
    if not os.access(path, os.W_OK) or not info.st_mode & stat.S_IWUSR:
        findings.append(Finding("working", WARNING, f"{path} is read-only; it cannot be updated"))
    parsed = parse_working(text)
    if parsed.problems:
        shown = "; ".join(str(p) for p in parsed.problems[:SHOWN_PROBLEMS])
        message = f"{path}: {len(parsed.problems)} line(s) not understood: {shown}"
        return [*findings, Finding("working", WARNING, message)]
    tasks = len(parsed.task_lines())
    return [*findings, Finding("working", OK, f"{path} parses ({tasks} task line(s))")]


def check_config(
    config: Config, problems: list[Problem]
) -> tuple[list[Finding], list[AgentRecord]]:
    """Every problem of the config files and the keymap, and the config's agents that have
    none (records to check like the stored ones)."""
    from maos_tui.store.agent_values import config_agent_values
    from maos_tui.tui.keymap_check import keymap_problems  # free of Textual

    findings = [Finding("config", p.level, str(p)) for p in problems]
    findings += [Finding("keymap", WARNING, line) for line in keymap_problems(config.keymap)]
    broken = {p.key[1] for p in problems if p.level == ERROR and in_agent_table(p.key)}
    tables = config.agents
    agents = [
        _config_agent(config_agent_values(table))
        for index, table in enumerate(tables)
        if index not in broken
    ]
    if not findings:
        findings.append(Finding("config", OK, f"loaded ({len(tables)} config agent(s))"))
    return findings, agents


def _config_agent(values: dict[str, object]) -> AgentRecord:
    """Just enough of a record to check a config agent that the store has not seen yet."""
    command = values["command"]
    return AgentRecord(
        name=str(values["name"]),
        role="",
        kind=AgentKind(values["kind"]),
        model=values["model"],  # type: ignore[arg-type]
        command=tuple(json.loads(command)) if isinstance(command, str) else None,
        capabilities=(),
        status=AgentStatus.IDLE,
        heartbeat_seconds=1,
        max_concurrent=1,
        last_heartbeat=None,
        tokens_in=0,
        tokens_out=0,
        cost_usd=0.0,
        api_base=values["api_base"],  # type: ignore[arg-type]
        shell=bool(values["shell"]),
        source="config",
    )


async def stored_agents(ctx: Context) -> list[AgentRecord]:
    """Agents in the store. Only called for an up-to-date database, which opening never
    writes to (no migration); the config is not synced into it."""
    from maos_tui.store import Store

    store = await Store.open(ctx.db_url)
    try:
        return await store.agents.list()
    finally:
        await store.close()


async def check_alerts(ctx: Context, config: Config) -> list[Finding]:
    from maos_tui.alerts.health import channel_findings
    from maos_tui.store import Store

    store = await Store.open(ctx.db_url)
    try:
        found = await channel_findings(store, config.alerts())
    finally:
        await store.close()
    return [Finding("alerts", status, message) for status, message in found]


async def check_agents(agents: list[AgentRecord], *, offline: bool) -> list[Finding]:
    try:
        from maos_tui.agents.check import check_agent
        from maos_tui.agents.readiness import has_key_in, problem
    except ImportError:  # the agent runners are optional in this build
        return [Finding("agents", WARNING, "agent checks are not available in this build")]

    async def one(agent: AgentRecord) -> Finding:
        if offline and agent.kind is AgentKind.LLM:
            reason = problem(agent, has_key_in(os.environ))
            if reason:
                return Finding("agent", ERROR, f"{agent.name}: {reason}")
            return Finding("agent", OK, f"{agent.name}: {agent.model} (not contacted: --offline)")
        ok, message = await check_agent(agent)
        return Finding("agent", OK if ok else ERROR, message)

    return list(await asyncio.gather(*(one(a) for a in agents)))
