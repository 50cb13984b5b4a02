"""Who is calling: API tokens and session cookies resolved to a principal before anything else runs; signing in
and out; CSRF protection of every cookie-authenticated change."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette_csrf import CSRFMiddleware

from ..domain.access import ANONYMOUS, Principal
from ..services.accounts import principal_of
from ..store import Atlas
from ..store.accounts import digest
from ..store._changes import change_token
from ..store.atlas import Forbidden, NotSignedIn
from .counters import counters_of

__all__ = ["PrincipalMiddleware", "CSRF", "SESSION_COOKIE", "CSRF_COOKIE", "CSRF_HEADER", "principal", "writer"]

SESSION_COOKIE = "ecotone_session"
CSRF_COOKIE = "ecotone_csrf"
CSRF_HEADER = "x-csrftoken"


def principal(request: Request) -> Principal:
    """The principal of a request (anonymous unless a live token or session says otherwise)."""
    return getattr(request.state, "principal", ANONYMOUS)


def writer(request: Request) -> Principal:
    """The principal of a request that changes the atlas: refused at once (before an upload is looked at) unless it
    may write."""
    who = principal(request)
    if not who.signed_in:
        raise NotSignedIn("sign in to change the atlas: visitors may only read public records")
    if not who.may_write:
        raise Forbidden(f"{who.actor} may only read; changing the atlas takes an editor's, a manager's or an "
                        "admin's account")
    return who


def _problem(status: int, title: str, detail: str, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail, "errors": []})
    return Response(body, status_code=status, media_type="application/problem+json", headers=headers)


class PrincipalMiddleware:
    """Resolves ``Authorization: Bearer TOKEN`` (``via`` api) or the session cookie (``via`` web) to a principal
    kept in the request's state. Resolutions are remembered while the atlas's accounts counter stays the same, so a
    revoked token or a removed account stops working at the next request, in every server process. A bearer
    token that is not live is a 401; a stale session cookie just means anonymous."""

    def __init__(self, app: Any, *, atlas: Atlas) -> None:
        self.app = app
        self.atlas = atlas
        self.known: dict[str, tuple[str, Principal | None]] = {}
        self.lock = threading.Lock()

    async def _resolve(self, scope, kind: str, secret: str) -> Principal | None:
        # who a principal is: accounts alone say (the counters read once for the request, the cache's too)
        token = change_token(None, ("accounts",), values=await counters_of(scope))
        key = f"{kind}:{digest(secret)}"
        with self.lock:
            hit = self.known.get(key)
        if hit is not None and hit[0] == token:
            return hit[1]
        atlas = Atlas(self.atlas.engine)
        if atlas.dialect == "sqlite":
            found = principal_of(atlas, **{kind: secret})
        else:  # a round trip to the server, off the event loop
            found = await asyncio.to_thread(principal_of, atlas, **{kind: secret})
        with self.lock:
            if len(self.known) > 10_000:
                self.known.clear()
            self.known[key] = (token, found)
        return found

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request = Request(scope)
        who: Principal = ANONYMOUS
        auth = request.headers.get("authorization", "")
        if auth:
            kind, _, secret = auth.partition(" ")
            found = (await self._resolve(scope, "token", secret.strip())
                     if kind.lower() == "bearer" and secret.strip() else None)
            if found is None:
                response = _problem(401, "Not signed in", "the API token is not valid, or was revoked; create one "
                                    "with: ecotone tokens create EMAIL", {"WWW-Authenticate": "Bearer"})
                return await response(scope, receive, send)
            who = found
        elif request.cookies.get(SESSION_COOKIE):
            who = await self._resolve(scope, "session", request.cookies[SESSION_COOKIE]) or ANONYMOUS
        scope.setdefault("state", {})["principal"] = who
        await self.app(scope, receive, send)


class CSRF(CSRFMiddleware):
    """starlette-csrf's double-submit cookie, required of every change made with a session cookie (API clients
    with a bearer token carry no cookie and need none); its refusal is a problem detail like every other error."""

    def __init__(self, app: Any, *, secret: str) -> None:
        super().__init__(app, secret, sensitive_cookies={SESSION_COOKIE}, cookie_name=CSRF_COOKIE,
                         header_name=CSRF_HEADER, cookie_samesite="strict")

    async def send(self, message, send, scope) -> None:
        # The library would sign a fresh token for every message of every answer to a client without the cookie;
        # only the start of an answer carries headers, and API clients with a token have no use for the cookie.
        if message["type"] != "http.response.start" or any(k == b"authorization" for k, _ in scope["headers"]):
            await send(message)
            return
        await super().send(message, send, scope)

    def _get_error_response(self, request: Request) -> Response:
        return _problem(403, "The request was refused", "it did not carry this site's CSRF token: changes can "
                        "only come from Ecotone's own pages (reload the page and try again)")
