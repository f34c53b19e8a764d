"""`maos-tui doctor` on a database server (PostgreSQL): can it be reached, is its schema
maos-tui's and current, and may this user read and write every table. The store asks the
server; doctor (commands/doctor.py) shows the findings.

Read-only like the rest of doctor: it connects, asks, and changes nothing (no migration).
Messages name the database by its URL with the password masked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from sqlalchemy import Connection

OK, WARNING, ERROR = "ok", "warning", "error"


class Finding(NamedTuple):
    """One line of doctor's report: which check, its status (OK, WARNING, ERROR), what."""

    check: str
    status: str
    message: str


# What every command needs on each table, and on the sequences that hand out row IDs.
_TABLE_RIGHTS = ("SELECT", "INSERT", "UPDATE", "DELETE")


async def check_server_database(db_url: str) -> tuple[list[Finding], bool]:
    """(findings, whether the store can be opened without writing to it)."""
    from sqlalchemy.exc import SQLAlchemyError

    from maos_tui.store.engine import create_engine, db_label
    from maos_tui.store.errors import StoreError, translate_error

    label = db_label(db_url)
    try:
        engine = create_engine(db_url)
    except StoreError as exc:
        return [Finding("database", ERROR, str(exc))], False
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_inspect, label)
    except StoreError as exc:
        return [Finding("database", ERROR, str(exc))], False
    except (SQLAlchemyError, OSError) as exc:
        return [Finding("database", ERROR, str(translate_error(exc, label, "read")))], False
    finally:
        await engine.dispose()


def _inspect(conn: Connection, label: str) -> tuple[list[Finding], bool]:
    from sqlalchemy import text

    from maos_tui.store.migrations import LATEST, current_version

    server = conn.execute(text("SHOW server_version")).scalar_one()
    user = conn.execute(text("SELECT current_user")).scalar_one()
    reached = f"{label}: connected as {user} (PostgreSQL {server})"
    version = current_version(conn)
    if version is None:
        return [Finding("database", WARNING, f"{reached}, no tables yet (`maos-tui init`)")], False
    if version > LATEST:
        message = (
            f"{reached}, schema v{version} is from a newer maos-tui (this one knows v{LATEST})"
        )
        return [Finding("database", ERROR, message)], False
    rights = _permission_findings(conn, user, label, upgrade=version < LATEST)
    if version < LATEST:
        message = f"{reached}, schema v{version} (upgraded to v{LATEST} on next use)"
        return [Finding("database", WARNING, message), *rights], False
    found = Finding("database", OK, f"{reached}, schema v{version}")
    return [found, *rights], not any(f.status == ERROR for f in rights)


def _permission_findings(
    conn: Connection, user: str, label: str, *, upgrade: bool
) -> list[Finding]:
    from sqlalchemy import text

    from maos_tui.store.models import TABLES

    rights = ", ".join(f"has_table_privilege(c.oid, '{right}')" for right in _TABLE_RIGHTS)
    rows = conn.execute(
        text(
            f"SELECT c.relname, {rights} FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema() "
            "AND c.relname = ANY(:names) ORDER BY c.relname"
        ),
        {"names": [*TABLES.tables, "search_index"]},
    ).all()
    missing = [
        f"{right} on {table}"
        for table, *allowed in rows
        for right, ok in zip(_TABLE_RIGHTS, allowed, strict=True)
        if not ok
    ]
    sequences = conn.execute(
        text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND CASE WHEN c.relkind = 'S' "
            "THEN NOT has_sequence_privilege(c.oid, 'USAGE') ELSE false END"
        )
    ).scalars()
    missing += [f"USAGE on sequence {name}" for name in sequences]
    findings = []
    if missing:
        shown = ", ".join(missing[:6]) + (
            f" and {len(missing) - 6} more" if len(missing) > 6 else ""
        )
        findings.append(
            Finding("permissions", ERROR, f"{label}: user {user} lacks {shown} (GRANT them)")
        )
    if (
        upgrade
        and not conn.execute(
            text("SELECT has_schema_privilege(current_schema(), 'CREATE')")
        ).scalar()
    ):
        findings.append(
            Finding(
                "permissions",
                ERROR,
                f"{label}: user {user} may not CREATE in the schema, which the upgrade needs",
            )
        )
    if not findings:
        findings.append(Finding("permissions", OK, f"user {user} may read and write every table"))
    return findings
