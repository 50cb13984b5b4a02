"""The snapshot cache: kept per change token and visibility scope, read back while the atlas is unchanged, built
again after a write, never shared by two principals who may see different records (SQLite and PostgreSQL)."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ecotone.analysis.snapshot import Snapshot, SnapshotCache
from ecotone.domain import Hub, Organization, Tie
from ecotone.domain.access import ANONYMOUS, Principal, Role
from ecotone.services import analysis
from ecotone.store import Atlas


@pytest.fixture
def network(atlas, tmp_path, monkeypatch):
    """Two hubs; Barcelona's members see its 'hub' records, others only the public and network ones."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # PostgreSQL's cache: under this test's folder
    bcn, waw = atlas.add_all([Hub(name="Barcelona", visibility="public"), Hub(name="Warszawa", visibility="public")])
    orgs = atlas.add_all([
        Organization(name="Clínic", type="hospital", hub_id=bcn.id, visibility="public", focus_areas=["cardio"]),
        Organization(name="Kardio", type="startup", hub_id=waw.id, visibility="public", offers=["ecg", "ai"]),
        Organization(name="Ysios", type="investor", hub_id=bcn.id, visibility="hub", owner_kind="hub",
                     owner_id=bcn.id, founded=2008),
        Organization(name="Medtech", type="corporate", visibility="public")])
    atlas.add_all([Tie(source_id=orgs[0].id, target_id=orgs[1].id, kind="partnership", visibility="public",
                       start_date=dt.date(2021, 3, 1)),
                   Tie(source_id=orgs[2].id, target_id=orgs[0].id, kind="investment", directed=True, weight=2.5,
                       visibility="hub", owner_kind="hub", owner_id=bcn.id),
                   Tie(source_id=orgs[3].id, target_id=orgs[1].id, kind="supply", visibility="public")])
    return atlas, bcn, orgs


def same(a: Snapshot, b: Snapshot) -> None:
    pd.testing.assert_frame_equal(a.nodes, b.nodes)
    pd.testing.assert_frame_equal(a.ties, b.ties)
    assert a.filters == b.filters
    for view in ("graph", "digraph"):
        ga, gb = getattr(a, view), getattr(b, view)
        assert (ga.vcount(), ga.get_edgelist(), ga.is_directed()) == (gb.vcount(), gb.get_edgelist(), gb.is_directed())
        assert ga.es["weight"] == gb.es["weight"] and ga.es["ties"] == gb.es["ties"]


def test_the_second_build_reads_the_kept_snapshot(network):
    atlas, _, _ = network
    cache = SnapshotCache.of(atlas)
    for filters in ({}, {"since": dt.date(2020, 1, 1), "hubs": ["Barcelona"]}, {"kinds": ["partnership"]}):
        first = cache.get(atlas, **filters)
        again = cache.get(atlas, **filters)
        same(first, Snapshot.from_atlas(atlas, **filters))
        same(again, first)
    assert (cache.misses, cache.hits) == (3, 3)
    assert len(list(cache.folder.glob("*.npz"))) == 3


def test_a_write_builds_it_again_and_removes_the_old_files(network):
    atlas, _, orgs = network
    cache = SnapshotCache.of(atlas)
    before = cache.get(atlas)
    old_files = set(cache.folder.glob("*.npz"))
    atlas.add(Tie(source_id=orgs[3].id, target_id=orgs[0].id, kind="partnership", visibility="public"))
    after = cache.get(atlas)
    assert cache.misses == 2 and cache.hits == 0
    assert len(after.ties) == len(before.ties) + 1
    same(after, Snapshot.from_atlas(atlas))
    assert not (old_files & set(cache.folder.glob("*.npz")))  # an older token's files go at once
    assert cache.get(atlas) is not None and cache.hits == 1


def test_two_principals_never_share_a_snapshot(network):
    atlas, bcn, _ = network
    member = atlas.acting_as(Principal("user", email="ana@bcn.org", role=Role.viewer, hubs=frozenset({bcn.id}),
                                       via="api"))
    outsider = atlas.acting_as(Principal("user", email="jan@waw.pl", role=Role.viewer, hubs=frozenset(), via="api"))
    nobody = atlas.acting_as(ANONYMOUS)
    cache = SnapshotCache.of(atlas)
    seen = {name: cache.get(who) for name, who in
            (("owner", atlas), ("member", member), ("outsider", outsider), ("anonymous", nobody))}
    assert cache.misses == 4 and len(list(cache.folder.glob("*.npz"))) == 4
    assert "Ysios" in set(seen["owner"].nodes["name"]) and "Ysios" in set(seen["member"].nodes["name"])
    assert "Ysios" not in set(seen["outsider"].nodes["name"]) | set(seen["anonymous"].nodes["name"])
    for name, who in (("owner", atlas), ("member", member), ("outsider", outsider), ("anonymous", nobody)):
        again = cache.get(who)
        same(again, seen[name])
        same(again, Snapshot.from_atlas(who))
    assert cache.hits == 4


def test_the_analyses_use_it_and_an_in_memory_atlas_is_not_cached(network):
    atlas, _, _ = network
    cache = SnapshotCache.of(atlas)
    snap = analysis.snapshot(atlas, analysis.Filters(types=("hospital", "startup")))
    assert len(list(cache.folder.glob("*.npz"))) == 1
    assert cache.get(atlas, **analysis.Filters(types=("hospital", "startup")).kwargs()) is not None
    assert cache.hits == 1 and set(snap.nodes["type"]) == {"hospital", "startup"}
    with Atlas.open("sqlite://") as memory:
        assert SnapshotCache.of(memory) is None


def test_a_damaged_file_is_built_again(network):
    atlas, _, _ = network
    cache = SnapshotCache.of(atlas)
    first = cache.get(atlas)
    (kept,) = cache.folder.glob("*.npz")
    kept.write_bytes(b"not a snapshot")
    again = cache.get(atlas)
    assert cache.misses == 2
    same(again, first)
    with np.load(kept, allow_pickle=False) as stored:  # written again, whole, and without pickle
        assert "header" in stored
