"""Likely duplicate organisations, and merging a pair: ``/api/v1/duplicates``."""

# No `from __future__ import annotations`: FastAPI reads the handlers' annotations.
from typing import Any, Optional

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from ..domain.access import Principal
from ..services import dedupe
from ..store import Atlas
from .auth import writer
from .deps import atlas_of, json_response
from .schemas import MAX_ID, ProblemDetail

__all__ = ["router", "DuplicatePublic", "DuplicatesPublic", "MergeCreate", "MergePublic"]

router = APIRouter(prefix="/api/v1", tags=["duplicates"],
                   responses={401: {"model": ProblemDetail}, 403: {"model": ProblemDetail},
                              404: {"model": ProblemDetail}, 409: {"model": ProblemDetail}})


class DuplicatePublic(BaseModel):
    """Two organisations that are likely one: ``a`` the older record, the score (0–100) and every reason."""

    score: float
    a_id: int
    a_name: str
    a_hub: Optional[str] = None
    b_id: int
    b_name: str
    b_hub: Optional[str] = None
    reason: str


class DuplicatesPublic(BaseModel):
    """A page of likely duplicates, best first, and how many pairs there are."""

    data: list[DuplicatePublic]
    count: int


class MergeCreate(BaseModel):
    """Merge ``loser_id`` into ``survivor_id``; ``dry_run`` says what would happen and writes nothing."""

    model_config = ConfigDict(extra="forbid")

    survivor_id: int = Field(ge=1, le=MAX_ID)
    loser_id: int = Field(ge=1, le=MAX_ID)
    dry_run: bool = False


class MergePublic(BaseModel):
    """What a merge moved, dropped and filled; ``summary`` says it in words (what a confirmation shows)."""

    model_config = ConfigDict(extra="allow")

    survivor: dict[str, Any]
    loser: dict[str, Any]
    moved: dict[str, int]
    dropped: dict[str, int]
    filled: list[str]
    accounts: int
    change_set: Optional[str] = None
    dry_run: bool
    summary: str


@router.get("/duplicates", response_model=DuplicatesPublic, summary="Likely duplicate organisations",
            description="Pairs of organisations the caller may see that are likely one: alike names (case, "
                        "accents, punctuation and legal suffixes aside), the same website, or the same external "
                        "id; best first.")
def duplicates(atlas: Atlas = Depends(atlas_of),
               min_score: float = Query(90.0, ge=0, le=100, description="The least name similarity."),
               limit: int = Query(100, ge=1, le=1000, description="Pairs per page."),
               offset: int = Query(0, ge=0, le=10 ** 9, description="Pairs to skip.")):
    pairs = dedupe.find_duplicates(atlas, min_score=min_score)
    return json_response({"data": pairs[offset:offset + limit], "count": len(pairs)})


@router.post("/duplicates/merge", response_model=MergePublic, summary="Merge two organisations",
             description="Everything that names the loser names the survivor instead; the survivor's empty "
                         "fields are filled from the loser, which is then deleted; one transaction, in the audit "
                         "trail. Takes an editor, a manager or an admin who may change both and all that names "
                         "the loser. `dry_run` tells what would happen.")
def merge(payload: MergeCreate, atlas: Atlas = Depends(atlas_of), _: Principal = Depends(writer)) -> dict[str, Any]:
    return dedupe.merge_organizations(atlas, payload.survivor_id, payload.loser_id, dry_run=payload.dry_run)
