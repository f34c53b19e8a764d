"""A PostgreSQL database for a benchmark: on the server MAOS_TEST_PG_URL names, else on a
throwaway server started with the server programs (tests/pg_server.py). Without either, the
scenario reports itself unavailable."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager

from benchmarks.data import Bench, bench_workspace
from benchmarks.harness import Unavailable


@contextmanager
def postgres_bench() -> Iterator[Bench]:
    """A temp workspace whose database is a new PostgreSQL one, dropped afterwards."""
    try:
        from tests.pg_server import ADMIN_URL_ENV, PgServer, server_programs, throwaway_server
    except ImportError as exc:
        raise Unavailable(f"PostgreSQL test helpers not importable: {exc}") from None
    given = os.environ.get(ADMIN_URL_ENV)
    if not given and server_programs() is None:
        raise Unavailable(f"no PostgreSQL: set {ADMIN_URL_ENV} or install its server programs")
    with contextlib.ExitStack() as stack:
        server = PgServer(given) if given else stack.enter_context(throwaway_server())
        name = server.new_database()
        try:
            with bench_workspace() as bench:
                yield Bench(bench.workspace, server.url(name))
        finally:
            server.drop_database(name)
