"""The API says the simulator's problems in words (the request's fields, what to do next on a page), never the command
line's options or commands, while the command line keeps its options; a job that stops on an unexpected error says
so in words, its cause in the server's log and never an exception's name. In process, on the demo (both backends)."""

import json
import logging
import re
import time

import pytest
from fastapi.testclient import TestClient

from conftest import bearer
from ecotone.api import create_app
from ecotone.domain import Hub
from ecotone.services.accounts import principal_of
from ecotone.services.jobs import kind

AS_OF = "2026-11-24"
POLISH = "Medical Innovation Institute"
KRAKOW = "Kraków Medtech Cluster"  # a hub without innovations, so without stage histories
#: What a browser user cannot act on: the command line's options and commands, and where the server keeps files.
COMMAND_LINE = re.compile(r"--[a-z][a-z-]+|\becotone [a-z]+|/tmp/|ecotone-(event|upload|sim)-")
#: An exception's class name as Python prints it ("KeyError: 'x'", "ValueError", "ZeroDivisionError: …").
CLASS_NAME = re.compile(r"\b[A-Z][A-Za-z]*(Error|Exception)\b")
SIMULATION = {"hub": POLISH, "scenarios": ["fast-track"], "runs": 20, "years": 3, "as_of": AS_OF}
BUDGET = {"hub": POLISH, "budget": 1_000_000, "options": ["fast-track:cost=300000"], "runs": 20, "years": 3,
          "as_of": AS_OF}


def _client(atlas):
    """An admin's API client on the demo, with a hub that has no stage history."""
    from ecotone.services.demo import build_demo

    build_demo(atlas)
    atlas.add(Hub(name=KRAKOW, city="Kraków", country="PL"))
    with TestClient(create_app(atlas=atlas), headers=bearer(atlas)) as c:
        yield c


@pytest.fixture
def client(atlas):
    yield from _client(atlas)


@pytest.fixture
def sqlite_client(sqlite_atlas):
    """The same on SQLite only: for words that do not depend on the backend, each a calibration long."""
    yield from _client(sqlite_atlas)


def _finished(client, response) -> dict:
    """The job a 202 answer started, once it is done or failed."""
    assert response.status_code == 202, response.text
    job = response.json()
    for _ in range(600):
        job = client.get(f"/api/v1/jobs/{job['id']}").json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"the job did not finish: {job}")


def _failed(client, path, spec) -> dict:
    job = _finished(client, client.post(path, json=spec))
    assert job["status"] == "failed", job
    return job["error"]


def _in_words(said: dict) -> None:
    text = json.dumps(said, ensure_ascii=False)
    assert not COMMAND_LINE.search(text), (COMMAND_LINE.search(text), text)
    assert not CLASS_NAME.search(text), (CLASS_NAME.search(text), text)


def test_a_hub_without_stage_histories_is_told_to_record_them_on_the_import_page(client):
    for path, spec in (("/api/v1/simulations", {**SIMULATION, "hub": KRAKOW}),
                       ("/api/v1/simulations/budget", {**BUDGET, "hub": KRAKOW}),
                       ("/api/v1/simulations", {**SIMULATION, "scenarios": [f"connect:{KRAKOW}"]})):
        error = _failed(client, path, spec)
        _in_words(error)
        [problem] = error["errors"]
        assert KRAKOW in problem["reason"] and "stage history" in problem["reason"], problem
        assert "Import page" in problem["hint"] and "choose another hub" in problem["hint"], problem


#: Requests refused before any work starts: (endpoint, change to a good request, the field named, words said).
REFUSED = [
    ("/api/v1/simulations", {"runs": 0}, "runs", "at least 1"),
    ("/api/v1/simulations", {"runs": 10**6}, "runs", "at most 20000"),
    ("/api/v1/simulations", {"years": 0}, "years", "more than 0"),
    ("/api/v1/simulations", {"discount_rate": 2}, "discount_rate", "less than 1"),
    ("/api/v1/simulations", {"as_of": "last spring"}, "as_of", "a date like 2024-01-31"),
    ("/api/v1/simulations/budget", {"budget": -5}, "budget", "more than 0"),
    ("/api/v1/simulations/budget", {"budget": 0}, "budget", "more than 0"),
    ("/api/v1/simulations/budget", {"options": []}, "options", "at least 1"),
    ("/api/v1/simulations/budget", {"as_of": "2026-13-45"}, "as_of", "a date like 2024-01-31"),
]
#: Jobs that fail on what the simulator finds in their input: (endpoint, change, the field named, words said).
REJECTED = [
    # every affordable combination runs in one ensemble: 20,000 runs × 100 years × 2 is more than a server runs
    ("/api/v1/simulations/budget", {"runs": 20_000, "years": 100}, "runs", "Monte Carlo runs"),
    ("/api/v1/simulations", {"scenarios": ["teleport"]}, "scenarios", "unknown intervention 'teleport'"),
    ("/api/v1/simulations/budget", {"options": ["teleport:cost=5"]}, "options", "unknown intervention 'teleport'"),
    ("/api/v1/simulations", {"scenarios": ["A=fast-track", "A=seed-fund"]}, "scenarios", "given twice"),
    ("/api/v1/simulations/budget", {"options": ["A=fast-track", "A=seed-fund"]}, "options", "given twice"),
    ("/api/v1/simulations", {"scenarios": ["fast-track:share=lots"]}, "scenarios", "lots"),
    ("/api/v1/simulations/budget", {"options": ["seed-fund:cost=-1"]}, "options", "cannot be negative"),
    ("/api/v1/simulations", {"scenarios": [f"connect:{POLISH}"]}, "scenarios", "itself"),
    ("/api/v1/simulations", {"scenarios": ["connect:Barcelona", "connect:Texas"]}, "scenarios", "one partner"),
]


def _good(path: str) -> dict:
    return SIMULATION if path.endswith("simulations") else BUDGET


def test_a_request_the_simulator_cannot_run_is_refused_by_its_field_in_words(client):
    for path, change, field, words in REFUSED:
        answer = client.post(path, json={**_good(path), **change})
        assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json", \
            (change, answer.text)
        body = answer.json()
        _in_words(body)
        assert body["errors"][0]["field"] == field and words in body["errors"][0]["reason"], (change, body)


def test_a_simulation_s_problems_name_the_request_s_fields(sqlite_client):
    for path, change, field, words in REJECTED:
        error = _failed(sqlite_client, path, {**_good(path), **change})
        _in_words(error)
        assert error["title"] == "The input was rejected", (change, error)
        [problem] = error["errors"]
        assert problem["column"] == field and problem["field"] == field and words in problem["reason"], \
            (change, problem)


def test_a_hub_that_is_not_there_is_not_found_in_words(client):
    error = _failed(client, "/api/v1/simulations", {**SIMULATION, "hub": "Atlantis"})
    _in_words(error)
    assert error["title"] == "Not found" and "Atlantis" in error["detail"], error


def test_a_job_that_stops_unexpectedly_says_so_in_words_and_logs_why(client, atlas, caplog):
    token = client.headers["Authorization"].removeprefix("Bearer ")
    who = principal_of(atlas, token=token)

    @kind("test: broken")
    def broken(atlas, params, progress, folder):  # a defect of the server's, as a job meets it: a missing key
        progress("reading", 0, 1)
        return {}["hub_id"]

    with caplog.at_level(logging.ERROR, logger="ecotone.services.jobs"):
        job = client.app.state.jobs.submit("test: broken", {}, owner=who)
        seen = client.get(f"/api/v1/jobs/{job['id']}").json()
        for _ in range(100):
            if seen["status"] == "failed":
                break
            time.sleep(0.05)
            seen = client.get(f"/api/v1/jobs/{job['id']}").json()
    error = seen["error"]
    assert seen["status"] == "failed" and error["title"] == "The job stopped on an unexpected error", seen
    _in_words(error)
    assert "hub_id" not in json.dumps(error) and job["id"] in error["detail"]
    assert "administrator" in error["detail"]
    logged = [r for r in caplog.records if r.name == "ecotone.services.jobs"]
    assert logged and job["id"] in logged[0].getMessage() and logged[0].exc_info[0] is KeyError  # why, for the server


def test_the_command_line_keeps_its_options(demo_atlas, cli):
    demo_atlas.add(Hub(name=KRAKOW, city="Kraków", country="PL"))
    db = ["--db", demo_atlas.url]
    code, _, err = cli(*db, "simulate", "compare", "--hub", KRAKOW, "--runs", "20", "--as-of", AS_OF)
    said = " ".join(err.split())
    assert code == 1 and "ecotone velocity --by hub" in said and "Import page" not in said, err
    code, _, err = cli(*db, "simulate", "compare", "--hub", POLISH, "--runs", "0", "--as-of", AS_OF)
    said = " ".join(err.split())
    assert code == 1 and "--runs: Monte Carlo runs must be at least 1" in said, err
    code, _, err = cli(*db, "simulate", "compare", "--hub", POLISH, "--scenario", "teleport", "--runs", "2",
                       "--as-of", AS_OF)
    assert code == 1 and "--scenario: unknown intervention 'teleport'" in " ".join(err.split()), err
