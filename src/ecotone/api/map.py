"""The ecosystem map's data: actors and ties as columns, laid out on the server."""

# No `from __future__ import annotations`: FastAPI reads the handlers' annotations.
from fastapi import APIRouter, Depends, Response

from ..services import analysis
from ..services.mapdata import map_json
from ..store import Atlas
from .deps import atlas_of, scope
from .schemas import ProblemDetail

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", responses={422: {"model": ProblemDetail}})


@router.get("/map", tags=["map"], summary="The map's actors and ties, as columns",
            response_description="nodes and edges as columns (id, label, type, helix, hub, country, stage, "
                                 "community, degree, pagerank; source, target, kind, weight, start)")
def map_(f: analysis.Filters = Depends(scope), atlas: Atlas = Depends(atlas_of)) -> Response:
    body = map_json(atlas, f)
    return Response(body, media_type="application/json")
