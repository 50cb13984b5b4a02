"""The web pages: server-rendered (Jinja2) frames whose tables and charts the browser fills from the API."""

from __future__ import annotations

from importlib import resources
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from .. import __version__
from ..analysis.ecosystem_index import PILLARS
from ..domain import Stage, StakeholderType, TieKind
from ..domain import display
from ..domain.access import Role
from ..domain.kinds import ENTITIES
from ..domain.partnering import QUESTIONS, Partnership
from ..services import browse
from ..services import forms as registry_forms
from ..services.simulate import INTERVENTIONS
from ..store import Atlas
from ..store.atlas import NotFound
from .auth import principal
from .deps import atlas_of
from .schemas import plural

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(resources.files("ecotone.web") / "templates"))
# Every page carries the display tables (base.html embeds them for app.js) and writes vocabulary and money in words
templates.env.globals["display_tables"] = display.tables()
templates.env.filters["label"] = display.label
templates.env.filters["money"] = display.money
NAV = [("/", "Map"), ("/hubs", "Hubs"), ("/stakeholders", "Stakeholders"), ("/records", "Registry"),
       ("/partnerships", "Partnerships"), ("/challenges", "Challenges"), ("/event", "Brokerage event"),
       ("/benchmark", "Benchmark"), ("/scenarios", "Scenarios"), ("/import", "Import")]


def _page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    who = principal(request)
    # The history of changes is for admins and managers (GET /api/v1/changes): its panel only for them
    context = {"nav": NAV, "version": __version__, "principal": who, "may_write": who.may_write,
               "may_history": who.is_admin or who.role is Role.manager, **context}
    return templates.TemplateResponse(request, template, context, status_code=status_code)


# -- The registry: every kind of record listed, created, edited and deleted from the browser ---------------------
# One list, one new-record form and one record page per kind (as the API has one route per kind), built in the
# browser from /api/v1/forms/KIND; the server only says who may do what, and why not in words.

def _cannot(request: Request, label: str, *, record: bool = False, may_change: bool = True) -> str | None:
    """Why the principal may not change what the page shows, in words; None when it may."""
    who = principal(request)
    if not who.signed_in:
        return f"Sign in to change {'this ' + label if record else 'the registry'}: visitors may only read."
    if not who.may_write:
        return (f"Your role ({who.role.value if who.role else 'member'}) may read the atlas but not change it; a "
                "manager of your hub can make you an editor.")
    if record and not may_change:
        return f"This {label} belongs to another hub or organisation: its own editors, or an admin, can change it."
    return None


def _upper(words: str) -> str:
    return words[:1].upper() + words[1:]  # "KPI actuals", where str.capitalize would say "Kpi actuals"


def _pickable(atlas: Atlas, reference: dict[str, Any]) -> list[dict[str, Any]]:
    """The records a list's filter offers to pick from (the few hubs, programmes, partnerships...), by name."""
    cls, by = ENTITIES[reference["entity"]], reference["named_by"]
    rows = atlas.find_rows(cls, limit=1000, order_by=by).items
    return [{"id": r["id"], "name": f"{r[by]}, {r['date']}" if by == "evaluator" else r[by]} for r in rows]


@router.get("/records", response_class=HTMLResponse)
def registry_page(request: Request, atlas: Atlas = Depends(atlas_of)) -> HTMLResponse:
    counts = atlas.counts()
    kinds = [{"entity": e, "plural": plural(e), "label": _upper(registry_forms.kind_label(e, 2)),
              "one": registry_forms.kind_label(e), "count": counts[e]} for e in ENTITIES]
    return _page(request, "records.html", title="Registry", kinds=kinds,
                 cannot=_cannot(request, "the registry"))


def _registry_routes(entity: str) -> None:
    cls, base = ENTITIES[entity], f"/records/{plural(entity)}"
    label, many = registry_forms.kind_label(entity), registry_forms.kind_label(entity, 2)

    def list_page(request: Request, atlas: Atlas = Depends(atlas_of)) -> HTMLResponse:
        form = registry_forms.describe(entity)
        wanted = dict(request.query_params)
        references = [f for f in form["filters"] if f["widget"] == "reference"]
        # the few of a kind are offered in a list; of the many (innovations, KPIs), the one asked for is named
        options = {f["name"]: _pickable(atlas, f["reference"]) for f in references
                   if f["reference"]["lookup"] == "select"}
        named = {f["name"]: registry_forms.labels(atlas, f["reference"]["entity"], [int(wanted[f["name"]])])
                 .get(int(wanted[f["name"]])) for f in references
                 if f["name"] not in options and wanted.get(f["name"], "").isdigit()}
        bulk_hubs = _pickable(atlas, {"entity": "hub", "named_by": "name"}) if "hub_id" in form["bulk"] else []
        return _page(request, "records_list.html", title=_upper(many), form=form, options=options, named=named,
                     bulk_hubs=bulk_hubs, wanted=wanted, may_edit=principal(request).may_write,
                     cannot=_cannot(request, label))

    def new_page(request: Request) -> HTMLResponse:
        return _page(request, "record.html", title=f"New {label}", form=registry_forms.describe(entity),
                     record_id=None, may_edit=principal(request).may_write, cannot=_cannot(request, label))

    def record_page(request: Request, record_id: int, atlas: Atlas = Depends(atlas_of)) -> HTMLResponse:
        try:
            record = atlas.get(cls, record_id)
        except NotFound:
            return _page(request, "missing.html", 404, title=f"No such {label}", what=f"{label} {record_id}")
        may_change = atlas.may_change(entity, record_id)
        return _page(request, "record.html", title=registry_forms.record_title(atlas, record),
                     form=registry_forms.describe(entity), record_id=record_id, may_edit=may_change,
                     cannot=_cannot(request, label, record=True, may_change=may_change))

    router.add_api_route(base, list_page, methods=["GET"], response_class=HTMLResponse, name=f"records_{entity}")
    router.add_api_route(f"{base}/new", new_page, methods=["GET"], response_class=HTMLResponse,
                         name=f"new_record_{entity}")
    router.add_api_route(f"{base}/{{record_id}}", record_page, methods=["GET"], response_class=HTMLResponse,
                         name=f"record_page_{entity}")


for _entity in ENTITIES:
    _registry_routes(_entity)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    safe = next if next.startswith("/") and not next.startswith("//") else "/"
    return _page(request, "login.html", title="Sign in", next=safe)


@router.get("/", response_class=HTMLResponse)
def map_page(request: Request, atlas: Atlas = Depends(atlas_of)) -> HTMLResponse:
    # the hub filter needs names only: counting every hub's ties took seconds on an atlas of a million ties
    hubs = sorted(atlas.rows("hub", columns=["id", "name"]), key=lambda h: str(h["name"]).casefold())
    return _page(request, "map.html", title="Ecosystem map", hubs=hubs,
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


@router.get("/benchmark", response_class=HTMLResponse)
def benchmark_page(request: Request) -> HTMLResponse:
    return _page(request, "benchmark.html", title="Hub benchmarking", pillars=PILLARS)


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
    questions = [{"code": q.code, "criterion": display.label(q.criterion), "text": q.text} for q in QUESTIONS]
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


# -- Challenges, grants and competitions: the list, a challenge's page, a judge's scoring form, the results ----
def _challenge_or_missing(request: Request, atlas: Atlas, challenge_id: int) -> HTMLResponse | None:
    from ..services.challenges import find_challenge

    try:
        find_challenge(atlas, challenge_id)
    except NotFound:
        return _page(request, "missing.html", 404, title="No such challenge", what=f"challenge {challenge_id}")
    return None


@router.get("/challenges", response_class=HTMLResponse)
def challenges_page(request: Request) -> HTMLResponse:
    return _page(request, "challenges.html", title="Challenges, grants and competitions")


@router.get("/challenges/{challenge_id}", response_class=HTMLResponse)
def challenge_page(request: Request, challenge_id: int, atlas: Atlas = Depends(atlas_of)) -> HTMLResponse:
    return _challenge_or_missing(request, atlas, challenge_id) or _page(
        request, "challenge.html", title="Challenge", challenge_id=challenge_id)


@router.get("/challenges/{challenge_id}/score", response_class=HTMLResponse)
def challenge_score_page(request: Request, challenge_id: int, atlas: Atlas = Depends(atlas_of)) -> HTMLResponse:
    from ..services.challenges import describe

    missing = _challenge_or_missing(request, atlas, challenge_id)
    if missing:
        return missing
    card = describe(atlas, challenge_id)
    mine = [j for j in card["judges"] if j["mine"]]
    # a judge scores as themself; a manager of the challenge's hub may enter any judge's scores (from paper)
    judges = mine or (card["judges"] if card["may_manage"] else [])
    return _page(request, "challenge_score.html", title="Scoring", challenge_id=challenge_id,
                 judges=judges if len(judges) > 1 or not mine else [],
                 judge_id=judges[0]["id"] if judges else None,
                 judge_names=", ".join(j["name"] for j in card["judges"]))


@router.get("/challenges/{challenge_id}/results", response_class=HTMLResponse)
def challenge_results_page(request: Request, challenge_id: int, atlas: Atlas = Depends(atlas_of)) -> HTMLResponse:
    return _challenge_or_missing(request, atlas, challenge_id) or _page(
        request, "challenge_results.html", title="Results", challenge_id=challenge_id,
        account_note="The judges' scores are kept for the challenge's hub: sign in to see the ranking they make.")
