"""Answers repeated API reads from memory while what they depend on in the atlas has not changed (the version
counters of the records they show say so), computing each missing answer once, with an ETag the browser
revalidates."""

from __future__ import annotations

import asyncio
import hashlib
from gzip import compress as gzip_compress
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

from ..domain.access import ANONYMOUS
from ..store._changes import EVERYTHING, change_token
from .counters import counters_of

__all__ = ["ResponseCache", "dependencies", "entity_tag", "matches", "GZIP_LEVEL"]

#: The gzip level of answers, the cache's and the gzip middleware's (app.py): fast, and the map a fifth of its size.
GZIP_LEVEL = 5

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


# What a hub's answers depend on beyond the hub's own counter: who may see its records changes when an
# organisation anywhere changes hub, visibility or owner, or goes ('reach'), when sharing changes (a principal's
# scope), and when who a principal is changes.
_ACROSS_HUBS = ("reach", "k:hub_shares", "accounts")
#: What the whole map reads: what it shows of organisations (not their cities or descriptions: 'm:organizations'),
#: ties and hub names, and who may see them; and the organisations' list.
_MAP = ("m:organizations", "k:ties", "k:hubs", "k:hub_shares", "accounts")
_ORGANIZATIONS = ("k:organizations", "k:hub_shares", "accounts")


def _hubs_asked(query: bytes) -> list[str] | None:
    hubs = [v.strip() for k, v in parse_qsl(query.decode("latin-1"), keep_blank_values=True) if k == "hub"]
    return [h for h in hubs if h] or None


def _hub_counters(hubs: Iterable[str]) -> tuple[str, ...] | None:
    """A hub's counter for each hub asked for by id, and what crosses hubs; None when a hub is named (which hub
    a name means may change with any hub's name or visibility: such an answer depends on the kinds it reads)."""
    if not all(hub.isascii() and hub.isdigit() for hub in hubs):
        return None
    return tuple(sorted({*(f"h:{int(hub)}" for hub in hubs), *_ACROSS_HUBS}))


def dependencies(path: str, query: bytes, atlas: Any) -> tuple[str, ...]:
    """The version counters (see :func:`ecotone.store._changes.counters`) the answer to ``GET path?query``
    depends on: :data:`EVERYTHING` unless the route's reading is known here.

    Known are the map and the list of organisations — of given hubs: those hubs' counters, which move with every
    write to their organisations, to the ties touching them, to their innovations and deals and to the hubs
    themselves, plus what crosses hubs (an organisation anywhere changing hub, visibility or owner, sharing,
    accounts); of the whole atlas (or of a hub named rather than given by id): the kinds of record they
    read (for the map, of organisations only the fields it draws or that decide who sees them: an edit of a city
    or a description keeps the whole atlas's map) — and an organisation, its card: its hub's counter and what
    crosses hubs (a tie to another hub's actor moves both hubs' counters; that actor hidden or gone moves
    'reach'). Every other route depends on everything: a write anywhere recomputes it.

    >>> dependencies("/api/v1/map", b"hub=3&type=startup", None)
    ('accounts', 'h:3', 'k:hub_shares', 'reach')
    >>> dependencies("/api/v1/organizations", b"hub=Barcelona", None)
    ('k:organizations', 'k:hub_shares', 'accounts')
    >>> dependencies("/api/v1/map", b"", None)
    ('m:organizations', 'k:ties', 'k:hubs', 'k:hub_shares', 'accounts')
    >>> dependencies("/api/v1/analysis/gaps", b"hub=3", None)
    ('accounts', 'content')
    """
    if path in ("/api/v1/map", "/api/v1/organizations"):
        hubs = _hubs_asked(query)
        local = _hub_counters(hubs) if hubs is not None else None
        if local is not None:
            return local
        return _MAP if path == "/api/v1/map" else _ORGANIZATIONS
    parts = path.split("/")  # '', 'api', 'v1', 'organizations', id[, 'card']
    if len(parts) in (5, 6) and parts[3] == "organizations" and parts[4].isascii() and parts[4].isdigit() \
            and (len(parts) == 5 or parts[5] == "card"):
        hub = atlas.organization_hub(int(parts[4]))
        if hub is not None:  # an organisation in no hub moves no hub's counter
            return tuple(sorted({f"h:{hub}", *_ACROSS_HUBS}))
    return EVERYTHING


async def _off_loop(atlas: Any, work, *args):
    """``work(*args)`` where it does not hold up the event loop: on PostgreSQL a round trip to the server (in a
    worker thread, as the routes run); on SQLite a read of a page in memory, done at once."""
    if atlas.dialect == "sqlite":
        return work(*args)
    return await asyncio.to_thread(work, *args)


def _weight(entry: tuple) -> int:
    """The bytes an entry keeps: its answer, and its compressed copy if made."""
    return len(entry[3]) + (len(entry[4]) if entry[4] is not None else 0)


class _Flight:
    """An answer being computed: who else asks for it meanwhile waits for it (on the same event loop)."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.done = asyncio.Event()
        self.waiting = 0


class ResponseCache:
    """A plain ASGI middleware caching successful ``GET /api/v1/…`` answers by the caller's visibility scope, path
    and query. Each answer is kept with the values of the version counters it depends on (:func:`dependencies`),
    read before it was computed: a write (through this server, the command line, another process or another web
    worker — the counters live in the database, moved by its triggers) that moves one of them makes the next read
    compute afresh, while answers about other hubs, or reading other kinds of record, stay. Jobs and downloads
    are never cached.

    Requests that miss the same key at the same time compute it once: the first computes, the others wait for it
    and are answered from what it kept (single flight). This holds within one process; each web worker process
    keeps its own answers, so after a write each worker computes a missed answer once (at most one computation
    per worker and key). An answer that is not kept (not a 200, or larger than ``largest``) is computed by each
    waiter afterwards.

    Every answer it keeps carries an ETag (:func:`entity_tag`, unless the route gave its own, such as a record's
    version) and ``Cache-Control: private, no-cache``; a request whose If-None-Match names the tag of the answer
    kept gets 304 with no body. It keeps the plain bytes, and beside them, once a client asking for gzip was sent
    the answer, its gzip-compressed bytes (compressing a 10 MB map takes a fifth of a second: once per answer, not
    once per request); the answer computed is compressed by the gzip middleware outside, so ``gzip_minimum`` is
    that middleware's ``minimum_size`` (which answers are compressed, so which get the gzip representation's
    tag).

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
        # key → (counters it depends on, their token when it was computed, headers, body, body gzip-compressed
        # once a client asking for gzip was sent it, or None)
        self.kept: OrderedDict[tuple[str, str, bytes], tuple[tuple[str, ...], str, list, bytes]] = OrderedDict()
        self.flights: dict[tuple[str, str, bytes], _Flight] = {}
        self.lock = threading.Lock()
        #: How many answers were computed (misses) and answered from memory (hits), for benchmarks and tests.
        self.computed = 0
        self.served = 0

    def _tag(self, headers: list, token: str, key: tuple, size: int | None, gzip: bool) -> tuple[bytes, bool]:
        """The answer's ETag and whether it is the cache's own (not the route's)."""
        own = _header(headers, b"etag")
        if own is not None:
            return own, False
        return entity_tag(token, key, gzip=gzip and (size is None or size >= self.gzip_minimum)), True

    def _valid(self, key: tuple, values: dict[str, int]) -> tuple | None:
        with self.lock:
            hit = self.kept.get(key)
            if hit is not None and change_token(None, hit[0], values=values) == hit[1]:
                self.kept.move_to_end(key)
                return hit
        return None

    async def _send_kept(self, hit: tuple, key: tuple, request_headers, gzip: bool, send) -> None:
        self.served += 1
        _, token, kept_headers, body, _ = hit
        tag, ours = self._tag(kept_headers, token, key, len(body), gzip)
        headers = [(k, v) for k, v in kept_headers if k.lower() not in (b"etag", b"cache-control")]
        headers += [(b"etag", tag), (b"cache-control", CACHE_CONTROL if ours else
                                     _header(kept_headers, b"cache-control") or CACHE_CONTROL)]
        zipped = gzip and len(body) >= self.gzip_minimum and _header(kept_headers, b"content-encoding") is None
        if matches(_header(request_headers, b"if-none-match"), tag):
            kept = [(k, v) for k, v in headers if k.lower() in (b"etag", b"cache-control", b"vary")]
            if ours and _header(kept, b"vary") is None:  # the tag depends on the encoding, as the 200 does
                kept.append((b"vary", b"Accept-Encoding"))
            await send({"type": "http.response.start", "status": 304, "headers": kept})
            await send({"type": "http.response.body", "body": b""})
            return
        if zipped:  # compressed once, not for every request (the map of 20,000 actors: 0.2 s of a core each time)
            body = await self._zipped(key, hit)
            headers = [(k, v) for k, v in headers if k.lower() not in (b"content-length", b"vary")]
            headers += [(b"content-encoding", b"gzip"), (b"vary", b"Accept-Encoding"),
                        (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _zipped(self, key: tuple, hit: tuple) -> bytes:
        """The kept answer gzip-compressed as the gzip middleware outside would (its level), made off the event
        loop the first time a client asks for it and kept beside the plain bytes while the answer is valid."""
        if hit[4] is not None:
            return hit[4]
        zipped = await asyncio.to_thread(gzip_compress, hit[3], compresslevel=GZIP_LEVEL, mtime=0)
        with self.lock:
            now = self.kept.get(key)
            if now is not None and now[1] == hit[1] and now[4] is None:
                self.kept[key] = (*now[:4], zipped)
                self.size += len(zipped)
        return zipped

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or scope["method"] != "GET" or not path.startswith("/api/v1/") \
                or path.startswith(self.SKIP):
            return await self.app(scope, receive, send)
        atlas = scope["app"].state.atlas
        # read before anything is computed (after the request came): a write meanwhile makes the answer stale
        values = await counters_of(scope)
        if values is None:  # an in-memory database: nothing is kept
            return await self.app(scope, receive, send)
        # Keyed on what the caller may see: principals of one scope share answers, no answer crosses scopes.
        who = scope.get("state", {}).get("principal", ANONYMOUS)
        query = scope.get("query_string", b"")
        key = (who.scope_key(), path, query)
        request_headers = scope.get("headers", ())
        gzip = b"gzip" in (_header(request_headers, b"accept-encoding") or b"")
        hit = self._valid(key, values)
        if hit is None:
            flight = self.flights.get(key)
            if flight is not None and flight.loop is asyncio.get_running_loop():
                flight.waiting += 1
                await flight.done.wait()  # the one computing it keeps it; the counters may have moved since
                values = await scope["app"].state.counters.read()
                hit = self._valid(key, values)
        if hit is not None:
            return await self._send_kept(hit, key, request_headers, gzip, send)
        flight = None
        if key not in self.flights:
            flight = self.flights[key] = _Flight()
        try:
            await self._compute(scope, receive, send, atlas, values, key, path, query, gzip)
        finally:
            if flight is not None:
                del self.flights[key]
                flight.done.set()

    async def _compute(self, scope, receive, send, atlas, values, key, path, query, gzip) -> None:
        self.computed += 1
        names = await _off_loop(atlas, dependencies, path, query, atlas)
        token = change_token(None, names, values=values)
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
                            self.size += len(body) - (_weight(old) if old else 0)
                            self.kept[key] = (names, token, list(start.get("headers", [])), body, None)
                            while len(self.kept) > self.entries or self.size > self.budget:
                                self.size -= _weight(self.kept.popitem(last=False)[1])
            await send(message)

        await self.app(scope, receive, keep)
