"""The synthetic generator: reproducible, realistic shape (hubs, heavy tails, few bridges)."""

from collections import Counter

import networkx as nx
import pytest

from ecotone.domain import Innovation, Organization, StageEvent, Tie
from ecotone.services.exports import atlas_bundle
from ecotone.services.generate import Generator
from ecotone.store import Atlas


def test_same_seed_same_atlas_other_seed_other_atlas(tmp_path):
    bundles = []
    for n, seed in enumerate((3, 3, 4)):
        with Atlas.open(str(tmp_path / f"{n}.db")) as atlas:
            Generator(orgs=400, hubs=6, seed=seed).run(atlas)
            bundles.append(atlas_bundle(atlas))
    assert bundles[0] == bundles[1]
    assert bundles[0] != bundles[2]


def test_counts_and_shape(atlas):
    gen = Generator(orgs=3000, hubs=12, ties=30000, seed=5).run(atlas)
    assert (gen.orgs_, gen.ties_) == (3000, 30000)
    assert atlas.count(Organization) == 3000 + 0 and atlas.count(Tie) == 30000
    hub_of = {r["id"]: r["hub_id"] for r in atlas.rows("organization", columns=["id", "hub_id"])}
    g = nx.MultiDiGraph()
    crossing = 0
    for t in atlas.rows("tie", columns=["source_id", "target_id", "kind", "start_date", "end_date"]):
        g.add_edge(t["source_id"], t["target_id"])
        crossing += hub_of[t["source_id"]] != hub_of[t["target_id"]]
        assert t["start_date"] is not None and (t["end_date"] is None or t["end_date"] > t["start_date"])
    degrees = sorted((d for _, d in g.degree()), reverse=True)
    mean = sum(degrees) / 3000
    assert degrees[0] > 10 * mean  # heavy tail
    assert 0.02 < crossing / 30000 < 0.10  # dense hubs, few bridges
    hub_sizes = Counter(hub_of.values())
    assert max(hub_sizes.values()) > 3 * min(hub_sizes.values())
    types = Counter(o.type.value for o in atlas.records(Organization))
    assert types["startup"] > types["hospital"] > types["regulator"] and types["hub_operator"] == 12
    assert atlas.count(Innovation) > 0 and atlas.count(StageEvent) >= atlas.count(Innovation)


def test_it_adds_to_an_existing_atlas_and_keeps_ids_going(atlas):
    Generator(orgs=50, hubs=2, seed=1).run(atlas)
    Generator(orgs=50, hubs=2, seed=2).run(atlas)
    assert atlas.count(Organization) == 100
    new = atlas.add(Organization(name="After", type="sme"))
    assert new.id == 101
    ids = [r["id"] for r in atlas.rows("tie", columns=["id"])]
    assert atlas.add(Tie(source_id=1, target_id=new.id, kind="referral")).id == max(ids) + 1


def test_bad_sizes_are_refused(atlas):
    with pytest.raises(ValueError, match="at least 1"):
        Generator(orgs=0, hubs=1).run(atlas)


def test_each_hub_has_its_own_type_mix(sqlite_atlas):
    Generator(orgs=20000, hubs=8, ties=0, seed=9).run(sqlite_atlas)
    shares = []
    for hub in range(1, 9):
        members = sqlite_atlas.count(Organization, hub=hub)
        if members > 500:
            shares.append(sqlite_atlas.count(Organization, hub=hub, type="startup") / members)
    assert len(shares) >= 2
    assert max(shares) - min(shares) > 0.03  # hubs differ, beyond sampling noise at these sizes
