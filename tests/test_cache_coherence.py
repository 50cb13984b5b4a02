"""The API's response cache stays coherent with the atlas: an answer is recomputed when, and only when, what it
depends on changed (a hub's counter, the kinds of record it reads), whoever wrote — this server, another
connection as the command line writes, another web process — and requests missing one answer at once compute it
once. On both backends."""

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from ecotone.api import create_app
from ecotone.api.cache import ResponseCache
from ecotone.domain import Hub, Organization, Tie
from ecotone.store import Atlas
from conftest import REPO, bearer, postgres_schema


def _cache(app) -> ResponseCache:
    """The response cache middleware of a started application."""
    layer = app.middleware_stack
    while not isinstance(layer, ResponseCache):
        layer = layer.app
    return layer


@pytest.fixture
def two_hubs(atlas):
    """Two hubs of two organisations each, tied within each hub; returns the hubs' and organisations' ids."""
    bcn, mad = atlas.add_all([Hub(name="Barcelona Health Hub", visibility="public"),
                              Hub(name="Madrid Health Hub", visibility="public")])
    orgs = atlas.add_all([Organization(name=name, type="startup", hub_id=hub.id, visibility="public")
                          for hub, name in ((bcn, "Medlumics"), (bcn, "Ona Clinics"), (mad, "Sanifit"),
                                            (mad, "Idoven"))])
    atlas.add_all([Tie(source_id=orgs[0].id, target_id=orgs[1].id, kind="partnership"),
                   Tie(source_id=orgs[2].id, target_id=orgs[3].id, kind="partnership")])
    return {"bcn": bcn.id, "mad": mad.id, "orgs": [o.id for o in orgs]}


@pytest.fixture
def served(atlas, two_hubs):
    """An admin's client of the application over the atlas, and its response cache."""
    app = create_app(atlas=atlas)
    with TestClient(app, headers=bearer(atlas)) as client:
        client.get("/api/v1/hubs")  # builds the middleware stack
        yield client, _cache(app)


def _labels(answer) -> set[str]:
    assert answer.status_code == 200, answer.text
    return set(answer.json()["nodes"]["label"])


def _counting(cache: ResponseCache, client, path: str):
    """The answer to ``path`` and whether the cache computed it (rather than serving what it kept)."""
    before = cache.computed, cache.served
    answer = client.get(path)
    assert answer.status_code == 200, answer.text
    computed, served = cache.computed - before[0], cache.served - before[1]
    assert computed + served == 1
    return answer, computed == 1


def test_a_write_to_one_hub_keeps_the_other_hubs_map_and_refreshes_its_own(served, two_hubs):
    client, cache = served
    bcn, mad = f"/api/v1/map?hub={two_hubs['bcn']}", f"/api/v1/map?hub={two_hubs['mad']}"
    for path in (bcn, mad, "/api/v1/map"):
        _counting(cache, client, path)
        assert _counting(cache, client, path)[1] is False  # the second read is served from memory
    kept_mad = client.get(mad).content
    changed = client.patch(f"/api/v1/organizations/{two_hubs['orgs'][0]}", json={"name": "Medlumics SL"})
    assert changed.status_code == 200, changed.text
    answer, computed = _counting(cache, client, mad)
    assert not computed and answer.content == kept_mad  # another hub's map stays as it was kept
    answer, computed = _counting(cache, client, bcn)
    assert computed and "Medlumics SL" in _labels(answer)
    answer, computed = _counting(cache, client, "/api/v1/map")
    assert computed and "Medlumics SL" in _labels(answer)
    assert not _counting(cache, client, bcn)[1]  # and is kept again


def test_the_whole_atlas_map_is_refreshed_by_any_organisation_write(served, two_hubs, atlas):
    client, cache = served
    for path in ("/api/v1/map", f"/api/v1/map?hub={two_hubs['bcn']}", "/api/v1/organizations?limit=50"):
        _counting(cache, client, path)
    # written as the command line writes: another connection, not through this server
    other = Atlas(atlas.engine)
    org = other.get(Organization, two_hubs["orgs"][3])
    org.name = "Idoven Cardio"
    other.update(org)
    answer, computed = _counting(cache, client, "/api/v1/map")
    assert computed and "Idoven Cardio" in _labels(answer)
    answer, computed = _counting(cache, client, "/api/v1/organizations?limit=50")
    assert computed and "Idoven Cardio" in {o["name"] for o in answer.json()["data"]}
    assert not _counting(cache, client, f"/api/v1/map?hub={two_hubs['bcn']}")[1]  # Barcelona's stays
    atlas.add(Organization(name="Made in Madrid", type="sme", hub_id=two_hubs["mad"], visibility="public"))
    answer, computed = _counting(cache, client, "/api/v1/map")
    assert computed and "Made in Madrid" in _labels(answer)


def test_the_whole_atlas_map_is_kept_across_edits_of_what_it_does_not_show(served, two_hubs, atlas):
    client, cache = served
    org = f"/api/v1/organizations/{two_hubs['orgs'][0]}"
    kept = _counting(cache, client, "/api/v1/map")[0].content
    for edit in ({"city": "Barcelona"}, {"description": "Optical imaging"}, {"website": "https://medlumics.com"},
                 {"tags": ["imaging"]}):
        assert client.patch(org, json=edit).status_code == 200
        answer, computed = _counting(cache, client, "/api/v1/map")
        assert not computed and answer.content == kept, edit
        assert _counting(cache, client, f"{org}/card")[0].json()  # the card shows the edit (its hub moved)
    assert client.get("/api/v1/organizations?limit=50").json()["data"][0]["tags"] == ["imaging"]
    assert client.patch(org, json={"stage": "scale"}).status_code == 200  # the map colours by stage
    answer, computed = _counting(cache, client, "/api/v1/map")
    nodes = answer.json()["nodes"]
    assert computed and nodes["stage"][nodes["id"].index(two_hubs["orgs"][0])] == "scale"
    # hidden from visitors: their map loses it, whoever wrote (here another connection, as the command line)
    visitor = TestClient(client.app)
    assert "Medlumics" in _labels(visitor.get("/api/v1/map"))
    other = Atlas(atlas.engine)
    record = other.get(Organization, two_hubs["orgs"][0])
    record.visibility = "hub"
    other.update(record)
    assert "Medlumics" not in _labels(visitor.get("/api/v1/map"))


def test_a_worker_reads_the_counters_once_for_requests_asking_at_once_and_never_from_before_they_came(atlas):
    from ecotone.api.counters import CountersReader

    if atlas.dialect != "postgresql":
        pytest.skip("on SQLite the counters are a page in memory, read at once")
    reads = []

    class Slow:  # the round trip's answer comes back a while after the server read it
        dialect = atlas.dialect

        def counters(self):
            values = atlas.counters()
            reads.append(values)
            time.sleep(0.2)
            return values

    reader = CountersReader(Slow())

    def add(name):
        atlas.add(Organization(name=name, type="sme", visibility="public"))

    async def main():
        together = await asyncio.gather(*(reader.read() for _ in range(50)))
        running = asyncio.ensure_future(reader.read())
        await asyncio.sleep(0.05)  # that read is under way: what is written now, it does not see
        await asyncio.to_thread(add, "Written meanwhile")
        later = await asyncio.gather(*(reader.read() for _ in range(20)))
        return together, await running, later

    together, running, later = asyncio.run(main())
    assert len(reads) == 3  # fifty requests, one round trip; then one under way, and one for all who came after
    assert all(t == together[0] for t in together)
    organizations = "k:organizations"
    assert running.get(organizations, 0) == together[0].get(organizations, 0)
    assert all(v.get(organizations, 0) == running.get(organizations, 0) + 1 for v in later)  # the write is seen


def test_a_card_is_refreshed_by_a_write_to_its_hub_and_kept_by_one_to_another(served, two_hubs):
    client, cache = served
    card = f"/api/v1/organizations/{two_hubs['orgs'][0]}/card"
    _counting(cache, client, card)
    assert client.patch(f"/api/v1/organizations/{two_hubs['orgs'][2]}", json={"city": "Madrid"}).status_code == 200
    assert not _counting(cache, client, card)[1]
    assert client.patch(f"/api/v1/organizations/{two_hubs['orgs'][1]}", json={"city": "Barcelona"}).status_code == 200
    assert _counting(cache, client, card)[1]


def test_concurrent_identical_misses_compute_once(atlas, two_hubs):
    app = create_app(atlas=atlas)
    headers = bearer(atlas)

    async def ask_at_once(n: int) -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=headers) as http:
            await http.get("/api/v1/hubs")  # the stack built, the caller's credentials resolved once
            cache = _cache(app)
            before = cache.computed, cache.served
            answers = await asyncio.gather(*(http.get("/api/v1/map") for _ in range(n)))
            return answers, cache.computed - before[0], cache.served - before[1]

    answers, computed, served = asyncio.run(ask_at_once(20))
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1 and len({a.headers["etag"] for a in answers}) == 1
    assert (computed, served) == (1, 19)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(url: str, workers: int) -> tuple[subprocess.Popen, str]:
    """``ecotone serve`` over the atlas at ``url`` in a process of its own (``workers`` worker processes)."""
    port = _port()
    env = {**os.environ, "ECOTONE_DATABASE_URL": url}
    proc = subprocess.Popen([str(Path(sys.executable).parent / "ecotone"), "serve", "--port", str(port), "--workers",
                             str(workers)], env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    for _ in range(1200):  # a loaded machine starts Python slowly
        if proc.poll() is not None:
            raise AssertionError(f"ecotone serve stopped: {proc.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(f"{base}/api/v1/hubs", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.terminate()
    raise AssertionError("ecotone serve did not start")


def _fresh_reads(base: str, path: str, headers: dict, n: int) -> set[bytes]:
    """``path`` read over ``n`` new connections (each may reach another worker process)."""
    bodies = set()
    for _ in range(n):
        with httpx.Client(base_url=base, headers=headers) as http:
            answer = http.get(path)
            assert answer.status_code == 200, answer.text
            bodies.add(answer.content)
    return bodies


@pytest.mark.slow
@pytest.mark.postgresql
def test_web_processes_see_an_edit_made_through_another_at_once():
    """``ecotone serve --workers 2`` and a second ``ecotone serve`` on one PostgreSQL atlas: each keeps its own
    answers, and an edit through either shows in the other's very next answer."""
    with postgres_schema() as url:
        with Atlas.open(url) as atlas:
            hub = atlas.add(Hub(name="Barcelona Health Hub", visibility="public"))
            org = atlas.add(Organization(name="Medlumics", type="startup", hub_id=hub.id, visibility="public"))
            headers = bearer(atlas)
        pair, single = _serve(url, 2), _serve(url, 1)
        try:
            (_, two), (_, one) = pair, single
            paths = ["/api/v1/map", f"/api/v1/map?hub={hub.id}", f"/api/v1/organizations/{org.id}/card",
                     "/api/v1/organizations?limit=50"]
            for base in (two, one):
                for path in paths:  # kept in every process (warm: asked several times over new connections)
                    assert len(_fresh_reads(base, path, headers, 4)) == 1
            for name, (through, seen) in {"Medlumics SL": (one, two), "Medlumics SA": (two, one)}.items():
                with httpx.Client(base_url=through, headers=headers) as http:
                    changed = http.patch(f"/api/v1/organizations/{org.id}", json={"name": name})
                    assert changed.status_code == 200, changed.text
                for path in paths:
                    bodies = _fresh_reads(seen, path, headers, 6)
                    assert len(bodies) == 1 and name.encode() in bodies.pop(), (path, name)
        finally:
            for proc, _ in (pair, single):
                proc.terminate()
                proc.wait(30)
