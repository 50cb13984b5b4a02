"""Saved map views: a named view of the map (its URL query), shared by its visibility."""

from fastapi import APIRouter

from .schemas import ProblemDetail

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", responses={422: {"model": ProblemDetail}})
