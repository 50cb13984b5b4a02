"""The network's figures: counts, an actor's card, analyses (also as jobs), velocity."""

# No `from __future__ import annotations`: FastAPI reads the handlers' annotations.
from dataclasses import asdict, dataclass
from typing import Any, Literal, Optional

from fastapi import APIRouter, Depends, Query, Request, Response

from ..services import analysis, browse
from ..services.jobs import kind
from ..services.velocity import velocity
from ..store import Atlas
from .auth import principal
from .deps import atlas_of, filters_as_params, filters_of, scope
from .problems import TOO_MUCH_WORK
from .schemas import JobPublic, ProblemDetail, RecordId, ResultPublic

__all__ = ["router", "ANALYSES"]

router = APIRouter(prefix="/api/v1", responses={422: {"model": ProblemDetail}})
ANALYSES = ("stakeholders", "metrics", "brokerage", "communities", "emerging", "gaps")


@router.get("/stats", tags=["atlas"], summary="Counts of every kind of record, and every hub")
def stats(atlas: Atlas = Depends(atlas_of)) -> dict[str, Any]:
    return {"counts": atlas.counts(), "hubs": browse.hub_table(atlas)}


@router.get("/organizations/{record_id}/card", tags=["organizations"], summary="Everything about an organisation")
def card(record_id: RecordId, atlas: Atlas = Depends(atlas_of)) -> dict[str, Any]:
    # whether the caller may change it: the map's card offers to add a tie, a person, an innovation
    return {**browse.organization_card(atlas, str(record_id)), "may_change": atlas.may_change("organization", record_id)}


@dataclass(frozen=True)
class Options:
    """What an analysis shows: how many rows, and which group's."""

    top: int
    focus: Optional[str]
    group: Optional[str]
    groups: str
    role: str


async def options(
    top: int = Query(20, ge=1, le=10_000, description="How many rows (brokers, actors, risers)."),
    focus: Optional[str] = Query(None, description="stakeholders: one hub's grid (the network stays whole)."),
    group: Optional[str] = Query(None, description="stakeholders and brokerage: only this group's rows (a hub's "
                                                   "name or id, a country, a community), ranked on the whole "
                                                   "network; e.g. a hub dashboard's ten brokers."),
    groups: str = Query("auto", description="brokerage: the attribute that makes the groups (hub, country, helix, "
                                            "type…); auto takes hubs, else countries, else Leiden communities."),
    role: str = Query("total", description="brokerage: rank by coordinator, itinerant, representative, "
                                           "gatekeeper, liaison or total."),
) -> Options:
    return Options(top=top, focus=focus, group=group, groups=groups, role=role)


def _analysis(name: str, atlas: Atlas, f: analysis.Filters, o: Options, progress=None):
    return {"stakeholders": lambda: analysis.stakeholders(atlas, f, hub=o.focus, group=o.group, progress=progress),
            "metrics": lambda: analysis.metrics(atlas, f, top=o.top, progress=progress),
            "brokerage": lambda: analysis.brokerage(atlas, f, top=o.top, groups=o.groups, role=o.role,
                                                    group=o.group, progress=progress),
            "communities": lambda: analysis.communities(atlas, f, progress=progress),
            "emerging": lambda: analysis.emerging(atlas, f, top=o.top, progress=progress),
            "gaps": lambda: analysis.gaps(atlas, f, progress=progress)}[name]().as_dict()


@router.get("/analysis/{name}", tags=["analysis"], response_model=ResultPublic, summary="A network analysis")
def analyse(name: Literal[ANALYSES], f: analysis.Filters = Depends(scope), atlas: Atlas = Depends(atlas_of),
            o: Options = Depends(options)):
    return _analysis(name, atlas, f, o)


def _run_later(name: str):
    def run(atlas: Atlas, params: dict[str, Any], progress, folder) -> dict[str, Any]:
        return _analysis(name, atlas, filters_of(params["filters"]), Options(**params["options"]), progress)
    return run


for _name in ANALYSES:
    kind(_name)(_run_later(_name))


@router.post("/analysis/{name}/jobs", tags=["analysis"], status_code=202, response_model=JobPublic,
             responses=TOO_MUCH_WORK, summary="A network analysis of a large atlas, as a background job")
def analyse_later(request: Request, name: Literal[ANALYSES], f: analysis.Filters = Depends(scope),
                  o: Options = Depends(options)) -> dict[str, Any]:
    params = {"filters": filters_as_params(f), "options": asdict(o)}
    return request.app.state.jobs.submit(name, params, owner=principal(request))


@router.get("/velocity", tags=["velocity"], response_model=ResultPublic, summary="Innovation velocity")
def velocity_(atlas: Atlas = Depends(atlas_of), hub: Optional[str] = None,
              by: Optional[str] = Query(None, description="hub, programme, category, pathway or area"),
              as_of: Optional[str] = None, cohort: Optional[str] = None, measure: str = "time_to_market"):
    return velocity(atlas, hub=hub, by=by, as_of=as_of, cohort=cohort, measure=measure).as_dict()
