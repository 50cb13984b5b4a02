"""The registry's own checks over the API: ``GET /api/v1/check``, for signed-in members."""

# No `from __future__ import annotations`: FastAPI reads the handlers' annotations.
from typing import Annotated, Literal, Optional

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from ..services.check import KINDS, check_atlas
from ..store import Atlas
from .deps import atlas_of
from .schemas import ProblemDetail

__all__ = ["router", "FindingPublic", "FindingsPublic"]

router = APIRouter(prefix="/api/v1", responses={401: {"model": ProblemDetail}})


class FindingPublic(BaseModel):
    """A record to look at: the kind of finding, the record (``organization:12``), its name, the problem in plain
    words and the command or page that fixes it."""

    kind: str
    record: str
    name: Optional[str]
    problem: str
    hint: str


class FindingsPublic(BaseModel):
    """The findings of the registry's checks and how many there are."""

    data: list[FindingPublic]
    count: int


@router.get("/check", tags=["atlas"], response_model=FindingsPublic, summary="The registry's own checks",
            description="Records to look at, each with the problem and its fix: " +
                        "; ".join(f"`{k}`: {v}" for k, v in KINDS.items()) +
                        ". Only what the caller may see is checked; visitors are refused (401).")
def check(atlas: Atlas = Depends(atlas_of),
          kind: Annotated[Optional[list[Literal[tuple(KINDS)]]],
                          Query(description=f"Only these checks: {', '.join(KINDS)}.")] = None):
    found = check_atlas(atlas, kinds=kind)
    return {"data": [f.as_dict() for f in found], "count": len(found)}
