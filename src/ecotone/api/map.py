"""The ecosystem map's data: actors and ties as columns, laid out on the server."""

# No `from __future__ import annotations`: FastAPI reads the handlers' annotations.
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from ..services import analysis
from ..services.mapdata import map_json
from ..store import Atlas
from .deps import atlas_of, scope
from .schemas import ProblemDetail

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", responses={422: {"model": ProblemDetail}})


@router.get("/map", tags=["map"], summary="The map's actors and ties, as columns, with their positions",
            response_description="level (actors or hubs); nodes as columns (id, label, type, helix, hub, hub_id, "
                                 "country, stage, community, degree, strength, coreness, pagerank, x, y; at level "
                                 "hubs also actors); edges as columns (source and target as row indices into the "
                                 "nodes, kind, weight, start year); summary (actors, ties, communities, threshold, "
                                 "layout). Compressed when the client accepts gzip; an ETag, and 304 when it matches")
def map_(f: analysis.Filters = Depends(scope), atlas: Atlas = Depends(atlas_of),
         level: Annotated[Literal["auto", "actors", "hubs"],
                          Query(description="actors, hubs, or auto: hubs when more actors match than "
                                            "ECOTONE_MAP_HUB_THRESHOLD (50,000) and no hub is asked for")] = "auto",
         ) -> Response:
    return Response(map_json(atlas, f, level=level), media_type="application/json")
