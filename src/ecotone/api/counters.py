"""The atlas's version counters as a request reads them: once per request (who the caller is and the response
cache both ask), and on PostgreSQL one round trip at a time for all the requests of a web worker that ask at
once — never a value read before the request arrived, so a write committed before it is always seen."""

from __future__ import annotations

import asyncio
from typing import Any

__all__ = ["CountersReader", "counters_of"]

#: Where a request keeps the counters it read (its ASGI scope's state).
_KEPT = "counters"


class CountersReader:
    """Reads the counters of ``atlas`` for the requests of one event loop. On PostgreSQL a request joins the next
    read to *start* (one already running may have begun before the request came), so while one round trip is
    under way every request arriving meanwhile waits for one more, shared by all of them: under fifty clients a
    worker makes a few reads where each request made its own. On SQLite the counters are read at once (a page
    in memory, re-read only when another connection committed)."""

    def __init__(self, atlas: Any) -> None:
        self.atlas = atlas
        self._loop: asyncio.AbstractEventLoop | None = None
        self._next: asyncio.Future | None = None
        self._reading = False

    async def read(self) -> dict[str, int] | None:
        if self.atlas.dialect == "sqlite":
            return self.atlas.counters()
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new event loop (a test client's): nothing of the old one carries over
            self._loop, self._next, self._reading = loop, None, False
        if self._next is None:
            self._next = loop.create_future()
            if not self._reading:
                self._reading = True
                loop.create_task(self._run())
        return await asyncio.shield(self._next)

    async def _run(self) -> None:
        try:
            while self._next is not None:
                wanted, self._next = self._next, None  # who asks from now on waits for the next read
                try:
                    wanted.set_result(await asyncio.to_thread(self.atlas.counters))
                except Exception as exc:  # noqa: BLE001 - every waiting request answers it (a busy database: 503)
                    wanted.set_exception(exc)
        finally:
            self._reading = False


async def counters_of(scope: dict) -> dict[str, int] | None:
    """The counters for this request: read once (at its first asking, after it arrived) and kept in its state."""
    state = scope.setdefault("state", {})
    if _KEPT not in state:
        state[_KEPT] = await scope["app"].state.counters.read()
    return state[_KEPT]
