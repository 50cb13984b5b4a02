"""Background jobs kept in the atlas: listed, cancelled, retried, under quotas, surviving a restart of the web
process, visible to their owner only, with their files; /health; the `ecotone jobs` commands."""

import datetime as dt
import io
import json
import threading
import time

import networkx as nx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from conftest import bearer
from ecotone.api import create_app
from ecotone.services.jobs import Jobs, kind
from ecotone.store.tables import jobs as jobs_table
from test_match import _workbook

SIMULATION = {"hub": "Medical Innovation Institute", "scenarios": ["fast-track"], "runs": 40, "years": 5,
              "as_of": "2026-11-24"}

#: Jobs of the slow kind wait here until a test lets them go (or they are cancelled).
_GATE = threading.Event()


@kind("test: slow")
def _slow(atlas, params, progress, folder):
    for step in range(params["steps"]):
        progress("waiting", step, params["steps"])
        if _GATE.wait(0.05):
            break
        time.sleep(2.1)  # past the progress throttle: each step is written, and a cancel seen
    (folder / "out" / "note.txt").write_text("done waiting")
    return {"steps": params["steps"]}


def _settled(client, job_id, states=("done", "failed", "cancelled")):
    for _ in range(600):
        job = client.get(f"/api/v1/jobs/{job_id}").json()
        if job["status"] in states:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} never reached {states}: {job}")


@pytest.fixture
def users(demo_atlas):
    return {"admin": bearer(demo_atlas), "viewer": bearer(demo_atlas, "viewer@example.org", "viewer")}


def test_a_job_is_listed_followed_and_its_files_served_to_its_owner_only(demo_atlas, users, tmp_path):
    with TestClient(create_app(atlas=demo_atlas), headers=users["admin"]) as client:
        made = client.post("/api/v1/simulations", json=SIMULATION)
        assert made.status_code == 202 and made.json()["status"] in ("queued", "running", "done")
        done = _settled(client, made.json()["id"])
        assert done["status"] == "done" and done["attempts"] == 1 and done["finished_at"]
        assert {r["scenario"] for r in done["result"]["outcomes"]} == {"baseline", "fast-track"}
        listed = client.get("/api/v1/jobs").json()
        assert [j["id"] for j in listed["data"]] == [done["id"]] and listed["data"][0]["kind"] == "simulation"
        assert listed["count"] == 1
        assert client.get("/api/v1/jobs", params={"status": "failed"}).json() == {"data": [], "count": 0}
        path = tmp_path / "event.xlsx"
        _workbook(path, [("Ana Ruiz", "Marek Nowak", "must meet")])
        with path.open("rb") as f:
            event = client.post("/api/v1/events", files={"file": ("Brokerage day.xlsx", f)}, data={"tables": "1"})
        event = _settled(client, event.json()["id"])
        assert event["status"] == "done", event
        csv = client.get(f"/api/v1/jobs/{event['id']}/files/agenda.csv")
        assert csv.status_code == 200 and "Ana Ruiz" in csv.text
        zipped = client.get(f"/api/v1/jobs/{event['id']}/agendas.zip")
        assert zipped.status_code == 200 and zipped.content[:2] == b"PK"
    with TestClient(create_app(atlas=demo_atlas), headers=users["viewer"]) as other:
        assert other.get("/api/v1/jobs").json() == {"data": [], "count": 0}  # another account sees none of them
        for path in (f"/api/v1/jobs/{done['id']}", f"/api/v1/jobs/{event['id']}/files/agenda.csv",
                     f"/api/v1/jobs/{event['id']}/agendas.zip"):
            assert other.get(path).status_code == 404, path
        assert other.post(f"/api/v1/jobs/{done['id']}/retry").status_code == 404
        assert other.post(f"/api/v1/jobs/{done['id']}/cancel").status_code == 404
    with TestClient(create_app(atlas=demo_atlas)) as visitor:
        refused = visitor.post("/api/v1/simulations", json=SIMULATION)
        assert refused.status_code == 401 and "sign in" in refused.json()["detail"]


def test_an_events_problems_name_the_workbook_as_uploaded(demo_atlas, users, tmp_path):
    path = tmp_path / "broken.xlsx"
    _workbook(path, [("Ana Ruiz", "Nobody Known", "must meet")])
    with TestClient(create_app(atlas=demo_atlas), headers=users["admin"]) as client:
        with path.open("rb") as f:
            made = client.post("/api/v1/events", files={"file": ("Día de encuentros.xlsx", f)}, data={"tables": "1"})
        job = _settled(client, made.json()["id"])
    assert job["status"] == "failed", job
    said = json.dumps(job["error"], ensure_ascii=False)
    assert "Día de encuentros.xlsx" in said and "ecotone-job" not in said and "/tmp" not in said, said


def test_a_running_job_is_cancelled_and_retried(demo_atlas, users):
    _GATE.clear()
    with TestClient(create_app(atlas=demo_atlas), headers=users["admin"]) as client:
        job = client.app.state.jobs.submit("test: slow", {"steps": 50}, owner=_principal(client))
        running = _settled(client, job["id"], ("running",))
        assert running["task"] in ("", "waiting")
        cancelled = client.post(f"/api/v1/jobs/{job['id']}/cancel")
        assert cancelled.status_code == 200
        stopped = _settled(client, job["id"])
        assert stopped["status"] == "cancelled" and stopped["error"]["detail"] == "cancelled by its owner"
        again = client.post(f"/api/v1/jobs/{job['id']}/cancel")
        assert again.status_code == 409 and "already cancelled" in again.json()["detail"]
        _GATE.set()
        retried = client.post(f"/api/v1/jobs/{job['id']}/retry")
        assert retried.status_code == 202 and retried.json()["status"] in ("queued", "running", "done")
        done = _settled(client, job["id"])
        assert done["status"] == "done" and done["attempts"] == 2 and done["result"] == {"steps": 50}
        assert client.get(f"/api/v1/jobs/{job['id']}/files/note.txt").text == "done waiting"


def test_quotas_refuse_a_job_in_words_with_429(demo_atlas, users, monkeypatch):
    monkeypatch.setenv("ECOTONE_JOB_LIMIT", "2")
    monkeypatch.setenv("ECOTONE_JOB_RUN_YEARS", "1000")
    _GATE.clear()
    with TestClient(create_app(atlas=demo_atlas), headers=users["admin"]) as client:
        heavy = client.post("/api/v1/simulations", json={**SIMULATION, "runs": 200})  # 200 × 5 × 2 = 2,000
        assert heavy.status_code == 429 and heavy.headers["Retry-After"]
        assert "2,000 run-years" in heavy.json()["detail"] and "fewer runs" in heavy.json()["detail"]
        who = _principal(client)
        first = client.app.state.jobs.submit("test: slow", {"steps": 50}, owner=who)
        client.app.state.jobs.submit("test: slow", {"steps": 50}, owner=who)
        full = client.post("/api/v1/simulations", json=SIMULATION)
        assert full.status_code == 429 and "2 jobs queued or running" in full.json()["detail"]
        client.post(f"/api/v1/jobs/{first['id']}/cancel")
        _settled(client, first["id"])
        assert client.post("/api/v1/simulations", json=SIMULATION).status_code == 202  # room again
        _GATE.set()


def test_jobs_survive_a_restart_of_the_web_process(demo_atlas, users, monkeypatch):
    monkeypatch.setenv("ECOTONE_JOB_STALLED_AFTER", "1")
    with TestClient(create_app(atlas=demo_atlas), headers=users["admin"]) as client:
        done = _settled(client, client.post("/api/v1/simulations", json=SIMULATION).json()["id"])
    # a server that stopped in the middle of a job left it running, with no heartbeat since
    book = Jobs(demo_atlas.engine).book
    left = book.create("simulation", _owner(demo_atlas), SIMULATION, cost=400)
    book.start(left, dt.timedelta(seconds=1))
    with demo_atlas.engine.begin() as conn:
        conn.execute(sa.update(jobs_table).where(jobs_table.c.id == left).values(
            heartbeat_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5), worker="stopped-server:4242"))
    with TestClient(create_app(atlas=demo_atlas), headers=users["admin"]) as restarted:
        kept = restarted.get(f"/api/v1/jobs/{done['id']}").json()
        assert kept["status"] == "done" and kept["result"] == done["result"]  # kept in the atlas, not in memory
        assert restarted.app.state.jobs.recover() == 1
        taken = _settled(restarted, left)
        assert taken["status"] == "done" and taken["attempts"] == 2


def test_a_job_running_in_a_live_worker_is_not_started_twice(demo_atlas):
    # a worker finishing its job as it stops sends the queue no heartbeat, and the queue may hand the job to another
    book, minute = Jobs(demo_atlas.engine).book, dt.timedelta(minutes=1)
    running = book.create("simulation", "owner", SIMULATION, cost=400)
    assert book.start(running, minute)["attempts"] == 1
    assert book.heard_of(running, minute)
    assert book.start(running, minute) is None  # its worker beats: it stays that worker's, still running
    assert book.get(running)["status"] == "running" and book.get(running)["attempts"] == 1
    with demo_atlas.engine.begin() as conn:  # its worker goes silent for two minutes
        conn.execute(sa.update(jobs_table).where(jobs_table.c.id == running).values(
            heartbeat_at=dt.datetime.now(dt.timezone.utc) - 2 * minute))
    assert not book.heard_of(running, minute)
    assert book.start(running, minute)["attempts"] == 2  # now taken for dead: run again here
    book.cancel(running)
    with demo_atlas.engine.begin() as conn:
        conn.execute(sa.update(jobs_table).where(jobs_table.c.id == running).values(
            heartbeat_at=dt.datetime.now(dt.timezone.utc) - 2 * minute))
    assert book.start(running, minute) is None and book.get(running)["status"] == "cancelled"


def test_a_queue_that_cannot_take_a_job_is_a_503_and_leaves_nothing_waiting(demo_atlas, users, monkeypatch):
    if demo_atlas.dialect != "postgresql":
        pytest.skip("the job queue is PostgreSQL's")
    monkeypatch.setenv("ECOTONE_JOBS", "queue")
    with demo_atlas.engine.begin() as conn:  # the queue's schema broken (an upgrade gone wrong, say)
        conn.exec_driver_sql("ALTER FUNCTION procrastinate_defer_jobs_v1 RENAME TO procrastinate_moved_away")
    with TestClient(create_app(atlas=demo_atlas), headers=users["admin"], raise_server_exceptions=False) as client:
        refused = client.post("/api/v1/simulations", json=SIMULATION)
        assert refused.status_code == 503 and refused.headers["Retry-After"], refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert "nothing was queued" in refused.json()["detail"]
        job = client.get("/api/v1/jobs").json()["data"][0]
        assert job["status"] == "failed" and job["error"]["title"] == "The job queue could not take the job"
        assert client.app.state.jobs.book.in_flight(_owner(demo_atlas)) == (0, 0.0)  # the quota is not held


def test_health_says_the_schema_and_the_jobs(demo_atlas):
    with TestClient(create_app(atlas=demo_atlas)) as client:
        health = client.get("/health")
        body = health.json()
    assert health.status_code == 200 and body["status"] == "ok", body
    assert body["schema"]["revision"] == body["schema"]["expected"] and body["jobs"]["queued"] == 0
    assert body["jobs_run"] == "in-process"


def test_the_jobs_commands(demo_atlas, users, cli):
    with TestClient(create_app(atlas=demo_atlas), headers=users["admin"]) as client:
        done = _settled(client, client.post("/api/v1/simulations", json={**SIMULATION, "scenarios": ["teleport"]})
                        .json()["id"])
    assert done["status"] == "failed"
    db = ["--db", demo_atlas.url if demo_atlas.dialect == "sqlite" else
          demo_atlas.engine.url.render_as_string(hide_password=False)]
    code, out, _ = cli(*db, "jobs", "list", "--format", "json")
    [row] = json.loads(out)
    assert code == 0 and row["id"] == done["id"] and row["status"] == "failed" and "teleport" not in row["owner"]
    code, out, _ = cli(*db, "jobs", "show", done["id"], "--format", "json")
    assert code == 0 and json.loads(out)["parameters"]["scenarios"] == ["teleport"]
    code, _, err = cli(*db, "jobs", "cancel", done["id"])
    assert code == 1 and "already failed" in err
    code, _, err = cli(*db, "jobs", "list", "--status", "finished")
    assert code == 2 and "no state of a job" in err
    code, _, err = cli(*db, "jobs", "show", "nope")
    assert code == 1 and "ecotone jobs list" in err
    if demo_atlas.dialect == "sqlite":  # on SQLite a retry runs here and now
        code, out, _ = cli(*db, "jobs", "retry", done["id"])
        assert code == 1 and "failed" in out
        code, out, err = cli(*db, "worker")
        assert code == 1 and "SQLite" in err and "ecotone serve" in err


def _principal(client):
    from ecotone.services.accounts import principal_of

    return principal_of(client.app.state.atlas, token=client.headers["Authorization"].removeprefix("Bearer "))


def _owner(atlas):
    from ecotone.store.accounts import Accounts

    return f"user:{Accounts(atlas).user('admin@example.org')['id']}"


def test_a_large_import_and_export_run_as_jobs(atlas, tmp_path):
    from conftest import CORDIS_HE

    headers = bearer(atlas)
    with TestClient(create_app(atlas=atlas), headers=headers) as client:
        files = [("files", (name, (CORDIS_HE / name).read_bytes())) for name in ("organization.csv", "project.csv")]
        preview = _settled(client, client.post("/api/v1/imports/cordis/jobs", files=files,
                                               data={"dry_run": "true"}).json()["id"])
        assert preview["status"] == "done" and preview["result"]["dry_run"], preview
        assert client.get("/api/v1/organizations").json()["count"] == 0  # a preview writes nothing
        done = _settled(client, client.post("/api/v1/imports/cordis/jobs", files=files).json()["id"])
        created = {r["record"]: r["created"] for r in done["result"]["rows"]}
        assert done["status"] == "done" and created["organization"] > 0 and done["result"]["change_set"]
        assert client.get("/api/v1/organizations").json()["count"] == created["organization"]
        broken = [("files", ("our members.csv", b"Label,Type\n,startup\n"))]
        refused = _settled(client, client.post("/api/v1/imports/kumu/jobs", files=broken).json()["id"])
        said = json.dumps(refused["error"])
        assert refused["status"] == "failed" and "our members.csv" in said and "/tmp" not in said, said
        exported = _settled(client, client.post("/api/v1/exports/graphml/jobs").json()["id"])
        assert exported["status"] == "done" and exported["result"]["file"] == "atlas.graphml"
        graph = client.get(f"/api/v1/jobs/{exported['id']}/files/atlas.graphml")
        assert graph.status_code == 200
        job_graph, direct = (nx.read_graphml(io.BytesIO(content)) for content in
                             (graph.content, client.get("/api/v1/exports/graphml").content))
        assert job_graph.number_of_nodes() == created["organization"]  # read back by networkx, as exported at once
        assert sorted(job_graph.nodes) == sorted(direct.nodes) and sorted(job_graph.edges) == sorted(direct.edges)
