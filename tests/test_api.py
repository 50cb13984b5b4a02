"""The REST API in process (an ASGI client over the one app object), on the demo atlas and both backends."""

import json
import time

import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from ecotone.api import create_app
from ecotone.api.schemas import SCHEMAS, plural
from ecotone.domain import Organization, Tie
from test_graph_exports import graphology_read
from conftest import CORDIS_HE, bearer
from test_match import POLISH_STARTUP, _workbook

PROBLEM = "application/problem+json"


@pytest.fixture
def client(demo_atlas):
    """An admin's API client."""
    with TestClient(create_app(atlas=demo_atlas), headers=bearer(demo_atlas)) as c:
        yield c


def _job(client, response):
    assert response.status_code == 202, response.text
    job = response.json()
    for _ in range(600):
        job = client.get(f"/api/v1/jobs/{job['id']}").json()
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert job["status"] == "done", job
    return job["result"]


def test_the_openapi_document_validates_and_names_the_schemas(tmp_path):
    with TestClient(create_app(str(tmp_path / "empty.db"))) as c:
        doc = c.get("/api/v1/openapi.json").json()
    validate(doc)
    names = set(doc["components"]["schemas"])
    for entity in SCHEMAS:
        title = "".join(p.capitalize() for p in entity.split("_"))
        assert {f"{title}Create", f"{title}Update", f"{title}Public", f"{title}sPublic"} <= names
        assert {"get", "post"} <= set(doc["paths"][f"/api/v1/{plural(entity)}"])
        assert {"get", "patch", "delete"} <= set(doc["paths"][f"/api/v1/{plural(entity)}/{{record_id}}"])
    params = {p["name"] for p in doc["paths"]["/api/v1/organizations"]["get"]["parameters"]}
    assert {"hub", "type", "search", "limit", "offset"} <= params


def test_records_can_be_created_read_updated_listed_and_deleted(client, demo_atlas):
    hub = demo_atlas.hub_id("Medical Innovation Institute")
    made = client.post("/api/v1/organizations", json={"name": "Kardio Labs", "type": "startup", "hub_id": hub,
                                                      "country": "pl", "needs": ["clinical validation"]})
    assert made.status_code == 201, made.text
    org = made.json()
    assert org["country"] == "PL" and org["hub_id"] == hub
    assert client.get(f"/api/v1/organizations/{org['id']}").json()["name"] == "Kardio Labs"
    changed = client.patch(f"/api/v1/organizations/{org['id']}", json={"stage": "prototype"}).json()
    assert changed["stage"] == "prototype" and changed["needs"] == ["clinical validation"]
    page = client.get("/api/v1/organizations", params={"hub": "Medical Innovation Institute", "type": "startup",
                                                        "limit": 3}).json()
    assert page["count"] == demo_atlas.count(Organization, hub=hub, type="startup") and len(page["data"]) == 3
    tie = client.post("/api/v1/ties", json={"source_id": org["id"], "target_id": 1, "kind": "membership"})
    assert tie.status_code == 201
    dangling = client.post("/api/v1/ties", json={"source_id": org["id"], "target_id": 999999, "kind": "membership"})
    assert dangling.status_code == 409 and dangling.headers["content-type"] == PROBLEM
    assert client.delete(f"/api/v1/organizations/{org['id']}").status_code == 204
    assert client.get(f"/api/v1/ties/{tie.json()['id']}").status_code == 404  # its ties went with it
    gone = client.get(f"/api/v1/organizations/{org['id']}")
    assert gone.status_code == 404 and gone.json()["title"] == "Not found"


def test_errors_are_problem_details_naming_the_field(client):
    bad = client.post("/api/v1/organizations", json={"name": "X", "type": "bank"})
    assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM
    body = bad.json()
    assert body["status"] == 422 and body["errors"][0]["field"] == "type" and "hospital" in body["errors"][0]["reason"]
    unknown = client.post("/api/v1/hubs", json={"name": "Y", "colour": "blue"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "colour"
    person = client.post("/api/v1/people", json={"name": "Dr. Ana Ruiz", "email": "ana@example.org"})
    assert person.status_code == 422 and "consent" in person.json()["detail"]
    filt = client.get("/api/v1/ties", params={"kind": "friendship"})
    assert filt.status_code in (400, 422) and "friendship" in filt.json()["detail"]
    assert client.get("/api/v1/jobs/nope").status_code == 404


def test_map_data_matches_the_atlas_and_follows_edits(client, demo_atlas):
    data = client.get("/api/v1/map").json()
    assert len(data["nodes"]["id"]) == demo_atlas.count(Organization)
    assert len(data["edges"]["source"]) == data["summary"]["ties"] > 0
    assert set(data["nodes"]) >= {"label", "type", "hub", "community", "degree", "strength", "coreness", "pagerank"}
    one = client.get("/api/v1/map", params={"hub": "Barcelona Health Hub"}).json()
    assert set(one["nodes"]["hub"]) == {"Barcelona Health Hub"}
    ties = data["summary"]["ties"]
    a, b = data["nodes"]["id"][:2]
    client.post("/api/v1/ties", json={"source_id": a, "target_id": b, "kind": "data_sharing"})
    assert client.get("/api/v1/map").json()["summary"]["ties"] == ties + 1  # the cached map noticed


def test_insight_endpoints(client, demo_atlas):
    metrics = client.get("/api/v1/analysis/metrics", params={"top": 5}).json()
    assert len(metrics["actors"]) == 5 and "density" in metrics["summary"]
    grid = client.get("/api/v1/analysis/stakeholders", params={"focus": "Barcelona Health Hub"}).json()
    assert {r["hub"] for r in grid["grid"]} == {"Barcelona Health Hub"}
    v = client.get("/api/v1/velocity", params={"by": "hub", "as_of": "2026-11-24"}).json()
    assert any(r["censored"] > 0 for r in v["time_in_stage"])
    recs = client.get("/api/v1/recommendations", params={"organization": POLISH_STARTUP, "top": 3}).json()
    assert "Barcelona" in recs["recommendations"][0]["hub"] and recs["recommendations"][0]["explanation"]
    pid = client.get("/api/v1/partnerships", params={"search": "Polish"}).json()["data"][0]["id"]
    card = client.get(f"/api/v1/partnerships/{pid}/scorecard").json()
    assert card["summary"]["total"] == pytest.approx(3.96, abs=0.01)
    org = client.get(f"/api/v1/organizations/{demo_atlas.organization_id(POLISH_STARTUP)}/card").json()
    assert org["hub"] == "Medical Innovation Institute"
    assert client.get("/api/v1/analysis/colour").status_code == 422


def test_imports_preview_reject_with_rows_and_commit(client, demo_atlas, tmp_path):
    bad = ("elements.csv", b"Label,Type\nSant Pau,University Hospital\n", "text/csv")
    r = client.post("/api/v1/imports/kumu", files=[("files", bad)], data={"dry_run": "true"})
    assert r.status_code == 422
    [problem] = r.json()["errors"]
    assert (problem["file"], problem["row"], problem["column"]) == ("elements.csv", 2, "Type")
    good = ("elements.csv", b"Label,Type\nSant Pau,hospital\n", "text/csv")
    before = demo_atlas.count(Organization)
    preview = client.post("/api/v1/imports/kumu", files=[("files", good)], data={"dry_run": "true"}).json()
    assert preview["rows"][0]["created"] == 1 and demo_atlas.count(Organization) == before
    done = client.post("/api/v1/imports/kumu", files=[("files", good)]).json()
    assert done["dry_run"] is False and demo_atlas.count(Organization) == before + 1
    cordis = [("files", (p.name, p.read_bytes(), "text/csv")) for p in sorted(CORDIS_HE.glob("*.csv"))]
    real = client.post("/api/v1/imports/cordis", files=cordis, data={"dry_run": "true"})
    assert real.status_code == 200, real.text
    assert {r["record"] for r in real.json()["rows"]} >= {"organization", "tie"}


def test_exports_are_read_back(client, tmp_path):
    bundle = client.get("/api/v1/exports/bundle")
    assert bundle.status_code == 200 and "organization" in json.loads(bundle.content)["records"]
    gexf = tmp_path / "atlas.gexf"
    gexf.write_bytes(client.get("/api/v1/exports/gexf", params={"hub": "Texas Medical Center"}).content)
    # graphology-gexf (Gephi Lite's reader): networkx refuses a file with both directed and undirected ties
    nodes = graphology_read(gexf)["nodes"]
    assert len(nodes) > 5 and all(n["attributes"].get("hub") == "Texas Medical Center" for n in nodes)


def test_simulations_and_events_run_as_jobs(client, tmp_path):
    spec = {"hub": "Medical Innovation Institute", "scenarios": ["fast-track"], "runs": 40, "years": 5,
            "as_of": "2026-11-24"}
    result = _job(client, client.post("/api/v1/simulations", json=spec))
    assert {r["scenario"] for r in result["outcomes"]} == {"baseline", "fast-track"}
    assert {"p5", "p50", "p95", "d50"} <= set(result["bands"][0])
    failed = client.post("/api/v1/simulations", json={**spec, "scenarios": ["teleport"]}).json()
    for _ in range(100):
        failed = client.get(f"/api/v1/jobs/{failed['id']}").json()
        if failed["status"] != "queued" and failed["status"] != "running":
            break
        time.sleep(0.1)
    assert failed["status"] == "failed" and "teleport" in failed["error"]["errors"][0]["reason"]
    assert client.post("/api/v1/simulations", json={**spec, "runs": 0}).status_code == 422
    path = tmp_path / "event.xlsx"
    _workbook(path, [("Ana Ruiz", "Marek Nowak", "must meet"), ("Lea Vogel", "Ana Ruiz", "meet")])
    with path.open("rb") as f:
        submitted = client.post("/api/v1/events", files={"file": ("event.xlsx", f)},
                                data={"tables": "1", "method": "cp-sat"})
    event = _job(client, submitted)
    assert event["summary"]["scheduled"] == 2 and "agenda.xlsx" in event["files"]
    agenda = client.get(f"/api/v1/jobs/{submitted.json()['id']}/files/agenda.csv")
    assert agenda.status_code == 200 and "Ana Ruiz" in agenda.text
    assert client.get(f"/api/v1/jobs/{submitted.json()['id']}/files/../../etc/passwd").status_code == 404
    metrics = _job(client, client.post("/api/v1/analysis/metrics/jobs", params={"top": 3}))
    assert len(metrics["actors"]) == 3
    assert client.get("/api/v1/jobs/x").status_code == 404


def test_pages_render(client, demo_atlas):
    pid = client.get("/api/v1/partnerships").json()["data"][0]["id"]
    org = demo_atlas.organization_id(POLISH_STARTUP)
    for path in ["/", "/hubs", "/hubs/1", "/stakeholders", f"/actors/{org}", "/partnerships",
                 f"/partnerships/{pid}", "/event", "/scenarios", "/import", "/docs"]:
        page = client.get(path)
        assert page.status_code == 200 and "<h1" in page.text or path == "/docs", path
    assert client.get("/actors/999999").status_code == 404
    assert client.get("/static/vendor/ecotone-map.min.js").status_code == 200
    assert "sigma" in client.get("/static/vendor/README.md").text
    assert demo_atlas.count(Tie) > 0
