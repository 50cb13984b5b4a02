"""Answers repeated API reads from memory while the atlas has not changed (its change token says so), with an
ETag the browser revalidates."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Any

from ..domain.access import ANONYMOUS

__all__ = ["ResponseCache", "entity_tag", "matches"]

#: What the answers the cache tags tell browsers: keep it for this user only, and ask again (If-None-Match)
#: before using it, so that an edit shows at once while an unchanged map costs a 304.
CACHE_CONTROL = b"private, no-cache"


def entity_tag(token: str, key: tuple, *, gzip: bool = False) -> bytes:
    """A strong ETag for the answer to ``key`` (scope, path, query) while the atlas's change token is ``token``:
    the same for every server of the atlas, another after any write. The gzip-compressed representation has its
    own tag (a strong tag names one sequence of bytes).

    >>> key = ("anonymous", "/api/v1/map", b"")
    >>> entity_tag("v1", key) == entity_tag("v1", key), entity_tag("v1", key) == entity_tag("v2", key)
    (True, False)
    >>> entity_tag("v1", ("anonymous", "/api/v1/map", b""), gzip=True).endswith(b'-gzip"')
    True
    """
    digest = hashlib.blake2b(repr((token, key)).encode(), digest_size=12).hexdigest()
    return f'"{digest}{"-gzip" if gzip else ""}"'.encode()


def matches(if_none_match: bytes | None, tag: bytes) -> bool:
    """Whether an If-None-Match header names ``tag`` (a list of tags, weak or strong, or ``*``).

    >>> matches(b'W/"a", "b"', b'"a"'), matches(b'"b"', b'"a"'), matches(b"*", b'"a"'), matches(None, b'"a"')
    (True, False, True, False)
    """
    if not if_none_match:
        return False
    asked = [t.strip().removeprefix(b"W/") for t in if_none_match.split(b",")]
    return b"*" in asked or tag in asked


def _header(headers, name: bytes) -> bytes | None:
    return next((v for k, v in headers if k.lower() == name), None)


class ResponseCache:
    """A plain ASGI middleware caching successful ``GET /api/v1/…`` answers by the caller's visibility scope, path
    and query, each kept with the atlas's change token read before it was computed: a write anywhere (this server,
    the command line, another process) changes the token, and the next read computes afresh. Jobs and downloads
    are never cached.

    Every answer it keeps carries an ETag (:func:`entity_tag`, unless the route gave its own, such as a record's
    version) and ``Cache-Control: private, no-cache``; a request whose If-None-Match names the tag of the answer
    kept gets 304 with no body. It keeps the plain bytes: compression is the gzip middleware's, outside it, so
    ``gzip_minimum`` is that middleware's ``minimum_size`` (which answers it compresses, so which get the gzip
    representation's tag).

    Parameters
    ----------
    entries : how many answers to keep (least recently used go first).
    largest : the largest answer kept, in bytes.
    budget : the most bytes all answers kept may take together (least recently used go first).
    gzip_minimum : the smallest answer the gzip middleware outside compresses, in bytes.
    """

    # Saved views are per user (a private one is its author's alone), while answers are shared within a scope
    SKIP = ("/api/v1/jobs", "/api/v1/exports", "/api/v1/openapi.json", "/api/v1/me", "/api/v1/people/",
            "/api/v1/map/views")

    def __init__(self, app: Any, *, entries: int = 512, largest: int = 64_000_000,
                 budget: int = 256_000_000, gzip_minimum: int = 1024) -> None:
        self.app = app
        self.entries = entries
        self.largest = largest
        self.budget = budget
        self.size = 0
        self.gzip_minimum = gzip_minimum
        self.kept: OrderedDict[tuple[str, str, bytes], tuple[str, list, bytes]] = OrderedDict()
        self.lock = threading.Lock()

    def _tag(self, headers: list, token: str, key: tuple, size: int | None, gzip: bool) -> tuple[bytes, bool]:
        """The answer's ETag and whether it is the cache's own (not the route's)."""
        own = _header(headers, b"etag")
        if own is not None:
            return own, False
        return entity_tag(token, key, gzip=gzip and (size is None or size >= self.gzip_minimum)), True

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or scope["method"] != "GET" or not path.startswith("/api/v1/") \
                or path.startswith(self.SKIP):
            return await self.app(scope, receive, send)
        token = scope["app"].state.atlas.change_token()
        # Keyed on what the caller may see: principals of one scope share answers, no answer crosses scopes.
        who = scope.get("state", {}).get("principal", ANONYMOUS)
        key = (who.scope_key(), path, scope.get("query_string", b""))
        request_headers = scope.get("headers", ())
        gzip = b"gzip" in (_header(request_headers, b"accept-encoding") or b"")
        with self.lock:
            hit = self.kept.get(key)
            if hit is not None and hit[0] == token:
                self.kept.move_to_end(key)
        if hit is not None and hit[0] == token:
            tag, ours = self._tag(hit[1], token, key, len(hit[2]), gzip)
            headers = [(k, v) for k, v in hit[1] if k.lower() not in (b"etag", b"cache-control")]
            headers += [(b"etag", tag), (b"cache-control", CACHE_CONTROL if ours else
                                         _header(hit[1], b"cache-control") or CACHE_CONTROL)]
            if matches(_header(request_headers, b"if-none-match"), tag):
                kept = [(k, v) for k, v in headers if k.lower() in (b"etag", b"cache-control", b"vary")]
                if ours and _header(kept, b"vary") is None:  # the tag depends on the encoding, as the 200 does
                    kept.append((b"vary", b"Accept-Encoding"))
                await send({"type": "http.response.start", "status": 304, "headers": kept})
                await send({"type": "http.response.body", "body": b""})
                return
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": hit[2]})
            return
        start: dict[str, Any] = {}
        parts: list[bytes] = []

        async def keep(message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                if message.get("status") == 200:
                    headers = list(message.get("headers", []))
                    size = _header(headers, b"content-length")
                    tag, ours = self._tag(headers, token, key, int(size) if size else None, gzip)
                    if ours:
                        headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
                        headers += [(b"etag", tag), (b"cache-control", CACHE_CONTROL)]
                        message = {**message, "headers": headers}
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))
                if not message.get("more_body") and start.get("status") == 200:
                    body = b"".join(parts)
                    if len(body) <= self.largest:
                        with self.lock:  # the route's own headers: the tag is made again for each request
                            old = self.kept.pop(key, None)
                            self.size += len(body) - (len(old[2]) if old else 0)
                            self.kept[key] = (token, list(start.get("headers", [])), body)
                            while len(self.kept) > self.entries or self.size > self.budget:
                                self.size -= len(self.kept.popitem(last=False)[1][2])
            await send(message)

        await self.app(scope, receive, keep)
