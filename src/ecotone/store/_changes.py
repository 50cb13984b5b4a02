"""Change tokens: a cheap way to know whether anything was committed to a database since a token was read."""

from __future__ import annotations

import itertools
import threading
import weakref
from typing import Any

import sqlalchemy as sa

__all__ = ["change_token"]

_counter = itertools.count()


class _Watcher:
    """One connection kept for watching SQLite's ``data_version``, which changes when any other connection (of
    this process or another) commits."""

    def __init__(self, engine: sa.Engine) -> None:
        self.lock = threading.Lock()
        self.conn: Any = engine.raw_connection()

    def token(self) -> str:
        with self.lock:
            cur = self.conn.cursor()
            try:
                return str(cur.execute("PRAGMA data_version").fetchone()[0])
            finally:
                cur.close()


_watchers: weakref.WeakKeyDictionary[sa.Engine, _Watcher] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def change_token(engine: sa.Engine) -> str:
    """A string that changes whenever something is committed to the database: SQLite's ``data_version`` read on a
    connection kept for it, PostgreSQL's WAL insert position (which any write in the cluster moves, so a token
    may change with nothing changed here, never the other way round). An in-memory SQLite database gets a new
    token every time (nothing is cached for it)."""
    if engine.dialect.name == "sqlite":
        if engine.url.database in (None, "", ":memory:"):
            return f"memory-{next(_counter)}"
        with _lock:
            watcher = _watchers.get(engine)
            if watcher is None:
                watcher = _watchers[engine] = _Watcher(engine)
        return watcher.token()
    with engine.connect() as conn:
        return str(conn.execute(sa.text("SELECT pg_current_wal_insert_lsn()::text")).scalar_one())
