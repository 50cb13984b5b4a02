"""Change tokens: a cheap way to know whether anything was committed to a database since a token was read."""

from __future__ import annotations

import itertools
import threading
import weakref
from typing import Any

import sqlalchemy as sa

__all__ = ["change_token"]

_counter = itertools.count()


_COUNTERS = "SELECT name, value FROM atlas_versions ORDER BY name"


def _token(rows) -> str:
    return "-".join(f"{name}{value}" for name, value in rows)


class _Watcher:
    """One connection kept for watching SQLite's ``data_version``, which changes when any other connection (of
    this process or another) commits; only then are the version counters read again."""

    def __init__(self, engine: sa.Engine) -> None:
        self.lock = threading.Lock()
        self.conn: Any = engine.raw_connection()
        self.seen: str | None = None
        self.last = ""

    def token(self) -> str:
        with self.lock:
            cur = self.conn.cursor()
            try:
                version = str(cur.execute("PRAGMA data_version").fetchone()[0])
                if version != self.seen:
                    self.seen, self.last = version, _token(cur.execute(_COUNTERS).fetchall())
                return self.last
            finally:
                cur.close()


_watchers: weakref.WeakKeyDictionary[sa.Engine, _Watcher] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def change_token(engine: sa.Engine) -> str:
    """A string that changes whenever something that readers see is committed: the atlas's version counters,
    which triggers move on every write to a record, to sharing, or to who an account is (a session that starts,
    or a failed sign-in counted, moves none). On SQLite they are read again only when ``data_version`` (kept on a
    connection of its own) says another connection committed. An in-memory SQLite database gets a new token every
    time (nothing is cached for it)."""
    if engine.dialect.name == "sqlite":
        if engine.url.database in (None, "", ":memory:"):
            return f"memory-{next(_counter)}"
        with _lock:
            watcher = _watchers.get(engine)
            if watcher is None:
                watcher = _watchers[engine] = _Watcher(engine)
        return watcher.token()
    with engine.connect() as conn:
        return _token(conn.execute(sa.text(_COUNTERS)).all())
