"""Errors as RFC 9457 problem details (``application/problem+json``): what went wrong, and where."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from ..domain.problems import InputRejected
from ..simulate.spec import ModelError
from ..services.accounts import SignInRefused
from ..store.atlas import AtlasError, Forbidden, NotFound, NotSignedIn, Refused

__all__ = ["install", "problem"]

MEDIA_TYPE = "application/problem+json"


def problem(status: int, title: str, detail: str | None = None, errors: list[dict[str, Any]] | None = None,
            **extra: Any) -> JSONResponse:
    """A problem-details response."""
    body = {"type": "about:blank", "title": title, "status": status, **({"detail": detail} if detail else {}),
            "errors": errors or [], **extra}
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE)


def install(app: FastAPI) -> None:
    """Turn the errors the services raise into problem details."""

    @app.exception_handler(InputRejected)
    async def rejected(request: Request, exc: InputRejected) -> JSONResponse:
        errors = [p.as_dict() for p in exc.problems]
        detail = "; ".join(str(p) for p in exc.problems[:5])
        return problem(422, "The input was rejected; nothing was written", detail, errors)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": ".".join(str(p) for p in e["loc"] if p not in ("body", "query", "path")) or "body",
                   "in": e["loc"][0] if e["loc"] else "body", "reason": e["msg"]} for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors[:5])
        return problem(422, "The request is not valid", detail, errors)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> JSONResponse:
        return problem(404, "Not found", str(exc))

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> JSONResponse:
        return problem(409, "The atlas refused the change", str(exc))

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

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return problem(exc.status_code, {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "Error"),
                       str(exc.detail) if exc.detail else None)
