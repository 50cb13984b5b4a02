"""The Snapshot and the analyses on it: stakeholder map, communities, emerging collaborations, gaps, diffusion."""

import datetime as dt

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from ecotone.analysis import Snapshot
from ecotone.analysis.communities import Communities
from ecotone.analysis.diffusion import Diffusion, reach
from ecotone.analysis.emerging import Emerging
from ecotone.analysis.gaps import Gaps
from ecotone.match.needs import NeedMatcher
from ecotone.analysis.stakeholders import QUADRANTS, TIERS, WEIGHTS, StakeholderMap, coverage
from ecotone.domain import CORE_ROLES, STAGE_NEEDS, Organization, Tie


# -- Snapshot ------------------------------------------------------------------------------------------------------
def test_snapshot_keeps_every_actor_and_tie_with_attributes(demo_atlas):
    snap = Snapshot.from_atlas(demo_atlas)
    counts = demo_atlas.counts()
    assert len(snap) == counts["organization"] and len(snap.ties) == counts["tie"]
    medlumics = snap.nodes[snap.nodes["name"] == "Medlumics"].iloc[0]
    assert medlumics["hub"] == "Madrid Health Hub" and medlumics["helix"] == "industry"
    assert medlumics["funding_raised"] == 34_000_000  # the seed's €34M round
    caixa = snap.nodes[snap.nodes["name"] == "Caixa Capital Risc"].iloc[0]
    assert caixa["funding_invested"] == 2_400_000 / 2  # GlyCardial's €2.4M, shared with HealthEquity
    g = snap.to_networkx()
    assert g.number_of_nodes() == len(snap) and g.number_of_edges() == snap.graph.ecount()
    assert g.nodes[int(medlumics["id"])]["type"] == "startup"
    total = sum(d["ties"] for *_, d in g.edges(data=True))
    assert total == len(snap.ties) - (snap.ties["source"] == snap.ties["target"]).sum()
    d = snap.to_networkx(directed=True)
    directed = snap.ties["directed"].to_numpy()
    assert d.number_of_edges() <= directed.sum() + 2 * (~directed).sum()


def test_snapshot_filters(demo_atlas):
    bcn = Snapshot.from_atlas(demo_atlas, hubs=["Barcelona Health Hub"])
    assert set(bcn.nodes["hub"]) == {"Barcelona Health Hub"}
    assert len(bcn) == demo_atlas.count(Organization, hub="Barcelona Health Hub")
    two = Snapshot.from_atlas(demo_atlas, hubs=["Barcelona", "Medical Innovation Institute"])
    assert set(two.nodes["hub"]) == {"Barcelona Health Hub", "Medical Innovation Institute"}
    kinds = Snapshot.from_atlas(demo_atlas, kinds=["clinical_pilot", "Clinical Validation"])
    assert set(kinds.ties["kind"]) == {"clinical_pilot", "clinical_validation"}
    assert len(kinds.ties) == demo_atlas.count(Tie, kind=["clinical_pilot", "clinical_validation"])
    types = Snapshot.from_atlas(demo_atlas, types=["startup", "hospital"])
    assert set(types.nodes["type"]) == {"startup", "hospital"}
    window = Snapshot.from_atlas(demo_atlas, since="2024-01-01", until="2024-12-31")
    assert len(window.ties) == demo_atlas.count(Tie, since="2024-01-01", until="2024-12-31")
    heavy = Snapshot.from_atlas(demo_atlas, min_weight=3)
    assert (heavy.ties["weight"] >= 3).all() and 0 < len(heavy.ties) < len(window.ties) + 400
    assert window.filters == {"since": dt.date(2024, 1, 1), "until": dt.date(2024, 12, 31)}
    for bad, message in ((dict(types=["unicorn"]), "stakeholder type"), (dict(kinds=["friendship"]), "tie kind"),
                         (dict(since="last year"), "since must be a date"),
                         (dict(since="2024-01-01", until="2023-01-01"), "after until"),
                         (dict(min_weight=-1), "min_weight")):
        with pytest.raises(ValueError, match=message):
            Snapshot.from_atlas(demo_atlas, **bad)


def test_snapshot_position_and_groups():
    snap = Snapshot.from_frames(pd.DataFrame({"id": [10, 20], "name": ["a", "b"], "hub": ["X", None]}),
                                pd.DataFrame({"source": [0], "target": [1]}))
    assert snap.position(20) == 1 and list(snap.groups("hub")) == [0, 1]
    with pytest.raises(KeyError, match="not in this snapshot"):
        snap.position(30)
    with pytest.raises(ValueError, match="outside"):
        Snapshot.from_frames(pd.DataFrame({"name": ["a"]}), pd.DataFrame({"source": [0], "target": [3]}))


# -- stakeholder map -----------------------------------------------------------------------------------------------
def test_coverage_matches_the_atlas_counts(demo_atlas):
    snap = Snapshot.from_atlas(demo_atlas)
    table = coverage(snap)
    for hub, kind, count in demo_atlas.coverage():
        assert table.loc[hub or "(no hub)", kind] == count
    helix = coverage(snap, "helix")
    assert (helix.sum(axis=1) == table.sum(axis=1)).all()


def test_power_interest_grid_places_every_actor(demo_atlas):
    snap = Snapshot.from_atlas(demo_atlas)
    m = StakeholderMap().run(snap)
    grid = m.grid_
    assert len(grid) == len(snap) and set(grid["quadrant"]) <= set(QUADRANTS.values())
    for col in ("power", "power_authority", "power_resources", "power_position", "interest", "priority"):
        assert grid[col].between(0, 1).all(), col
    assert np.allclose(grid["power"], sum(WEIGHTS[p] * grid[f"power_{p}"] for p in WEIGHTS))
    high = grid[(grid["power"] >= 0.5) & (grid["interest"] >= 0.5)]
    assert (high["quadrant"] == "manage closely").all() and len(high) == (grid["quadrant"] == "manage closely").sum()
    # The priority list: manage closely first, then keep satisfied, keep informed, monitor, each by power × interest.
    tiers = grid["quadrant"].map(TIERS)
    assert list(tiers) == sorted(tiers, reverse=True)
    for _, block in grid.groupby("quadrant"):
        product = (block["power"] * block["interest"]).to_numpy()
        assert (np.diff(product) <= 1e-12).all()
    assert m.priorities(5)["id"].tolist() == grid["id"].head(5).tolist()
    bcn = m.hub("Barcelona Health Hub")
    assert list(bcn["priority"]) == sorted(bcn["priority"], reverse=True)
    assert m.priorities(3, hub="Barcelona Health Hub")["id"].tolist() == bcn["id"].head(3).tolist()
    assert m.grouping_ == "hub" and m.note_ is None and set(grid["group"]) == set(grid["hub"])
    overrides = StakeholderMap(overrides={"Barcelona Activa": {"power": 0.05, "interest": 0.95}}).run(snap).grid_
    row = overrides[overrides["name"] == "Barcelona Activa"].iloc[0]
    assert (row["power"], row["interest"], row["quadrant"], row["overridden"]) == (0.05, 0.95, "keep informed", True)
    assert overrides["overridden"].sum() == 1
    with pytest.raises(ValueError, match="no such actor"):
        StakeholderMap(overrides={"Nobody": {"power": 1}}).run(snap)
    with pytest.raises(ValueError, match="between 0 and 1"):
        StakeholderMap(overrides={"Barcelona Activa": {"power": 2}}).run(snap)


# -- communities ---------------------------------------------------------------------------------------------------
def test_leiden_recovers_planted_communities_and_describes_them():
    g = nx.planted_partition_graph(4, 25, 0.5, 0.01, seed=3)
    hubs = [f"hub {v // 25}" for v in g]
    nodes = pd.DataFrame({"name": [f"a{v}" for v in g], "hub": hubs})
    ties = pd.DataFrame(list(g.edges), columns=["source", "target"])
    snap = Snapshot.from_frames(nodes, ties)
    c = Communities(seed=1).run(snap)
    assert c.membership_.max() == 3
    for block in range(4):
        assert len(set(c.membership_[block * 25:(block + 1) * 25])) == 1
    assert c.communities_["hubs"].str.endswith("(100%)").all()
    assert c.modularity_ == pytest.approx(nx.community.modularity(g, [set(np.flatnonzero(c.membership_ == k))
                                                                       for k in range(4)]))
    again = Communities(seed=1).run(snap)
    assert (again.membership_ == c.membership_).all()
    finer = Communities(resolution=5, seed=1).run(snap)
    assert finer.membership_.max() > c.membership_.max()


# -- emerging collaborations ---------------------------------------------------------------------------------------
def test_emerging_counts_new_ties_per_year(demo_atlas):
    snap = Snapshot.from_atlas(demo_atlas)
    e = Emerging().run(snap)
    starts = pd.to_datetime(snap.ties["start_date"])
    per_year = starts.dt.year.value_counts()
    for row in e.periods_.to_dict("records"):
        assert row["new_ties"] == per_year.get(int(row["period"]), 0)
    assert e.periods_["new_ties"].sum() + e.undated_ == len(snap.ties)
    last = e.periods_.iloc[-1]
    at = pd.Timestamp(f"{last['period']}-12-31")
    active = snap.ties[(starts <= at) & (pd.to_datetime(snap.ties["end_date"]).isna()
                                         | (pd.to_datetime(snap.ties["end_date"]) >= at))]
    g = nx.Graph(list(zip(active["source"], active["target"])))
    assert last["largest_component"] == max(len(c) for c in nx.connected_components(g))
    hubs = snap.nodes["hub"].to_numpy()
    src, tgt = snap.ties["source"].to_numpy(), snap.ties["target"].to_numpy()
    cross = pd.notna(hubs[src]) & pd.notna(hubs[tgt]) & (hubs[src] != hubs[tgt])
    assert e.periods_["new_cross_hub"].sum() == (cross & starts.notna().to_numpy()).sum()
    assert len(e.risers_) == 10 and (e.risers_["growth"].diff().dropna() <= 0).all()
    # growth = ties started in the window / (ties active at its start + 2), counted here from the tie table
    years = e.periods_["period"].astype(int)
    before_at, now_at = pd.Timestamp(f"{years.iloc[-4]}-12-31 23:59:59"), pd.Timestamp(f"{years.iloc[-1]}-12-31 23:59:59")
    ends = pd.to_datetime(snap.ties["end_date"])
    for row in e.risers_.to_dict("records"):
        at = snap.position(row["id"])
        mine = snap.ties[(snap.ties["source"] == at) | (snap.ties["target"] == at)]
        new = ((starts[mine.index] > before_at) & (starts[mine.index] <= now_at)).sum()
        old = ((starts[mine.index] <= before_at) & (ends[mine.index].isna() | (ends[mine.index] >= before_at))).sum()
        assert (row["new_ties"], row["ties_before"]) == (new, old)
        assert row["growth"] == pytest.approx(new / (old + 2))
    assert e.bridges_["start"].is_monotonic_decreasing
    assert "Medical Innovation Institute" in set(e.bridges_["source_hub"]) | set(e.bridges_["target_hub"])
    quarters = Emerging(period="quarter").run(snap).periods_
    assert quarters["new_ties"].sum() == e.periods_["new_ties"].sum()
    assert all(p[4] == "Q" for p in quarters["period"]) and len(quarters) > len(e.periods_)


# -- gaps ----------------------------------------------------------------------------------------------------------
def test_gaps_on_the_demo_atlas(demo_atlas):
    snap = Snapshot.from_atlas(demo_atlas)
    g = Gaps().run(snap)
    present = {}
    for hub, kind, _ in demo_atlas.coverage():
        if hub:
            present.setdefault(hub, set()).add(kind)
    for row in g.missing_roles_.to_dict("records"):
        assert row["missing"] == [r.value for r in CORE_ROLES if r.value not in present[row["hub"]]]
    # Every unreached need really has no provider within two steps (checked with networkx).
    nxg = snap.to_networkx()
    types = dict(zip(snap.nodes["id"], snap.nodes["type"]))
    offers = {i: set(v) for i, v in zip(snap.nodes["id"], snap.nodes["offers"])}
    matcher = NeedMatcher().fit(o for v in offers.values() for o in v)
    assert len(g.unreached_) > 0
    for row in g.unreached_.to_dict("records"):
        near = set(nx.single_source_shortest_path_length(nxg, row["id"], cutoff=2)) - {row["id"]}
        if row["need"].startswith("stated: "):  # met as NeedMatcher.pair, the plain definition, says
            need = row["need"].removeprefix("stated: ")
            level = "weak" if row["match"].startswith("weak") else "matched"
            assert not any(matcher.pair(need, o)[1] == level for u in near for o in offers[u])
        else:
            stage = row["need"].split(":")[0]
            assert not any(types[u] in {t.value for t in STAGE_NEEDS[stage]} for u in near)
        assert row["provider"] and row["bridge"]
    # A startup at clinical validation with a hospital partner is not a gap.
    clinical = snap.nodes[snap.nodes["stage"] == "clinical_validation"]
    reached = set(g.unreached_[g.unreached_["need"].str.startswith("clinical_validation")]["id"])
    for oid in clinical["id"]:
        near = set(nx.single_source_shortest_path_length(nxg, oid, cutoff=2))
        assert (oid in reached) == (not any(types[u] in ("hospital", "clinic") for u in near))
    pairs = g.hub_pairs_
    hub_of = dict(zip(snap.nodes["id"], snap.nodes["hub"]))
    between = {}
    for u, v in nxg.edges:
        a, b = sorted([str(hub_of[u]), str(hub_of[v])])
        between[(a, b)] = between.get((a, b), 0) + 1
    for row in pairs.to_dict("records"):
        assert row["ties"] == between.get((row["hub_a"], row["hub_b"]), 0) <= 2
        assert row["evidence"].startswith(f"{row['ties']} tie(s)")
    assert not ((pairs["hub_a"] == "Barcelona Health Hub") & (pairs["hub_b"] == "Madrid Health Hub")).any()


# -- diffusion -----------------------------------------------------------------------------------------------------
def test_reach_and_certain_cascades_follow_shortest_paths():
    g = nx.balanced_tree(2, 4)
    snap = Snapshot.from_frames(pd.DataFrame({"name": [str(v) for v in g]}),
                                pd.DataFrame(list(g.edges), columns=["source", "target"]))
    table = reach(snap, [0], 2)
    assert table["reached"].tolist() == [1, 2, 4] and table["cumulative"].iloc[-1] == 7
    d = Diffusion(probability=1.0, runs=3).run(snap, [0])
    lengths = nx.single_source_shortest_path_length(g, 0)
    assert d.actors_.set_index("name")["mean_step"].to_dict() == {str(v): float(k) for v, k in lengths.items()}
    assert d.spread_["mean"] == len(g)


def test_cascade_spread_matches_its_expectation():
    # a – b – c with p: E[reached] = 1 + p + p²; a tie of weight 2 passes with 1 - (1 - p)².
    p = 0.3
    snap = Snapshot.from_frames(pd.DataFrame({"name": list("abc")}),
                                pd.DataFrame({"source": [0, 1], "target": [1, 2], "weight": [1.0, 2.0]}))
    d = Diffusion(probability=p, runs=20_000, seed=7).run(snap, [0])
    q = 1 - (1 - p) ** 2
    expected = 1 + p + p * q
    sd = np.sqrt(p * (1 - p) + p * q * (1 - p * q)) / np.sqrt(20_000) * 2
    assert d.spread_["mean"] == pytest.approx(expected, abs=4 * sd)
    assert d.actors_.set_index("name").loc["c", "probability"] == pytest.approx(p * q, abs=0.01)
    same = Diffusion(probability=p, runs=500, seed=7).run(snap, [0]).spread_
    assert same == Diffusion(probability=p, runs=500, seed=7).run(snap, [0]).spread_


def test_greedy_seeds_pick_the_centres_of_separate_stars():
    g = nx.disjoint_union(nx.star_graph(8), nx.star_graph(5))
    snap = Snapshot.from_frames(pd.DataFrame({"name": [str(v) for v in g]}),
                                pd.DataFrame(list(g.edges), columns=["source", "target"]))
    best = Diffusion(probability=0.9, runs=100).best_seeds(snap, 2)
    assert best["name"].tolist() == ["0", "9"]
    assert best["expected_reach"].iloc[-1] > best["expected_reach"].iloc[0]
    with pytest.raises(ValueError, match="k must be"):
        Diffusion().best_seeds(snap, 0)


def test_the_gap_finder_reports_the_registers_unaddressed_clinical_needs(demo_atlas):
    from ecotone.domain import ClinicalNeed
    from ecotone.services import analysis as service

    gaps = {n.id for n in demo_atlas.find(ClinicalNeed, limit=None).items if not n.innovation_ids}
    found = service.gaps(demo_atlas)
    assert gaps and {r["id"] for r in found.tables["clinical_needs"]} == gaps
    assert found.summary["clinical_needs_unaddressed"] == len(gaps)
    barcelona = service.gaps(demo_atlas, service.Filters(hubs=("Barcelona",))).tables["clinical_needs"]
    assert barcelona and {r["hub"] for r in barcelona} == {"Barcelona Health Hub"}
    assert [r["severity"] for r in barcelona][:1] == ["critical"]  # gravest first
