"""What a request needs: an Atlas of its own over the application's one engine (SQLAlchemy pools connections)."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request

from ..store import Atlas

__all__ = ["atlas_of"]


def atlas_of(request: Request) -> Iterator[Atlas]:
    """An Atlas for this request: its own transaction state, the application's engine and connection pool."""
    yield Atlas(request.app.state.atlas.engine)
