"""Answers repeated API reads from memory while the atlas has not changed (its change token says so)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from ..domain.access import ANONYMOUS

__all__ = ["ResponseCache"]


class ResponseCache:
    """A plain ASGI middleware caching successful ``GET /api/v1/…`` answers by the caller's visibility scope, path
    and query, each kept with the
    atlas's change token read before it was computed: a write anywhere (this server, the command line, another
    process) changes the token, and the next read computes afresh. Jobs and downloads are never cached.

    Parameters
    ----------
    entries : how many answers to keep (least recently used go first).
    largest : the largest answer kept, in bytes.
    """

    SKIP = ("/api/v1/jobs", "/api/v1/exports", "/api/v1/openapi.json", "/api/v1/me", "/api/v1/people/")

    def __init__(self, app: Any, *, entries: int = 512, largest: int = 16_000_000) -> None:
        self.app = app
        self.entries = entries
        self.largest = largest
        self.kept: OrderedDict[tuple[str, str, bytes], tuple[str, list, bytes]] = OrderedDict()
        self.lock = threading.Lock()

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or scope["method"] != "GET" or not path.startswith("/api/v1/") \
                or path.startswith(self.SKIP):
            return await self.app(scope, receive, send)
        token = scope["app"].state.atlas.change_token()
        # Keyed on what the caller may see: principals of one scope share answers, no answer crosses scopes.
        who = scope.get("state", {}).get("principal", ANONYMOUS)
        key = (who.scope_key(), path, scope.get("query_string", b""))
        with self.lock:
            hit = self.kept.get(key)
            if hit is not None and hit[0] == token:
                self.kept.move_to_end(key)
        if hit is not None and hit[0] == token:
            tag = next((v for k, v in hit[1] if k == b"etag"), None)
            asked = next((v for k, v in scope.get("headers", ()) if k == b"if-none-match"), None)
            if tag is not None and asked is not None and asked.strip().removeprefix(b"W/") == tag:
                await send({"type": "http.response.start", "status": 304, "headers": [(b"etag", tag)]})
                await send({"type": "http.response.body", "body": b""})
                return
            await send({"type": "http.response.start", "status": 200, "headers": hit[1]})
            await send({"type": "http.response.body", "body": hit[2]})
            return
        start: dict[str, Any] = {}
        parts: list[bytes] = []

        async def keep(message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))
                if not message.get("more_body") and start.get("status") == 200:
                    body = b"".join(parts)
                    if len(body) <= self.largest:
                        with self.lock:
                            self.kept[key] = (token, list(start.get("headers", [])), body)
                            while len(self.kept) > self.entries:
                                self.kept.popitem(last=False)
            await send(message)

        await self.app(scope, receive, keep)
