"""Errors as RFC 9457 problem details (``application/problem+json``): what went wrong, and where."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..domain.problems import InputRejected, plain_reason
from ..simulate.spec import ModelError
from ..services.accounts import SignInRefused
from ..services.dedupe import LikelyDuplicate
from ..store.atlas import AtlasError, Conflict, Forbidden, NotFound, NotSignedIn, Refused, busy
from .schemas import ProblemDetail

__all__ = ["install", "problem", "said_as", "AtlasBusy", "JsonDepth", "MAX_JSON_DEPTH", "PROBLEM_STATUSES",
           "TOO_MUCH_WORK"]

MEDIA_TYPE = "application/problem+json"
#: How deeply a JSON request body may nest: a record needs three levels (a partnership's weights in a list of
#: records would be four), so 32 leaves room and keeps every parser far from its recursion limit.
MAX_JSON_DEPTH = 32
#: The problems any operation of the API may answer with, documented on each in the OpenAPI document.
PROBLEM_STATUSES = {400: "The request cannot be read or served", 401: "Not signed in",
                    403: "Not allowed for this account", 404: "Not found",
                    409: "The atlas refused the change (a duplicate, or a reference to a record that does not exist)",
                    413: "The request body is too large", 422: "The request or its input is not valid",
                    503: "The atlas is busy with another change; nothing was written: try again after Retry-After "
                         "seconds"}
#: The problem an operation that starts a background job may answer with besides (declared on those operations).
TOO_MUCH_WORK = {429: {"description": "The account has as much background work queued or running as it may have at "
                                      "once; nothing was queued: wait for a job to finish or cancel one"}}
#: Seconds a client is told to wait (``Retry-After``) when the atlas was busy with another writer.
RETRY_AFTER = 2


def problem(status: int, title: str, detail: str | None = None, errors: list[dict[str, Any]] | None = None,
            **extra: Any) -> JSONResponse:
    """A problem-details response."""
    body = {"type": "about:blank", "title": title, "status": status, **({"detail": detail} if detail else {}),
            "errors": errors or [], **extra}
    return _ProblemResponse(body, status_code=status, media_type=MEDIA_TYPE)


_OPTION = re.compile(r"--[a-z][a-z-]*")


@contextmanager
def said_as(fields: Mapping[str, str], words: Mapping[str, str] | None = None) -> Iterator[None]:
    """Say the problems a service raises in the command line's words as an endpoint's (raised again as
    :class:`InputRejected`): an option in a problem's column becomes the endpoint's field (``fields``, e.g.
    ``{"--runs": "runs"}``); in its reason and hint, what ``words`` names (a hint that tells a command to run, an
    option as the form says it) becomes what the endpoint's users read, and any option left becomes its field.

    Examples
    --------
    >>> from ecotone.domain.problems import Problem
    >>> try:
    ...     with said_as({"--stage": "stage"}, {"(ecotone stages)": "(the stages are listed on the Hub page)"}):
    ...         raise InputRejected([Problem(column="--stage", reason="no stage 'x'",
    ...                                      hint="give --stage (ecotone stages)")])
    ... except InputRejected as exc:
    ...     print(exc.problems[0].column, "|", exc.problems[0].hint)
    stage | give stage (the stages are listed on the Hub page)
    """
    try:
        yield
    except InputRejected as exc:
        said = sorted((words or {}).items(), key=lambda kv: -len(kv[0]))  # the longest first: a phrase before its part

        def endpoint(text: str | None) -> str | None:
            if text is None:
                return None
            for cli, own in said:
                text = text.replace(cli, own)
            return _OPTION.sub(lambda m: fields.get(m.group(), m.group()), text)

        raise InputRejected([replace(p, column=fields.get(p.column, p.column),
                                     reason=endpoint(p.reason), hint=endpoint(p.hint)) for p in exc.problems],
                            exc.report) from None


class _ProblemResponse(JSONResponse):
    """A problem as JSON that always renders: text quoted from the request (a field name, a value) may hold what
    UTF-8 cannot encode (a lone surrogate sent as ``"\\ud800"``), or values JSON has no form for."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, default=str,
                          separators=(",", ":")).encode("utf-8", "backslashreplace")


_JSON_TOKENS = re.compile(rb'["\\\[\]{}]')


class _TooDeep(Exception):
    """Raised to the application reading a request body that nests too deeply."""


class _Nesting:
    """How deeply the JSON text fed so far nests, chunk after chunk (brackets inside strings do not count)."""

    def __init__(self) -> None:
        self.depth = self.deepest = 0
        self.offset = 0
        self.in_string = False
        self.escaped_at = -1

    def feed(self, chunk: bytes) -> int:
        """Read the next chunk; returns the deepest nesting seen so far."""
        for token in _JSON_TOKENS.finditer(chunk):
            at = self.offset + token.start()
            char = token.group()
            if self.in_string:
                if at == self.escaped_at:
                    continue
                if char == b"\\":
                    self.escaped_at = at + 1
                elif char == b'"':
                    self.in_string = False
            elif char == b'"':
                self.in_string = True
            elif char in b"[{":
                self.depth += 1
                self.deepest = max(self.deepest, self.depth)
            else:
                self.depth -= 1
        self.offset += len(chunk)
        return self.deepest


class JsonDepth:
    """ASGI middleware refusing a JSON request body nested more than ``depth`` levels deep, as it streams in:
    parsers and validators recurse once per level, and ten thousand ``[`` would exhaust their stack.

    The body is scanned as the application reads it, never buffered here; once it goes too deep the application is
    told the body cannot be read, and its answer is replaced by a 400 problem saying why.

    Examples
    --------
    >>> from fastapi import FastAPI, Body
    >>> from fastapi.testclient import TestClient
    >>> app = FastAPI()
    >>> @app.post("/echo")
    ... def echo(value=Body()):
    ...     return value
    >>> app.add_middleware(JsonDepth, depth=3)
    >>> client = TestClient(app)
    >>> client.post("/echo", json=[[["fine"]]]).json()
    [[['fine']]]
    >>> client.post("/echo", json=[[[["too deep"]]]]).json()["title"]
    'The request body nests too deeply'
    """

    def __init__(self, app: ASGIApp, depth: int = MAX_JSON_DEPTH) -> None:
        self.app = app
        self.depth = depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _may_be_json(scope):
            await self.app(scope, receive, send)
            return
        nesting = _Nesting()
        too_deep = False

        async def checked() -> Message:
            nonlocal too_deep
            message = await receive()
            if message["type"] == "http.request" and nesting.feed(message.get("body", b"")) > self.depth:
                too_deep = True
                raise _TooDeep()
            return message

        async def unless_too_deep(message: Message) -> None:
            if not too_deep:  # the application's answer to a body it could not read is replaced by ours
                await send(message)

        try:
            await self.app(scope, checked, unless_too_deep)
        except _TooDeep:
            pass
        if too_deep:
            response = problem(400, "The request body nests too deeply",
                               f"its JSON nests more than {self.depth} levels deep, which is not read; a record "
                               "needs three or four levels")
            await response(scope, receive, send)


def _may_be_json(scope: Scope) -> bool:
    """Whether the request's body is read as JSON (FastAPI reads a body without a content type as JSON too)."""
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            media = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return True


def busy_problem() -> JSONResponse:
    """The answer to a request that met another writer holding the atlas (:func:`ecotone.store.atlas.busy`):
    its transaction was rolled back, so the same request again in a moment is safe."""
    response = problem(503, "The atlas is busy; try again in a moment",
                       "another change (an import, another user's edit) was being written and did not finish in "
                       f"time, so nothing of this request was written; send it again in {RETRY_AFTER} seconds")
    response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


class AtlasBusy:
    """ASGI middleware answering 503 with ``Retry-After`` (:func:`busy_problem`) when the atlas is busy with
    another writer while a request is served, even outside a route (the principal's session, a middleware's
    read), instead of the plain 500 an unhandled error gets; any other error goes on as it was. An answer already
    started is left as it is."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except (sa.exc.DBAPIError, sa.exc.TimeoutError) as exc:
            if started or not busy(exc):
                raise
            await busy_problem()(scope, receive, send)


def _document(app: FastAPI) -> None:
    """Declare on every API operation the problems it may answer with, as ``application/problem+json``."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = build()
            schema = {"$ref": "#/components/schemas/ProblemDetail"}
            for item in doc.get("paths", {}).values():  # the API's, and signing in and out
                for method, operation in item.items():
                    if method not in ("get", "put", "post", "patch", "delete"):
                        continue
                    responses = operation.setdefault("responses", {})
                    for status, description in PROBLEM_STATUSES.items():
                        responses.setdefault(str(status), {"description": description})
                    for status, response in responses.items():
                        if status.isdigit() and int(status) >= 400:
                            response["content"] = {MEDIA_TYPE: {"schema": schema}}
            doc.setdefault("components", {}).setdefault("schemas", {}).setdefault(
                "ProblemDetail", ProblemDetail.model_json_schema())
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]



def install(app: FastAPI) -> None:
    """Turn the errors the services raise into problem details (an atlas busy with another writer into a 503 with
    ``Retry-After``), refuse JSON nested too deeply, and document the problems on every operation of the OpenAPI
    document."""
    app.add_middleware(JsonDepth)
    app.add_middleware(AtlasBusy)
    _document(app)

    @app.exception_handler(sa.exc.DBAPIError)
    @app.exception_handler(sa.exc.TimeoutError)
    async def database_error(request: Request, exc: sa.exc.SQLAlchemyError) -> JSONResponse:
        if busy(exc):  # another writer held the atlas, or no connection was free: nothing was written
            return busy_problem()
        raise exc

    @app.exception_handler(InputRejected)
    async def rejected(request: Request, exc: InputRejected) -> JSONResponse:
        # A record's problems name its fields as a form does; a file's, their file, row and column
        errors = [{**p.as_dict(), **({"field": p.column} if p.column and not p.file else {})} for p in exc.problems]
        detail = "; ".join(str(p) for p in exc.problems[:5])
        if request.method in ("GET", "HEAD", "OPTIONS"):   # a question, not a write: nothing could have been written
            return problem(422, "The question could not be answered as asked", detail, errors)
        return problem(422, "The input was rejected; nothing was written", detail, errors)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": ".".join(str(p) for p in e["loc"] if p not in ("body", "query", "path", "header"))
                   or "body", "in": e["loc"][0] if e["loc"] else "body", "reason": plain_reason(e)}
                  for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors[:5])
        return problem(422, "The request is not valid", detail, errors)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> JSONResponse:
        return problem(404, "Not found", str(exc))

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> JSONResponse:
        if isinstance(exc, LikelyDuplicate):  # the existing ones, for a form to name them and ask to confirm
            return problem(409, "An organisation of that name is in this hub already", str(exc),
                           existing=exc.existing)
        return problem(409, "The atlas refused the change", str(exc))

    @app.exception_handler(Conflict)
    async def conflict(request: Request, exc: Conflict) -> JSONResponse:
        # 412 answers an If-Match that no longer holds; without one (a revert over later changes) it is a 409
        status = 412 if "if-match" in request.headers else 409
        response = problem(status, "Changed since you read it", str(exc), version=exc.version,
                           changed_by=exc.changed_by,
                           changed_at=exc.changed_at.isoformat() if exc.changed_at else None)
        response.headers["ETag"] = f'"v{exc.version}"'
        return response

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: NotSignedIn) -> JSONResponse:
        response = problem(401, "Not signed in", str(exc))
        response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> JSONResponse:
        return problem(403, "Not allowed", str(exc))

    @app.exception_handler(SignInRefused)
    async def sign_in_refused(request: Request, exc: SignInRefused) -> JSONResponse:
        if exc.retry_after:
            response = problem(429, "Too many failed sign-ins", str(exc))
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        return problem(401, "Signing in failed", str(exc))

    @app.exception_handler(AtlasError)
    async def atlas_error(request: Request, exc: AtlasError) -> JSONResponse:
        return problem(400, "The request cannot be served", str(exc))

    @app.exception_handler(ModelError)
    async def model_error(request: Request, exc: ModelError) -> JSONResponse:
        return problem(422, "The model cannot run", str(exc))

    @app.exception_handler(ValueError)
    async def value_error(request: Request, exc: ValueError) -> JSONResponse:
        return problem(400, "The request cannot be served", str(exc))

    @app.exception_handler(OverflowError)
    async def overflow(request: Request, exc: OverflowError) -> JSONResponse:
        # SQLite's driver refuses a Python int beyond 64 bits (an offset, an id given as a filter)
        return problem(400, "A number in the request is too large", f"{exc}; give a smaller one")

    @app.exception_handler(RecursionError)
    async def recursion(request: Request, exc: RecursionError) -> JSONResponse:
        return problem(400, "The request nests too deeply to be served",
                       "something in it (a JSON value, a file) nests deeper than Ecotone follows")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        titles = {400: "The request cannot be read", 404: "Not found", 405: "Method not allowed"}
        return problem(exc.status_code, titles.get(exc.status_code, "Error"), str(exc.detail) if exc.detail else None)
