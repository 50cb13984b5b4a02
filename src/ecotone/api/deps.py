"""What a request needs: an Atlas of its own over the application's one engine, and fast JSON answers."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict
from typing import Annotated, Any, Optional

from fastapi import Query, Request, Response

from ..services import analysis

from ..store import Atlas
from .auth import principal

__all__ = ["atlas_of", "json_response", "scope"]


async def atlas_of(request: Request) -> Atlas:
    """An Atlas for this request, acting for its principal: its own transaction state over the application's
    engine and connection pool (async so that FastAPI does not send this cheap step through its thread pool)."""
    return Atlas(request.app.state.atlas.engine, principal(request))


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if hasattr(value, "value"):  # an enum
        return value.value
    if hasattr(value, "model_dump"):  # a part of a record (a challenge's rubric criterion)
        return value.model_dump(mode="json")
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def json_response(content: Any, status_code: int = 200) -> Response:
    """``content`` as JSON, written directly: for answers built from rows the atlas validated when they were
    written (FastAPI's response validation would check them again, at several times the cost)."""
    body = json.dumps(content, default=_plain, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(body, status_code=status_code, media_type="application/json")


async def scope(hub: Annotated[Optional[list[str]], Query(description="Hub ids or names.")] = None,
                type: Annotated[Optional[list[str]], Query(description="Stakeholder types.")] = None,
                kind: Annotated[Optional[list[str]], Query(description="Tie kinds.")] = None,
                since: Annotated[Optional[str], Query(description="Ties active on or after.")] = None,
                until: Annotated[Optional[str], Query(description="Ties active on or before.")] = None,
                ) -> analysis.Filters:
    """The part of the network to look at (the Snapshot's filters)."""
    return analysis.Filters(hubs=tuple(hub or ()), types=tuple(type or ()), kinds=tuple(kind or ()), since=since,
                            until=until)


def filters_as_params(f: analysis.Filters) -> dict:
    """The filters as a job's parameters (JSON), for :func:`filters_of` to read back."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(f).items()}


def filters_of(params: dict) -> analysis.Filters:
    return analysis.Filters(**{k: tuple(v) if isinstance(v, list) else v for k, v in params.items()})
