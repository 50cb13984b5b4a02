"""The map's data on the server (contract C2): columns whose ties point at the right actors, a deterministic layout
with hubs as regions, the hub summary, visibility, and gzip, ETag and 304 through the response cache."""

import gzip
from collections import Counter

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from ecotone.analysis.snapshot import Snapshot
from ecotone.api import create_app
from ecotone.domain import Organization
from ecotone.services.analysis import Filters
from ecotone.services.layout import EXTENT, lay_out, positions
from ecotone.services.mapdata import NO_HUB, map_data
from conftest import bearer

NODE_COLUMNS = {"id", "label", "type", "helix", "hub", "hub_id", "country", "stage", "community", "degree",
                "strength", "coreness", "pagerank", "x", "y"}
EDGE_COLUMNS = {"source", "target", "kind", "weight", "start"}


@pytest.fixture
def client(demo_atlas):
    with TestClient(create_app(atlas=demo_atlas)) as c:
        yield c


def _multigraph(data) -> nx.MultiGraph:
    """The payload's ties as a networkx multigraph keyed by atlas id (row indices turned back into ids)."""
    ids = data["nodes"]["id"]
    g = nx.MultiGraph()
    g.add_nodes_from(ids)
    for s, t, kind in zip(data["edges"]["source"], data["edges"]["target"], data["edges"]["kind"]):
        g.add_edge(ids[s], ids[t], kind=kind)
    return g


def test_the_payload_has_every_column_and_its_ties_point_at_the_right_actors(demo_atlas):
    data = map_data(demo_atlas)
    assert data["level"] == "actors"
    assert set(data["nodes"]) == NODE_COLUMNS and set(data["edges"]) == EDGE_COLUMNS
    n, m = data["summary"]["actors"], data["summary"]["ties"]
    assert n == demo_atlas.count(Organization) and all(len(v) == n for v in data["nodes"].values())
    assert m > 0 and all(len(v) == m for v in data["edges"].values())
    assert {"threshold", "layout", "communities"} <= set(data["summary"]) and "Fruchterman" in data["summary"]["layout"]
    source, target = np.array(data["edges"]["source"]), np.array(data["edges"]["target"])
    assert source.dtype.kind == "i" and source.min() >= 0 and max(source.max(), target.max()) < n  # row indices

    ties = demo_atlas.frame("tie", ["source_id", "target_id", "kind"])
    atlas_graph = nx.MultiGraph()
    atlas_graph.add_nodes_from(demo_atlas.frame("organization", ["name"])["id"])
    ends = ties[["source_id", "target_id", "kind"]].itertuples(index=False)
    atlas_graph.add_edges_from((s, t, {"kind": k}) for s, t, k in ends)
    ours = _multigraph(data)
    key = lambda g: Counter((min(u, v), max(u, v), d["kind"]) for u, v, d in g.edges(data=True))  # noqa: E731
    assert key(ours) == key(atlas_graph)
    simple = nx.Graph(atlas_graph)
    degree = dict(zip(data["nodes"]["id"], data["nodes"]["degree"]))
    assert degree == {v: simple.degree(v) - (1 if simple.has_edge(v, v) else 0) for v in simple}
    names = dict(demo_atlas.frame("organization", ["name"]).itertuples(index=False))
    assert data["nodes"]["label"] == [names[i] for i in data["nodes"]["id"]]
    hubs = dict(demo_atlas.frame("organization", ["hub_id"]).itertuples(index=False))
    assert data["nodes"]["hub_id"] == [None if pd.isna(hubs[i]) else int(hubs[i]) for i in data["nodes"]["id"]]
    years = [None if pd.isna(d) else d.year for d in demo_atlas.frame("tie", ["start_date"])["start_date"]]
    by_pair = Counter(zip(zip(ties["source_id"], ties["target_id"], ties["kind"]), years))
    ids = data["nodes"]["id"]
    assert by_pair == Counter(zip(zip((ids[s] for s in source), (ids[t] for t in target), data["edges"]["kind"]),
                                  data["edges"]["start"]))


def test_positions_are_deterministic_and_hubs_are_regions(demo_atlas):
    snap = Snapshot.from_atlas(demo_atlas)
    first, again = lay_out(snap), lay_out(Snapshot.from_atlas(demo_atlas))
    assert np.array_equal(first.x, again.x) and np.array_equal(first.y, again.y)
    where = positions(demo_atlas)
    assert where["id"].tolist() == snap.nodes["id"].tolist()
    assert np.allclose(where["x"], first.x) and np.allclose(where["y"], first.y)
    assert np.abs(where[["x", "y"]].to_numpy()).max() == pytest.approx(EXTENT)
    assert len(set(zip(first.x.round(3), first.y.round(3)))) > 0.95 * len(snap)  # no pile of actors on one spot

    xy = np.column_stack([first.x, first.y])
    hub = snap.nodes["hub"].fillna(NO_HUB).to_numpy()
    names = sorted(set(hub))
    centroid = np.array([xy[hub == h].mean(axis=0) for h in names])
    size = np.array([(hub == h).sum() for h in names])
    own = np.searchsorted(names, hub)
    dist = np.hypot(*(xy[:, None, :] - centroid[None]).transpose(2, 0, 1))
    # each hub a disc of area in proportion to its actors: distances in units of its radius
    nearest = (dist / np.sqrt(size)[None]).argmin(axis=1)
    assert (nearest == own).mean() > 0.97
    assert (dist.argmin(axis=1) == own).mean() > 0.8  # and mostly even in plain distance
    shuffled = np.random.default_rng(0).permutation(own)
    assert ((dist / np.sqrt(size)[None]).argmin(axis=1) == shuffled).mean() < 0.5  # what the test would say of noise


def test_without_hubs_the_regions_are_communities_then_countries():
    two_triangles = pd.DataFrame({"source": [0, 0, 1, 3, 3, 4, 2], "target": [1, 2, 2, 4, 5, 5, 3]})
    by_community = lay_out(Snapshot.from_frames(pd.DataFrame({"name": list("abcdef")}), two_triangles))
    assert by_community.grouping == "community" and len(set(by_community.groups.tolist())) == 2
    assert "Leiden communities as regions" in by_community.algorithm
    no_ties = pd.DataFrame({"source": [], "target": []})
    by_country = lay_out(Snapshot.from_frames(pd.DataFrame({"country": ["ES", "ES", "PL", "PL"]}), no_ties))
    assert by_country.grouping == "country" and by_country.groups.tolist() == [0, 0, 1, 1]
    alone = lay_out(Snapshot.from_frames(pd.DataFrame({"name": ["a"]}), no_ties))
    assert alone.grouping == "none" and alone.x.tolist() == [0.0]


def test_the_hub_summary_counts_what_a_groupby_of_the_ties_counts(demo_atlas):
    data = map_data(demo_atlas, level="hubs")
    assert data["level"] == "hubs" and data["summary"]["actors"] == demo_atlas.count(Organization)
    nodes = pd.DataFrame(data["nodes"])
    assert set(nodes["type"]) == {"hub"} and (nodes["id"].isna() == (nodes["label"] == NO_HUB)).all()
    orgs = demo_atlas.frame("organization", ["hub_id"]).set_index("id")["hub_id"].astype("Int64")
    actors = orgs.value_counts(dropna=False)
    hub_names = dict(demo_atlas.frame("hub", ["name"]).itertuples(index=False))
    assert dict(zip(nodes["label"], nodes["actors"])) == {
        (NO_HUB if pd.isna(h) else hub_names[h]): int(c) for h, c in actors.items()}

    ties = demo_atlas.frame("tie", ["source_id", "target_id"])
    ends = pd.DataFrame({"a": ties["source_id"].map(orgs).fillna(-1).astype(int),
                         "b": ties["target_id"].map(orgs).fillna(-1).astype(int)})
    ends = pd.DataFrame({"lo": ends.min(axis=1), "hi": ends.max(axis=1)})
    between = ends[ends["lo"] != ends["hi"]].groupby(["lo", "hi"]).size()
    hub_of_row = [(-1 if pd.isna(h) else int(h)) for h in nodes["id"]]
    ours = {tuple(sorted((hub_of_row[s], hub_of_row[t]))): w
            for s, t, w in zip(data["edges"]["source"], data["edges"]["target"], data["edges"]["weight"])}
    assert ours == {k: int(v) for k, v in between.items()}
    touching = pd.concat([ends["lo"], ends["hi"][ends["lo"] != ends["hi"]]]).value_counts()
    assert dict(zip(hub_of_row, nodes["degree"])) == {h: int(touching.get(h, 0)) for h in hub_of_row}


def test_the_level_follows_the_threshold_and_a_hub_opens_at_actors_level(demo_atlas, monkeypatch):
    assert map_data(demo_atlas)["level"] == "actors"
    monkeypatch.setenv("ECOTONE_MAP_HUB_THRESHOLD", "100")
    summary = map_data(demo_atlas)
    assert summary["level"] == "hubs" and summary["summary"]["threshold"] == 100
    barcelona = next(i for i, name in zip(summary["nodes"]["id"], summary["nodes"]["label"])
                     if name == "Barcelona Health Hub")
    drill = map_data(demo_atlas, Filters(hubs=(str(barcelona),)))
    assert drill["level"] == "actors" and set(drill["nodes"]["hub_id"]) == {barcelona}
    assert len(drill["nodes"]["id"]) == summary["nodes"]["actors"][summary["nodes"]["id"].index(barcelona)]
    assert map_data(demo_atlas, level="actors")["level"] == "actors"


def test_an_empty_atlas_or_no_match_is_an_empty_map_not_an_error(tmp_path, client):
    (tmp_path / "empty").mkdir()
    with TestClient(create_app(str(tmp_path / "empty" / "atlas.db"))) as empty:
        answer = empty.get("/api/v1/map")
    assert answer.status_code == 200
    data = answer.json()
    assert data["summary"]["actors"] == 0 and all(v == [] for v in data["nodes"].values())
    assert set(data["nodes"]) == NODE_COLUMNS and all(v == [] for v in data["edges"].values())
    none = client.get("/api/v1/map", params={"hub": "Barcelona Health Hub", "type": "notified_body"})
    assert none.status_code == 200 and none.json()["summary"]["actors"] == 0
    assert client.get("/api/v1/map", params={"level": "streets"}).status_code == 422


def test_a_viewer_of_one_hub_sees_no_private_actor_of_another(demo_atlas):
    barcelona, texas = demo_atlas.hub_id("Barcelona Health Hub"), demo_atlas.hub_id("Texas Medical Center")
    orgs = demo_atlas.frame("organization", ["hub_id"])
    hidden = orgs[orgs["hub_id"] == texas]["id"].tolist()[:5]
    mine = orgs[orgs["hub_id"] == barcelona]["id"].tolist()[:3]
    for ids, owner in ((hidden, texas), (mine, barcelona)):
        for org_id in ids:
            org = demo_atlas.get(Organization, org_id)
            demo_atlas.update(org.model_copy(update={"visibility": "private", "owner_kind": "hub", "owner_id": owner}))
    viewer = bearer(demo_atlas, "viewer@barcelona.example", role="viewer", hubs=["Barcelona Health Hub"])
    admin = bearer(demo_atlas, "root@example.org")
    with TestClient(create_app(atlas=demo_atlas)) as c:
        seen = c.get("/api/v1/map", headers=viewer).json()
        everything = c.get("/api/v1/map", headers=admin).json()
        hubs = c.get("/api/v1/map", params={"level": "hubs"}, headers=viewer).json()
        texas_only = c.get("/api/v1/map", params={"hub": str(texas)}, headers=viewer).json()
    assert not set(hidden) & set(seen["nodes"]["id"]) and set(mine) <= set(seen["nodes"]["id"])
    assert set(hidden) <= set(everything["nodes"]["id"])
    assert seen["summary"]["actors"] == everything["summary"]["actors"] - len(hidden)
    assert not set(hidden) & set(texas_only["nodes"]["id"])
    ids = seen["nodes"]["id"]
    assert all(ids[s] not in hidden and ids[t] not in hidden
               for s, t in zip(seen["edges"]["source"], seen["edges"]["target"]))
    count = dict(zip(hubs["nodes"]["id"], hubs["nodes"]["actors"]))
    assert count[texas] == int((orgs["hub_id"] == texas).sum()) - len(hidden)
    assert hubs["summary"]["actors"] == seen["summary"]["actors"]


def test_the_map_answers_gzip_with_an_etag_and_304_while_nothing_changed(client, demo_atlas):
    plain = client.get("/api/v1/map", headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    assert plain.headers["cache-control"] == "private, no-cache"
    tag = plain.headers["etag"]
    assert tag.startswith('"') and not tag.startswith("W/")
    with client.stream("GET", "/api/v1/map", headers={"Accept-Encoding": "gzip"}) as zipped:
        raw = b"".join(zipped.iter_raw())
        assert zipped.headers["content-encoding"] == "gzip" and "accept-encoding" in zipped.headers["vary"].lower()
        gzip_tag = zipped.headers["etag"]
    assert gzip.decompress(raw) == plain.content and len(raw) < len(plain.content) / 3
    assert gzip_tag != tag  # a strong tag names one representation
    assert int(zipped.headers["content-length"]) == len(raw)
    with client.stream("GET", "/api/v1/map", headers={"Accept-Encoding": "gzip"}) as again:
        assert b"".join(again.iter_raw()) == raw  # compressed once and kept: the same bytes under the same tag
        assert again.headers.get_list("content-encoding") == ["gzip"] and again.headers["etag"] == gzip_tag
    from test_cache_coherence import _cache

    kept = [entry for key, entry in _cache(client.app).kept.items() if key[1] == "/api/v1/map" and not key[2]]
    assert [entry[4] for entry in kept] == [raw]  # kept beside the plain bytes, not made again for each request

    for asked, expected in ((tag, "identity"), (gzip_tag, "gzip")):
        again = client.get("/api/v1/map", headers={"If-None-Match": asked, "Accept-Encoding": expected})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == asked
        assert again.headers["vary"] == "Accept-Encoding" and again.headers["cache-control"] == "private, no-cache"
    assert client.get("/api/v1/map", headers={"If-None-Match": tag, "Accept-Encoding": "gzip"}).status_code == 200
    other = client.get("/api/v1/map", params={"level": "hubs"}, headers={"If-None-Match": tag})
    assert other.status_code == 200 and other.headers["etag"] != tag

    a, b = plain.json()["nodes"]["id"][:2]
    tie = {"source_id": a, "target_id": b, "kind": "data_sharing", "visibility": "public"}
    assert client.post("/api/v1/ties", json=tie, headers=bearer(demo_atlas)).status_code == 201
    changed = client.get("/api/v1/map", headers={"If-None-Match": tag, "Accept-Encoding": "identity"})
    assert changed.status_code == 200 and changed.headers["etag"] != tag
    assert changed.json()["summary"]["ties"] == plain.json()["summary"]["ties"] + 1


def test_a_routes_own_etag_is_kept_by_the_cache(client, demo_atlas):
    org = client.get("/api/v1/organizations", params={"limit": 1}).json()["data"][0]
    first = client.get(f"/api/v1/organizations/{org['id']}")
    assert first.headers["etag"] == f'"v{first.json()["version"]}"'
    cached = client.get(f"/api/v1/organizations/{org['id']}")
    assert cached.headers["etag"] == first.headers["etag"]
    assert client.get(f"/api/v1/organizations/{org['id']}",
                      headers={"If-None-Match": first.headers["etag"]}).status_code == 304


@pytest.mark.parametrize("filters", [Filters(), Filters(hubs=("Barcelona Health Hub", "Madrid Health Hub")),
                                     Filters(types=("hospital", "startup")), Filters(kinds=("clinical_pilot",)),
                                     Filters(since="2021-01-01", until="2023-12-31"), Filters(min_weight=2)])
def test_the_maps_reading_selects_what_a_snapshot_selects(demo_atlas, filters):
    from ecotone.services.mapdata import map_snapshot

    ours, theirs = map_snapshot(demo_atlas, filters), Snapshot.from_atlas(demo_atlas, **filters.kwargs())
    assert ours.nodes["id"].tolist() == theirs.nodes["id"].tolist()
    for column in ("name", "type", "hub", "country", "stage"):
        assert ours.nodes[column].fillna("").tolist() == theirs.nodes[column].fillna("").tolist(), column
    assert ours.ties[["source", "target", "kind", "weight"]].equals(theirs.ties[["source", "target", "kind", "weight"]])
    assert sorted(ours.graph.get_edgelist()) == sorted(theirs.graph.get_edgelist())
    assert ours.graph.es["weight"] == theirs.graph.es["weight"]


def test_an_edit_that_keeps_the_networks_shape_keeps_its_layout(demo_atlas):
    from ecotone.domain import Tie
    from ecotone.services.layout import _CACHE, structure
    from ecotone.services.mapdata import map_snapshot

    before, shape = positions(demo_atlas), structure(map_snapshot(demo_atlas))
    org = demo_atlas.find(Organization, limit=1).items[0]
    demo_atlas.update(org.model_copy(update={"tags": [*org.tags, "renamed-for-the-test"], "name": org.name + " SL"}))
    assert structure(map_snapshot(demo_atlas)) == shape  # names and tags are not the network's shape
    assert ("layout", shape) in _CACHE
    pd.testing.assert_frame_equal(positions(demo_atlas), before)
    others = [o for o in demo_atlas.find(Organization, limit=50).items if o.id != org.id]
    demo_atlas.add(Tie(source_id=org.id, target_id=others[-1].id, kind="partnership", directed=False))
    assert structure(map_snapshot(demo_atlas)) != shape  # a tie is
