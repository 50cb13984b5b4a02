"""Change tokens: a cheap way to know whether anything was committed to a database since a token was read, for
the whole atlas or for the part of it an answer depends on (a kind of record, a hub)."""

from __future__ import annotations

import itertools
import threading
import weakref
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

__all__ = ["change_token", "counters", "EVERYTHING"]

_counter = itertools.count()

#: The counters that together move with every committed change a reader could see: 'content' with every write to
#: a record or to sharing, 'accounts' with every change to who a principal is.
EVERYTHING = ("accounts", "content")

_COUNTERS = "SELECT name, value FROM atlas_versions"


def _token(values: dict[str, int], names: Iterable[str]) -> str:
    return "-".join(f"{name}{values.get(name, 0)}" for name in names)


class _Watcher:
    """One connection kept for watching SQLite's ``data_version``, which changes when any other connection (of
    this process or another) commits; only then are the version counters read again."""

    def __init__(self, engine: sa.Engine) -> None:
        self.lock = threading.Lock()
        self.conn: Any = engine.raw_connection()
        self.seen: str | None = None
        self.last: dict[str, int] = {}

    def counters(self) -> dict[str, int]:
        with self.lock:
            cur = self.conn.cursor()
            try:
                version = str(cur.execute("PRAGMA data_version").fetchone()[0])
                if version != self.seen:
                    self.seen, self.last = version, dict(cur.execute(_COUNTERS).fetchall())
                return self.last
            finally:
                cur.close()


_watchers: weakref.WeakKeyDictionary[sa.Engine, _Watcher] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def counters(engine: sa.Engine) -> dict[str, int] | None:
    """Every version counter of the atlas by name, as committed now (don't change the dict: it may be shared):
    'content' and 'accounts' (see :data:`EVERYTHING`), one per kind of record (``k:organizations``;
    ``m:organizations`` only for what the map shows of them), one per hub
    (``h:12``: its organisations, their ties, innovations and deals, the hub itself) and 'reach' (an organisation
    changed hub, visibility or owner, or went). A counter never written reads as absent (0). On SQLite the table
    is read again only when ``data_version`` (kept on a connection of its own) says another connection
    committed. None for an in-memory SQLite database (nothing is cached for it)."""
    if engine.dialect.name == "sqlite":
        if engine.url.database in (None, "", ":memory:"):
            return None
        with _lock:
            watcher = _watchers.get(engine)
            if watcher is None:
                watcher = _watchers[engine] = _Watcher(engine)
        return watcher.counters()
    with engine.connect() as conn:
        return dict(conn.execute(sa.text(_COUNTERS)).all())


def change_token(engine: sa.Engine, names: Iterable[str] = EVERYTHING, *,
                 values: dict[str, int] | None = None) -> str:
    """A string that changes whenever something that readers see is committed: by default the counters that
    triggers move on every write to a record, to sharing, or to who an account is (a session that starts, or a
    failed sign-in counted, moves none); with ``names``, only when one of those counters moves. ``values`` are
    counters read before (:func:`counters`). An in-memory SQLite database gets a new token every time."""
    values = counters(engine) if values is None else values
    if values is None:
        return f"memory-{next(_counter)}"
    return _token(values, sorted(names))
