"""Exports of the map's current view (what the browser shows: its actors, ties, positions, colours and sizes)."""

from fastapi import APIRouter

from .schemas import ProblemDetail

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", responses={422: {"model": ProblemDetail}})
