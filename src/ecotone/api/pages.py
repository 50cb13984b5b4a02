"""The web pages: server-rendered (Jinja2) frames whose tables and charts the browser fills from the API."""

from __future__ import annotations

from importlib import resources
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from .. import __version__
from ..domain import Stage, StakeholderType, TieKind
from ..domain.access import Role
from ..domain.partnering import QUESTIONS, Partnership
from ..services import browse
from ..services.simulate import INTERVENTIONS
from ..store import Atlas
from ..store.atlas import NotFound
from .auth import principal
from .deps import atlas_of

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(resources.files("ecotone.web") / "templates"))
NAV = [("/", "Map"), ("/hubs", "Hubs"), ("/stakeholders", "Stakeholders"), ("/partnerships", "Partnerships"),
       ("/event", "Brokerage event"), ("/scenarios", "Scenarios"), ("/import", "Import")]


def _page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    who = principal(request)
    # The history of changes is for admins and managers (GET /api/v1/changes): its panel only for them
    context = {"nav": NAV, "version": __version__, "principal": who,
               "may_history": who.is_admin or who.role is Role.manager, **context}
    return templates.TemplateResponse(request, template, context, status_code=status_code)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    safe = next if next.startswith("/") and not next.startswith("//") else "/"
    return _page(request, "login.html", title="Sign in", next=safe)


@router.get("/", response_class=HTMLResponse)
def map_page(request: Request, atlas: Atlas = Depends(atlas_of)) -> HTMLResponse:
    return _page(request, "map.html", title="Ecosystem map", hubs=browse.hub_table(atlas),
                 types=[t.value for t in StakeholderType], kinds=[k.value for k in TieKind])


@router.get("/hubs", response_class=HTMLResponse)
def hubs_page(request: Request, atlas: Atlas = Depends(atlas_of)) -> HTMLResponse:
    return _page(request, "hubs.html", title="Hubs", hubs=browse.hub_table(atlas))


@router.get("/hubs/{hub_id}", response_class=HTMLResponse)
def hub_page(request: Request, hub_id: int, atlas: Atlas = Depends(atlas_of)) -> HTMLResponse:
    hubs = browse.hub_table(atlas)
    hub = next((h for h in hubs if h["id"] == hub_id), None)
    if hub is None:
        return _page(request, "missing.html", 404, title="No such hub", what=f"hub {hub_id}")
    who = principal(request)
    may_share = who.is_admin or (who.role is Role.manager and hub_id in who.hubs)
    return _page(request, "hub.html", title=hub["name"], hub=hub, hubs=hubs, may_share=may_share)


@router.get("/stakeholders", response_class=HTMLResponse)
def stakeholders_page(request: Request, atlas: Atlas = Depends(atlas_of)) -> HTMLResponse:
    return _page(request, "stakeholders.html", title="Stakeholder map", hubs=browse.hub_table(atlas))


@router.get("/actors/{org_id}", response_class=HTMLResponse)
def actor_page(request: Request, org_id: int, atlas: Atlas = Depends(atlas_of)) -> HTMLResponse:
    try:
        card = browse.actor_profile(atlas, org_id)
    except NotFound:
        return _page(request, "missing.html", 404, title="No such actor", what=f"organisation {org_id}")
    return _page(request, "actor.html", title=card["name"], card=card, org_id=org_id,
                 may_edit=atlas.may_change("organization", org_id),
                 types=[t.value for t in StakeholderType], stages=[s.value for s in Stage],
                 hubs=browse.hub_table(atlas))


@router.get("/partnerships", response_class=HTMLResponse)
def partnerships_page(request: Request) -> HTMLResponse:
    return _page(request, "partnerships.html", title="Partnerships",
                 account_note="Partnerships are usually shared only between the hubs they join: sign in to see "
                              "yours.")


@router.get("/partnerships/{partnership_id}", response_class=HTMLResponse)
def partnership_page(request: Request, partnership_id: int, atlas: Atlas = Depends(atlas_of)) -> HTMLResponse:
    try:
        atlas.get(Partnership, partnership_id)
    except NotFound:
        return _page(request, "missing.html", 404, title="No such partnership", what=f"partnership {partnership_id}")
    questions = [{"code": q.code, "criterion": q.criterion.value.replace("_", " "), "text": q.text} for q in QUESTIONS]
    return _page(request, "partnership.html", title="Partnership", partnership_id=partnership_id,
                 questions=questions)


@router.get("/event", response_class=HTMLResponse)
def event_page(request: Request) -> HTMLResponse:
    return _page(request, "event.html", title="Brokerage event",
                 account_note="Scheduling an event takes an editor's, a manager's or an admin's account: sign in "
                              "first.")


@router.get("/scenarios", response_class=HTMLResponse)
def scenarios_page(request: Request, atlas: Atlas = Depends(atlas_of)) -> HTMLResponse:
    return _page(request, "scenarios.html", title="Scenarios", hubs=browse.hub_table(atlas),
                 interventions=INTERVENTIONS,
                 account_note="Running scenarios takes an account: sign in first, and the model reads what your "
                              "hubs may see.")


@router.get("/import", response_class=HTMLResponse)
def import_page(request: Request) -> HTMLResponse:
    return _page(request, "import.html", title="Import",
                 account_note="Importing takes an editor's, a manager's or an admin's account: sign in first.")


@router.get("/duplicates", response_class=HTMLResponse)
def duplicates_page(request: Request) -> HTMLResponse:
    return _page(request, "duplicates.html", title="Likely duplicates", may_merge=principal(request).may_write,
                 account_note="Merging duplicates takes an editor's, a manager's or an admin's account: sign in "
                              "first.")
