"""The store's stdlib path: what runs on Python's own `sqlite3`, without importing
SQLAlchemy, SQLModel or pydantic (which alone take longer than a one-shot command may).

- compiled_sql.py: the store's statements, compiled ahead by compiled_sql_gen.py;
- runner.py: runs them, converting values as the store's column types do;
- connect.py: which databases this path may touch, opened as the store opens them;
- first_read.py: the board's first paint;
- reads.py: the one-shot read commands (`task list`, `status`, `search`...);
- lite_add.py: `maos-tui task add`;
- twins.py: what each of these leaves to the store, declared beside the service method.

Whatever this path cannot do exactly as the store would, it leaves to the store, having
written nothing: the caller then opens the store as usual.
"""
