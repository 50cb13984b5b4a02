"""Hub benchmarking: the ecosystem index with rank intervals, and its course over the years."""

# No `from __future__ import annotations`: FastAPI reads the handlers' annotations.
from typing import Optional

from fastapi import APIRouter, Depends, Query

from ..services.benchmark import benchmark as rank_groups
from ..services.benchmark import over_time as index_over_time
from ..store import Atlas
from .deps import atlas_of
from .schemas import ProblemDetail, ResultPublic

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", responses={422: {"model": ProblemDetail}})


@router.get("/benchmark", tags=["benchmark"], response_model=ResultPublic,
            summary="Hubs ranked on the ecosystem index, with rank intervals and reasons")
def benchmark_hubs(
    atlas: Atlas = Depends(atlas_of),
    hub: Optional[str] = Query(None, description="One group's decomposition (its rows only; ranks stay the whole "
                                                 "comparison's)."),
    weights: Optional[str] = Query(None, description="Relative pillar weights: performance=2,connectedness=0.5."),
    group_by: str = Query("hub", description="hub, city, country or region."),
    normalisation: str = Query("minmax", description="minmax, zscore or rank."),
    aggregation: str = Query("arithmetic", description="arithmetic or geometric."),
    draws: int = Query(1000, ge=0, le=20_000, description="Monte Carlo draws for the rank intervals."),
    seed: int = Query(0, description="Seed of the draws."),
    year: Optional[int] = Query(None, ge=1900, le=2100, description="The state at the end of this year."),
    min_actors: Optional[int] = Query(None, ge=1, description="Leave out groups with fewer actors (default: 1 by "
                                                              "hub, 5 by city, country or region)."),
    over_time: bool = Query(False, description="The index and its pillars year by year instead."),
    years: int = Query(8, ge=1, le=50, description="With over_time: how many recent years."),
):
    # What the caller sees is what is ranked: the atlas acts for the request's principal.
    if over_time:
        return index_over_time(atlas, group_by=group_by, weights=weights, normalisation=normalisation,
                               aggregation=aggregation, years=years, hub=hub, min_actors=min_actors).as_dict()
    return rank_groups(atlas, group_by=group_by, hub=hub, weights=weights, normalisation=normalisation,
                       aggregation=aggregation, draws=draws, seed=seed, year=year, min_actors=min_actors).as_dict()
