"""The history of changes, and undoing from it: one change, or a whole import."""

# No `from __future__ import annotations`: FastAPI reads the handlers' annotations.
from typing import Annotated, Any, Optional

from fastapi import APIRouter, Depends, Path, Query

from ..services import changes
from ..store import Atlas
from .deps import atlas_of
from .schemas import MAX_ID, ProblemDetail

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["changes"],
                   responses={401: {"model": ProblemDetail}, 403: {"model": ProblemDetail},
                              404: {"model": ProblemDetail}, 409: {"model": ProblemDetail}})


@router.get("/changes", summary="The history of changes (admins; managers for what they may see)")
def history(atlas: Atlas = Depends(atlas_of),
            record: Optional[str] = Query(None, max_length=60, description="KIND:ID, e.g. organization:12"),
            user: Optional[str] = Query(None, max_length=320, description="Who made the changes (e-mail, or cli)"),
            since: Optional[str] = Query(None, max_length=10, description="On or after (YYYY-MM-DD)"),
            kind: Optional[str] = Query(None, max_length=30, description="Every record of a kind, e.g. organization"),
            action: Optional[str] = Query(None, max_length=10, description="create, update, delete or merge"),
            gone: bool = Query(False, description="Only deletions of records still gone (not restored since)"),
            limit: int = Query(200, ge=1, le=1000), offset: int = Query(0, ge=0, le=10 ** 9)) -> dict[str, Any]:
    return changes.list_changes(atlas, record=record, user=user, since=since, kind=kind, action=action, gone=gone,
                                limit=limit, offset=offset)


@router.post("/changes/{change_id}/revert", summary="Revert one change",
             description="The record gets back the values it had before the change (a deleted record comes back "
                         "with all that went with it); refused with 409 if it was changed since in the same fields.")
def revert(change_id: Annotated[int, Path(ge=1, le=MAX_ID)], atlas: Atlas = Depends(atlas_of)) -> dict[str, Any]:
    return changes.revert_change(atlas, change_id)


@router.post("/change-sets/{change_set}/undo", summary="Undo a whole import (or any change set)",
             description="Every record it created goes, every record it changed gets its values back; the id is "
                         "the `change_set` of its changes (an import's report gives it).")
def undo(change_set: Annotated[str, Path(pattern="^[0-9a-f]{32}$")], atlas: Atlas = Depends(atlas_of)) -> dict[str, Any]:
    return changes.undo_change_set(atlas, change_set)
