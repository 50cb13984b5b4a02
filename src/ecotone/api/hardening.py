"""The HTTP layer's hardening as ASGI middleware: security headers, trusted Host names and request body limits."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from starlette.datastructures import Headers
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..settings import Settings
from .problems import problem

__all__ = ["CONTENT_SECURITY_POLICY", "SECURITY_HEADERS", "UPLOAD_PATHS", "BodyLimit", "BodyTooLarge",
           "SecurityHeaders", "TrustedHosts", "install_hardening", "trusted_host_list"]

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    # every script is a file of ours: no inline script, no eval (charts use vega-interpreter instead of new Function)
    "script-src 'self'",
    # vega-embed and vega-tooltip insert <style> elements, and Swagger UI, sigma's legend and vega set style
    # attributes, all at run time; CSS cannot run code, so allowing inline styles costs far less than inline scripts
    "style-src 'self' 'unsafe-inline'",
    # data: the blank favicon and Swagger UI's icons; blob: images a chart or the map exports
    "img-src 'self' data: blob:",
    # ForceAtlas2 runs in a web worker that graphology-layout-forceatlas2 builds from a Blob URL
    "worker-src 'self' blob:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
])

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers older than CSP 2
}

#: Paths whose requests carry files (imports, brokerage-event workbooks, evaluators' ratings): the upload limit.
UPLOAD_PATHS = re.compile(r"/api/v1/(imports(/.*)?|events|partnerships/[^/]+/ratings)")

_TRUSTED = "ecotone.trusted_host"


class SecurityHeaders:
    """Adds the security headers to every HTTP response that does not set them itself.

    Parameters
    ----------
    app : the ASGI application to wrap.
    headers : header name → value; :data:`SECURITY_HEADERS` by default.

    Examples
    --------
    >>> from starlette.applications import Starlette
    >>> from starlette.testclient import TestClient
    >>> client = TestClient(SecurityHeaders(Starlette()))
    >>> client.get("/nowhere").headers["x-frame-options"]
    'DENY'
    """

    def __init__(self, app: ASGIApp, *, headers: dict[str, str] | None = None) -> None:
        self.app = app
        self.headers = [(k.lower().encode("latin-1"), v.encode("latin-1"))
                        for k, v in (SECURITY_HEADERS if headers is None else headers).items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                given = list(message.get("headers", []))
                present = {bytes(k).lower() for k, _ in given}
                # a new list: the response cache replays one it keeps, which must not grow at every answer
                message = {**message, "headers": given + [(k, v) for k, v in self.headers if k not in present]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def trusted_host_list(value: str | Iterable[str]) -> list[str]:
    """The host names of ``value``: a comma-separated string (as ``ECOTONE_TRUSTED_HOSTS`` holds) or names.

    Examples
    --------
    >>> trusted_host_list(" 127.0.0.1, hub.example.org,,[::1] ")
    ['127.0.0.1', 'hub.example.org', '[::1]']
    """
    names = value.split(",") if isinstance(value, str) else value
    return [n.strip() for n in names if n.strip()]


#: The monitors' path, answered whatever host a request names.
HEALTH = "/health"


class TrustedHosts:
    """Starlette's :class:`~starlette.middleware.trustedhost.TrustedHostMiddleware`, its plain-text refusal
    answered as a 400 problem detail saying which setting lets the host in.

    A browser sends the name it was asked to reach in ``Host``: refusing names other than the server's own stops a
    page elsewhere from reaching the atlas through DNS rebinding. ``/health`` answers whatever the name: monitors
    and load balancers ask a worker by its address (``curl http://127.0.0.1:8000/health``), and it says nothing
    of the atlas's records.

    Parameters
    ----------
    app : the ASGI application to wrap.
    allowed_hosts : host names (``*.example.org`` for its subdomains, ``*`` for any).

    Examples
    --------
    >>> from starlette.applications import Starlette
    >>> from starlette.testclient import TestClient
    >>> app = TrustedHosts(Starlette(), allowed_hosts=["127.0.0.1"])
    >>> TestClient(app, base_url="http://evil.example").get("/").json()["status"]
    400
    """

    def __init__(self, app: ASGIApp, *, allowed_hosts: Iterable[str]) -> None:
        self.app = app
        self.allowed_hosts = trusted_host_list(allowed_hosts)
        # no www. redirect: a name either is this server's or is refused
        self.guard = TrustedHostMiddleware(self._admit, allowed_hosts=self.allowed_hosts, www_redirect=False)

    async def _admit(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[_TRUSTED] = True
        await self.app(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.guard(scope, receive, send)
            return
        if scope.get("path") == HEALTH:
            await self._admit(scope, receive, send)
            return
        refused = False

        async def answer(message: Message) -> None:
            nonlocal refused
            if scope.get(_TRUSTED):
                await send(message)
            else:  # the guard's own plain-text refusal: replaced by the problem below
                refused = True

        await self.guard(scope, receive, answer)
        if refused:
            host = (Headers(scope=scope).get("host") or "")[:200]
            await problem(400, "This server does not answer to that host name",
                          f"The request names the host {host!r}, which is not one of this server's names. If this "
                          "server should answer to it, add it to ECOTONE_TRUSTED_HOSTS (comma-separated).")(
                scope, receive, send)


class BodyTooLarge(Exception):
    """Raised while a request body is read once it grows past its limit."""


def _size(n: int) -> str:
    for unit, factor in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= factor:
            return f"{n / factor:.3g} {unit}"
    return f"{n} bytes"


class BodyLimit:
    """Refuses request bodies larger than a limit with a 413 problem detail, before the application reads them.

    The ``Content-Length`` a request declares is checked before the application runs; a body without one (chunked)
    is counted as the application reads it, and the read that goes past the limit fails, so no more of it is read.
    Uploads (:data:`UPLOAD_PATHS`) have their own, larger limit.

    Parameters
    ----------
    app : the ASGI application to wrap.
    max_body : the largest body elsewhere, in bytes (JSON requests).
    max_upload : the largest body of an upload, in bytes.

    Examples
    --------
    >>> from starlette.applications import Starlette
    >>> from starlette.testclient import TestClient
    >>> client = TestClient(BodyLimit(Starlette(), max_body=10, max_upload=100))
    >>> answer = client.post("/api/v1/hubs", content=b"x" * 11)
    >>> answer.status_code, answer.json()["limit"]
    (413, 10)
    """

    def __init__(self, app: ASGIApp, *, max_body: int, max_upload: int) -> None:
        if max_body < 0 or max_upload < 0:
            raise ValueError("body limits are numbers of bytes, 0 or more")
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload

    def _refusal(self, upload: bool, limit: int, length: int | None) -> Any:
        size = f"{_size(length)} ({length} bytes)" if length is not None else f"more than {_size(limit)}"
        if upload:
            return problem(413, "The upload is too large",
                           f"The files sent are {size}; this server takes uploads of up to {_size(limit)} ({limit} "
                           "bytes). Split the file or raise ECOTONE_MAX_UPLOAD_BYTES.",
                           limit=limit, setting="ECOTONE_MAX_UPLOAD_BYTES")
        return problem(413, "The request body is too large",
                       f"The body is {size}; this server reads request bodies of up to {_size(limit)} ({limit} "
                       "bytes) outside uploads. Send fewer records at a time or raise ECOTONE_MAX_BODY_BYTES.",
                       limit=limit, setting="ECOTONE_MAX_BODY_BYTES")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = UPLOAD_PATHS.fullmatch(scope["path"]) is not None
        limit = self.max_upload if upload else self.max_body
        declared = Headers(scope=scope).get("content-length", "")
        length = int(declared) if declared.isdigit() else None
        if length is not None and length > limit:
            await self._refusal(upload, limit, length)(scope, receive, send)
            return
        received = 0
        exceeded = started = answered = False

        async def counted() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise BodyTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge(limit)
            return message

        async def answer(message: Message) -> None:
            nonlocal started, answered
            if exceeded and not started:
                # the application's answer to its failed read (a 400 for an unreadable body, say): ours instead
                if not answered:
                    answered = True
                    await self._refusal(upload, limit, None)(scope, receive, send)
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, answer)
        except BodyTooLarge:
            if started:
                raise
            if not answered:
                await self._refusal(upload, limit, None)(scope, receive, send)


def install_hardening(app: Any, *, trusted_hosts: str | Iterable[str] | None = None, max_body: int | None = None,
                      max_upload: int | None = None) -> None:
    """Harden ``app`` (a FastAPI or Starlette application) for serving beyond this machine.

    Every response, errors and static files included, gets :data:`SECURITY_HEADERS`; a request naming a host
    outside ``trusted_hosts`` gets a 400 problem; a body larger than ``max_body`` (``max_upload`` for uploads)
    gets a 413 problem. A parameter left None takes its setting (``ECOTONE_TRUSTED_HOSTS``,
    ``ECOTONE_MAX_BODY_BYTES``, ``ECOTONE_MAX_UPLOAD_BYTES``); the limits in force are kept in
    ``app.state.hardening``. Call it once, before the application serves its first request.

    Examples
    --------
    >>> from fastapi import FastAPI
    >>> from fastapi.testclient import TestClient
    >>> app = FastAPI()
    >>> install_hardening(app, trusted_hosts=["127.0.0.1"])
    >>> answer = TestClient(app, base_url="http://127.0.0.1").get("/openapi.json")
    >>> answer.status_code, answer.headers["x-content-type-options"]
    (200, 'nosniff')
    >>> TestClient(app, base_url="http://attacker.example").get("/openapi.json").status_code
    400
    """
    if getattr(app.state, "hardening", None) is not None:
        raise RuntimeError("install_hardening was already called on this application")
    settings = Settings() if None in (trusted_hosts, max_body, max_upload) else None
    hosts = trusted_host_list(settings.trusted_hosts if trusted_hosts is None else trusted_hosts)
    body = settings.max_body_bytes if max_body is None else max_body
    upload = settings.max_upload_bytes if max_upload is None else max_upload
    app.state.hardening = {"trusted_hosts": hosts, "max_body": body, "max_upload": upload}
    # inside Starlette's ServerErrorMiddleware: a read past the limit fails in the application, and BodyLimit
    # turns the failure into its 413 before ServerErrorMiddleware would make it a 500
    app.add_middleware(BodyLimit, max_body=body, max_upload=upload)
    build = app.build_middleware_stack

    def build_hardened() -> ASGIApp:
        # outside ServerErrorMiddleware, which Starlette always puts outermost and which sends the 500 of an
        # unhandled error itself: only there do that 500 and the Host refusal get the headers too
        return SecurityHeaders(TrustedHosts(build(), allowed_hosts=hosts))

    app.build_middleware_stack = build_hardened
