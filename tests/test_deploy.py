"""A hub network's deployment on one PostgreSQL database: two web worker processes (`ecotone serve --workers 2`) and
two job workers (`ecotone worker`). A job worker killed in the middle of a simulation loses nothing: the other
runs the job again and it finishes."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from conftest import bearer, postgres_schema
from ecotone.services.demo import build_demo
from ecotone.store import Atlas
from ecotone.store.tables import jobs

pytestmark = [pytest.mark.postgresql, pytest.mark.slow]

ECOTONE = [str(Path(sys.executable).parent / "ecotone")]  # the console script the package installs


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _wait(what, check, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {seconds} s")


@pytest.fixture
def deployment(tmp_path):
    with postgres_schema() as url:
        with Atlas.open(url) as atlas:
            build_demo(atlas)
            headers = bearer(atlas)
        env = {**os.environ, "ECOTONE_DATABASE_URL": url, "ECOTONE_JOBS": "auto", "ECOTONE_JOB_STALLED_AFTER": "3",
               "ECOTONE_TRUSTED_HOSTS": "127.0.0.1"}
        port = _port()
        logs = {name: (tmp_path / f"{name}.log").open("w") for name in ("web", "worker-1", "worker-2")}
        processes = {"web": subprocess.Popen([*ECOTONE, "serve", "--workers", "2", "--port", str(port)], env=env,
                                             stdout=logs["web"], stderr=subprocess.STDOUT)}
        for name in ("worker-1", "worker-2"):
            processes[name] = subprocess.Popen([*ECOTONE, "worker", "--concurrency", "1"], env=env,
                                               stdout=logs[name], stderr=subprocess.STDOUT)
        engine = sa.create_engine(url)
        try:
            yield {"base": f"http://127.0.0.1:{port}", "headers": headers, "engine": engine, "processes": processes,
                   "logs": tmp_path}
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGINT)
            for process in processes.values():
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
            for log in logs.values():
                log.close()
            engine.dispose()


def test_a_job_outlives_the_job_worker_killed_in_its_middle(deployment):
    base, headers, engine = deployment["base"], deployment["headers"], deployment["engine"]
    client = httpx.Client(base_url=base, headers=headers, timeout=30)

    def healthy():
        try:
            body = client.get("/health").json()
        except httpx.HTTPError:
            return None
        return body if body.get("workers") == 2 else None

    health = _wait("two job workers heard of", healthy)
    assert health["status"] == "ok" and health["jobs_run"] == "queue" and health["database"] == "postgresql"
    web = deployment["processes"]["web"]
    assert len(_children(web.pid)) >= 2  # two web worker processes under the server
    # an edit through one web worker shows through every one of them at once
    org = client.get("/api/v1/organizations", params={"limit": 1}).json()["data"][0]
    for _ in range(6):
        client.get(f"/api/v1/organizations/{org['id']}")
    changed = client.patch(f"/api/v1/organizations/{org['id']}", json={"tags": ["deployed"]})
    assert changed.status_code == 200, changed.text
    assert all(client.get(f"/api/v1/organizations/{org['id']}").json()["tags"] == ["deployed"] for _ in range(6))

    spec = {"hub": "Medical Innovation Institute", "scenarios": ["fast-track"], "runs": 20_000, "years": 25,
            "as_of": "2026-11-24"}
    made = client.post("/api/v1/simulations", json=spec)
    assert made.status_code == 202, made.text
    job_id = made.json()["id"]

    def runner():
        with engine.connect() as conn:
            row = conn.execute(sa.select(jobs.c.status, jobs.c.worker).where(jobs.c.id == job_id)).one()
        return row.worker if row.status == "running" else None

    first = _wait("the simulation started", runner)
    pid = int(first.rsplit(":", 1)[1])
    killed = next(name for name, p in deployment["processes"].items() if p.pid == pid)
    time.sleep(1)
    assert client.get(f"/api/v1/jobs/{job_id}").json()["status"] == "running"
    os.kill(pid, signal.SIGKILL)  # the worker dies in the middle of the job: no goodbye, no cleanup
    deployment["processes"][killed].wait(timeout=10)

    def finished():
        job = client.get(f"/api/v1/jobs/{job_id}").json()
        return job if job["status"] in ("done", "failed", "cancelled") else None

    job = _wait("the job finished on the other worker", finished, seconds=240)
    assert job["status"] == "done", job
    assert job["attempts"] == 2 and {r["scenario"] for r in job["result"]["outcomes"]} == {"baseline", "fast-track"}
    with engine.connect() as conn:
        second = conn.execute(sa.select(jobs.c.worker).where(jobs.c.id == job_id)).scalar_one()
    assert second != first
    other = next(p for name, p in deployment["processes"].items() if name.startswith("worker") and name != killed)
    assert second.endswith(f":{other.pid}")
    assert client.get("/api/v1/jobs").json()["data"][0]["id"] == job_id


def test_a_job_worker_asked_to_stop_finishes_its_job_once(deployment):
    # SIGTERM (systemctl stop): the worker finishes the running job before it exits; the other worker, which hears
    # no more of it from the queue meanwhile, must not run the job a second time
    client = httpx.Client(base_url=deployment["base"], headers=deployment["headers"], timeout=30)
    _wait("two job workers heard of", lambda: _health(client).get("workers") == 2)
    made = client.post("/api/v1/simulations", json={"hub": "Medical Innovation Institute", "scenarios": ["fast-track"],
                                                    "runs": 20_000, "years": 25, "as_of": "2026-11-24"})
    job_id = made.json()["id"]
    first = _wait("the simulation started", lambda: _runner(deployment["engine"], job_id))
    stopping = next(p for p in deployment["processes"].values() if p.pid == int(first.rsplit(":", 1)[1]))
    stopping.send_signal(signal.SIGTERM)
    assert stopping.wait(timeout=240) == 0
    job = client.get(f"/api/v1/jobs/{job_id}").json()
    assert job["status"] == "done" and job["attempts"] == 1, job
    time.sleep(5)  # longer than ECOTONE_JOB_STALLED_AFTER: the other worker's sweep has looked at it since
    again = client.get(f"/api/v1/jobs/{job_id}").json()
    assert again["status"] == "done" and again["attempts"] == 1, again


def _health(client):
    try:
        return client.get("/health").json()
    except httpx.HTTPError:
        return {}


def _runner(engine, job_id):
    with engine.connect() as conn:
        row = conn.execute(sa.select(jobs.c.status, jobs.c.worker).where(jobs.c.id == job_id)).one()
    return row.worker if row.status == "running" else None


def test_a_job_worker_s_memory_limit_fails_the_job_that_needs_more_and_goes_on(tmp_path):
    import ecotone.api.simulations  # noqa: F401  (registers the simulation kind, as a web worker does)
    from ecotone.services.jobs import Jobs
    from ecotone.settings import Settings

    with postgres_schema() as url:
        env = {**os.environ, "ECOTONE_DATABASE_URL": url}
        too_low = subprocess.run([*ECOTONE, "worker", "--memory-limit", "300"], env=env, capture_output=True,
                                 text=True, timeout=120)
        assert too_low.returncode == 2 and "leaves no room for a job" in too_low.stderr, too_low.stderr
        assert "Give at least" in too_low.stderr and "Traceback" not in too_low.stderr
        with Atlas.open(url) as atlas, (tmp_path / "worker.log").open("w") as log:
            build_demo(atlas)
            worker = subprocess.Popen([*ECOTONE, "worker", "--concurrency", "1", "--memory-limit", "900"], env=env,
                                      stdout=log, stderr=subprocess.STDOUT)
            jobs_ = Jobs(atlas.engine, settings=Settings(jobs="queue"))
            try:
                spec = {"hub": "Medical Innovation Institute", "scenarios": ["fast-track"], "years": 25,
                        "as_of": "2026-11-24"}
                done = {}
                for runs in (20_000, 100):  # about 1.5 GB, then a few megabytes
                    job = jobs_.submit("simulation", {**spec, "runs": runs}, owner=atlas.principal, cost=runs * 50)
                    done[runs] = _wait(f"the {runs}-run simulation ended", lambda: (
                        lambda j: j if j["status"] in ("done", "failed") else None)(jobs_.book.get(job["id"])),
                        seconds=240)
                assert done[20_000]["status"] == "failed", done[20_000]
                assert done[20_000]["error"]["title"] == "The job needed more memory than its worker may use"
                assert "--memory-limit" in done[20_000]["error"]["detail"]
                assert done[100]["status"] == "done" and worker.poll() is None  # the worker went on
            finally:
                jobs_.close()
                worker.send_signal(signal.SIGINT)
                worker.wait(timeout=30)
