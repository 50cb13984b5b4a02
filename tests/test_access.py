"""Who sees what: a visibility matrix over every GET route of the app (generated from its routes, so a new route
cannot escape it), every role and every visibility level, on both backends; and writes that need a role."""

import datetime as dt
import io
import json
import time
import zipfile

import pytest
from fastapi.testclient import TestClient

from ecotone.api import create_app
from ecotone.api.analysis import ANALYSES
from ecotone.api.files import EXPORTS
from ecotone.api.schemas import SCHEMAS, plural
from ecotone.domain import ENTITIES
from ecotone.domain.partnering import QUESTIONS
from ecotone.services.accounts import share
from conftest import bearer

LEVELS = ("public", "network", "hub", "private")
OWNER_HUB, SHARED_HUB, OTHER_HUB = "Texas Medical Center", "BioCity Nottingham", "Barcelona Health Hub"
# Which probe levels each principal must see (probes are owned by an organisation of OWNER_HUB, which shares
# its network records with SHARED_HUB).
SEES = {
    "anonymous": {"public"},
    "viewer of the owner's hub": {"public", "network", "hub"},
    "viewer of a hub it shares with": {"public", "network"},
    "viewer of another hub": {"public"},
    "manager of another hub": {"public"},
    "member of the owner organisation": set(LEVELS),
    "admin": set(LEVELS),
}


def mark(entity: str, level: str) -> str:
    return f"zq{entity.replace('_', '')}{level}"


def _probes(atlas):
    """For every kind of record and every visibility level, one record carrying a unique marker, owned by an
    organisation of OWNER_HUB; parents are public so that only the probe's own visibility decides."""
    from ecotone.domain import (Assessment, ClinicalNeed, Deal, Endorsement, Hub, Innovation, Introduction, Judge,
                                Kpi, KpiActual, Organization, Participation, Partnership, Person, Program, Rating,
                                Score, StageEvent, Submission, Tie)

    hub = atlas.hub_id(OWNER_HUB)
    owner = atlas.add(Organization(name="zqowner", type="startup", hub_id=hub, visibility="public"))
    partners = [atlas.add(Organization(name=f"zqpartner{n}", type="hospital", hub_id=atlas.hub_id(OTHER_HUB),
                                       visibility="public")).id for n in range(4)]
    program = atlas.add(Program(name="zqparentprogram", kind="accelerator", visibility="public"))
    innovation = atlas.add(Innovation(name="zqparentinnovation", organization_id=owner.id, visibility="public"))
    partnership = atlas.add(Partnership(name="zqparentpartnership", organization_ids=[owner.id, partners[0]],
                                        visibility="public"))
    assessment = atlas.add(Assessment(partnership_id=partnership.id, evaluator="zqparentevaluator",
                                      date=dt.date(2026, 1, 1), visibility="public"))
    kpi = atlas.add(Kpi(partnership_id=partnership.id, name="zqparentkpi", target=1, visibility="public"))
    need = atlas.add(ClinicalNeed(problem="zqparentneed", population="patients", outcome="better care",
                                  visibility="public"))
    submission = atlas.add(Submission(program_id=program.id, organization_id=owner.id, title="zqparentsubmission",
                                      visibility="public"))
    judges = [atlas.add(Judge(program_id=program.id, name=f"zqparentjudge{n}", visibility="public")).id
              for n in range(4)]
    ids = {}
    for n, level in enumerate(LEVELS):
        day = dt.date(2025, 1, n + 1)
        fields = {"visibility": level, "owner_kind": "organization", "owner_id": owner.id}
        m = {e: mark(e, level) for e in ENTITIES}
        records = [
            Hub(name=m["hub"], **fields),
            Organization(name=m["organization"], type="sme", hub_id=hub, **fields),
            Person(name=m["person"], organization_id=owner.id, email=f"{m['person']}contact@example.org",
                   consent=True, **fields),
            Program(name=m["program"], kind="challenge", hub_id=hub, **fields),
            Participation(program_id=program.id, organization_id=partners[n], role=m["participation"], **fields),
            Innovation(name=m["innovation"], organization_id=owner.id, **fields),
            StageEvent(innovation_id=innovation.id, stage="prototype", date=day, note=m["stage_event"], **fields),
            Deal(recipient_id=owner.id, amount=1000 + n, round_type="seed", date=day, description=m["deal"], **fields),
            Tie(source_id=owner.id, target_id=partners[n], kind="partnership", evidence=m["tie"], **fields),
            ClinicalNeed(problem=m["clinical_need"], population="patients", outcome="better care", hub_id=hub,
                         **fields),
            Partnership(name=m["partnership"], organization_ids=[owner.id, partners[n]], **fields),
            Assessment(partnership_id=partnership.id, evaluator=m["assessment"], date=day, **fields),
            Rating(assessment_id=assessment.id, question=QUESTIONS[n].code, score=3, comment=m["rating"], **fields),
            Kpi(partnership_id=partnership.id, name=m["kpi"], target=2, **fields),
            KpiActual(kpi_id=kpi.id, date=day, value=1, note=m["kpi_actual"], **fields),
            Introduction(organization_id=owner.id, partner_id=partners[n], introduced_on=day, note=m["introduction"],
                         **fields),
            Endorsement(need_id=need.id, organization_id=partners[n], note=m["endorsement"], **fields),
            Submission(program_id=program.id, organization_id=partners[n], title=m["submission"], **fields),
            Judge(program_id=program.id, name=m["judge"], **fields),
            Score(submission_id=submission.id, judge_id=judges[n], value=5, note=m["score"], **fields),
        ]
        for record in records:
            ids[(record.entity, level)] = atlas.add(record).id
    share(atlas, OWNER_HUB, SHARED_HUB)
    return owner.id, ids


@pytest.fixture
def matrix(demo_atlas):
    owner, ids = _probes(demo_atlas)
    hub = lambda name: [name]  # noqa: E731
    headers = {
        "anonymous": {},
        "viewer of the owner's hub": bearer(demo_atlas, "v1@example.org", "viewer", hub(OWNER_HUB)),
        "viewer of a hub it shares with": bearer(demo_atlas, "v2@example.org", "viewer", hub(SHARED_HUB)),
        "viewer of another hub": bearer(demo_atlas, "v3@example.org", "viewer", hub(OTHER_HUB)),
        "manager of another hub": bearer(demo_atlas, "m3@example.org", "manager", hub(OTHER_HUB)),
        "member of the owner organisation": bearer(demo_atlas, "o1@example.org", "editor", (), str(owner)),
        "admin": bearer(demo_atlas, "admin@example.org", "admin"),
    }
    _view_probes(demo_atlas, ids)
    app = create_app(atlas=demo_atlas)
    with TestClient(app) as client:
        yield client, app, headers, ids


def _view_probes(atlas, ids):
    """A saved map view of every visibility level, authored by the member of the owner organisation, the hub and
    network ones for OWNER_HUB: who sees which is then the same as for the records (SEES)."""
    from ecotone.store.accounts import Accounts
    from ecotone.store.views import MapViews

    author = Accounts(atlas).user("o1@example.org")["id"]
    for level in LEVELS:
        hub = atlas.hub_id(OWNER_HUB) if level in ("hub", "network") else None
        ids[("map_view", level)] = MapViews(atlas).add(mark("map_view", level), "colour=type", level, hub,
                                                       author_id=author)["id"]


def _routes(app):
    def walk(routes):
        for r in routes:
            if hasattr(r, "original_router"):
                yield from walk(r.original_router.routes)
            else:
                yield r
    return [r for r in walk(app.router.routes) if "GET" in (getattr(r, "methods", None) or ())]


def _entity_of(route) -> str:
    """The kind of record a route's ``{record_id}``/``{org_id}``/``{hub_id}`` names."""
    by_name = {"card": "organization", "scorecard": "partnership", "person_data": "person", "actor_page":
               "organization", "hub_page": "hub", "hub_shares": "hub", "partnership_page": "partnership",
               "read_view": "map_view", "open_view": "map_view",
               # a challenge is a programme (the probes are not challenges: they answer 404 to all but hide alike)
               "challenge_card": "program", "challenge_results": "program", "scoring_sheet": "program",
               "challenge_page": "program", "challenge_score_page": "program", "challenge_results_page": "program"}
    if route.name in by_name:
        return by_name[route.name]
    for prefix in ("read_", "preview_delete_", "provenance_", "record_page_"):
        if route.name.startswith(prefix):
            return route.name.removeprefix(prefix)
    raise AssertionError(f"the visibility matrix does not know which record {route.path} ({route.name}) reads: "
                         "teach _entity_of")


def _calls(route, ids):
    """(url, probe level or None) for every way the matrix calls a GET route."""
    params = list(route.param_convertors)
    if route.path in ("/api/v1/openapi.json", "/docs") or route.path.startswith("/api/v1/jobs/"):
        return []  # the document itself; jobs are tested below (only their submitter sees them)
    if not params:
        return [(route.path + ("?limit=1000" if route.name.startswith("list_") else ""), None)]
    if params == ["name"]:
        return [(route.path.replace("{name}", n), None) for n in ANALYSES]
    if params == ["fmt"]:
        return [(route.path.replace("{fmt}", f), None) for f in EXPORTS]
    if len(params) == 1:
        entity = _entity_of(route)
        return [(route.path.replace("{" + params[0] + "}", str(ids[(entity, level)])), level) for level in LEVELS]
    raise AssertionError(f"the visibility matrix cannot call {route.path}: teach _calls its parameters")


def _text(response) -> str:
    if response.headers.get("content-type", "").startswith("application/vnd.openxmlformats"):
        with zipfile.ZipFile(io.BytesIO(response.content)) as z:
            return " ".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    return response.text


# Every route for every principal: one principal a test, on SQLite (the visibility rules are the same SQL on
# PostgreSQL, which the list and job tests below cover); together the longest test of the suite.
@pytest.mark.slow
@pytest.mark.parametrize("atlas", ["sqlite"], indirect=True)
@pytest.mark.parametrize("who", list(SEES))
def test_no_route_shows_a_record_to_whoever_may_not_see_it(matrix, who):
    client, app, headers, ids = matrix
    routes = _routes(app)
    assert len(routes) > 40
    for who, header in [(who, headers[who])]:
        hidden = [mark(e, lvl) for e in [*ENTITIES, "map_view"] for lvl in LEVELS if lvl not in SEES[who]]
        contacts = who in ("member of the owner organisation", "admin")
        for route in routes:
            for url, level in _calls(route, ids):
                response = client.get(url, headers=header)
                assert response.status_code < 500, (who, url, response.text[:300])
                body = _text(response)
                leaks = [m for m in hidden if m in body]
                assert not leaks, f"{who} sees {leaks} at {url}"
                if not contacts:
                    assert "contact@example.org" not in body, f"{who} sees a contact at {url}"
                if level is not None and level not in SEES[who]:
                    assert response.status_code == 404, (who, url, response.status_code)
                if level is not None and level in SEES[who] and route.path.startswith("/api/v1/") \
                        and route.name.startswith("read_"):
                    assert response.status_code == 200 and mark(_entity_of(route), level) in body, (who, url)
                if route.name == "map_views":  # saved views list every one the caller may see
                    missing = [mark("map_view", lvl) for lvl in SEES[who] if mark("map_view", lvl) not in body]
                    assert not missing, f"{who} misses {missing} at {url}"
                if route.name.startswith("list_"):
                    entity = route.name.removeprefix("list_")
                    wanted = [mark(entity, lvl) for lvl in SEES[who]]
                    missing = [m for m in wanted if m not in body]
                    assert not missing, f"{who} misses {missing} at {url}"


def test_lists_count_only_what_the_caller_sees(matrix):
    client, _, headers, _ = matrix
    counts = {who: client.get("/api/v1/organizations?search=zqorganization", headers=h).json()["count"]
              for who, h in headers.items()}
    assert counts == {who: len(levels) for who, levels in SEES.items()}


def _finished(client, submitted, header):
    """The id and final state of a job, polled as its submitter."""
    assert submitted.status_code == 202, submitted.text
    job_id = submitted.json()["id"]
    for _ in range(600):
        state = client.get(f"/api/v1/jobs/{job_id}", headers=header).json()
        if state["status"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert state["status"] == "done", state
    return job_id, state


def test_jobs_and_their_files_are_seen_only_by_who_submitted_them(matrix, tmp_path):
    from test_match import _workbook

    client, _, headers, _ = matrix
    viewer, other = headers["viewer of another hub"], headers["viewer of the owner's hub"]
    job = client.post("/api/v1/analysis/metrics/jobs?top=1000", headers=viewer)
    job_id, state = _finished(client, job, viewer)
    text = json.dumps(state["result"])
    assert "zqorganizationpublic" in text and "zqorganizationhub" not in text
    assert client.get(f"/api/v1/jobs/{job_id}", headers=other).status_code == 404
    assert client.get(f"/api/v1/jobs/{job_id}").status_code == 404
    assert client.post("/api/v1/analysis/metrics/jobs").status_code == 401  # anonymous: no background work
    editor = headers["member of the owner organisation"]
    path = tmp_path / "event.xlsx"
    _workbook(path, [("Ana Ruiz", "Marek Nowak", "must meet"), ("Lea Vogel", "Ana Ruiz", "meet")])
    with path.open("rb") as f:
        event = client.post("/api/v1/events", headers=editor, data={"tables": "5", "time_limit": "5"},
                            files={"file": ("event.xlsx", f)})
    event_id, state = _finished(client, event, editor)
    name = state["result"]["files"][0]
    assert client.get(f"/api/v1/jobs/{event_id}/files/{name}", headers=editor).status_code == 200
    assert client.get(f"/api/v1/jobs/{event_id}/files/{name}", headers=viewer).status_code == 404


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
def test_writes_need_a_role(matrix, kind):
    client, _, headers, ids = matrix
    path = f"/api/v1/{plural(kind)}"
    public = ids[(kind, "public")]
    assert client.delete(f"{path}/{public}").status_code == 401
    assert client.delete(f"{path}/{public}", headers=headers["viewer of the owner's hub"]).status_code == 403
    assert client.delete(f"{path}/{public}", headers=headers["manager of another hub"]).status_code == 403
    hidden = ids[(kind, "hub")]
    assert client.delete(f"{path}/{hidden}", headers=headers["viewer of another hub"]).status_code == 404
    assert client.patch(f"{path}/{public}", json={}, headers=headers["viewer of the owner's hub"]).status_code == 403
    assert client.delete(f"{path}/{public}", headers=headers["member of the owner organisation"]).status_code == 204


def test_sharing_opens_network_records_to_the_other_hub_and_revoking_closes_them(matrix):
    client, _, headers, ids = matrix
    viewer = headers["viewer of another hub"]
    manager = headers["manager of another hub"]
    url = f"/api/v1/organizations/{ids[('organization', 'network')]}"
    assert client.get(url, headers=viewer).status_code == 404
    texas = client.get("/api/v1/hubs?search=Texas").json()["data"][0]["id"]
    barcelona = client.get("/api/v1/hubs?search=Barcelona Health").json()["data"][0]["id"]
    # Barcelona's manager cannot open Texas's records; Texas's sharing is Texas's (or an admin's) to grant.
    assert client.post(f"/api/v1/hubs/{texas}/shares", json={"with_hub": str(barcelona)}, headers=manager).status_code == 403
    granted = client.post(f"/api/v1/hubs/{texas}/shares", json={"with_hub": str(barcelona)}, headers=headers["admin"])
    assert granted.status_code == 201, granted.text
    assert client.get(url, headers=viewer).status_code == 200
    assert client.get(f"/api/v1/organizations/{ids[('organization', 'hub')]}", headers=viewer).status_code == 404
    assert client.delete(f"/api/v1/hubs/{texas}/shares/{barcelona}", headers=headers["admin"]).status_code == 204
    assert client.get(url, headers=viewer).status_code == 404
