"""Network metrics agree with networkx: on small named graphs, and on the real CORDIS health network."""

import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from ecotone.analysis import Snapshot
from ecotone.analysis.metrics import NetworkMetrics, sample_size

EXACT = 1e-9


def from_networkx(g: nx.Graph, attrs: dict | None = None) -> Snapshot:
    """A snapshot of a networkx graph (directed edges stay directed; weights kept)."""
    names = list(g.nodes)
    at = {v: i for i, v in enumerate(names)}
    nodes = pd.DataFrame({"name": [str(v) for v in names], **(attrs or {})})
    ties = pd.DataFrame([(at[u], at[v], d.get("weight", 1.0), g.is_directed()) for u, v, d in g.edges(data=True)],
                        columns=["source", "target", "weight", "directed"])
    return Snapshot.from_frames(nodes, ties)


def by_position(snap: Snapshot, values: dict) -> np.ndarray:
    return np.array([values[i] for i in snap.nodes["id"]], dtype=float)


def assert_close(ours, theirs, tol=EXACT, label=""):
    ours, theirs = np.asarray(ours, float), np.asarray(theirs, float)
    both_nan = np.isnan(ours) & np.isnan(theirs)
    assert not (np.isnan(ours) ^ np.isnan(theirs)).any(), f"{label}: NaN in one only"
    diff = np.abs(ours[~both_nan] - theirs[~both_nan])
    assert diff.max(initial=0) <= tol, f"{label}: max difference {diff.max()}"


def compare_undirected(snap: Snapshot, metrics: NetworkMetrics, paths: bool = True, burt: bool = True):
    g = snap.to_networkx()
    m = metrics.nodes_
    assert_close(m["degree"], by_position(snap, dict(g.degree())), 0, "degree")
    assert_close(m["strength"], by_position(snap, dict(g.degree(weight="weight"))), EXACT, "strength")
    assert_close(m["core"], by_position(snap, nx.core_number(g)), 0, "k-core")
    assert_close(m["clustering"], by_position(snap, nx.clustering(g)), EXACT, "clustering")
    if paths:
        assert_close(m["betweenness"], by_position(snap, nx.betweenness_centrality(g)), EXACT, "betweenness")
        assert_close(m["closeness"], by_position(snap, nx.closeness_centrality(g)), EXACT, "closeness")
        assert_close(m["harmonic"], by_position(snap, nx.harmonic_centrality(g)), EXACT, "harmonic")
    if burt:
        assert_close(m["constraint"], by_position(snap, nx.constraint(g, weight="weight")), EXACT, "constraint")
        assert_close(m["effective_size"], by_position(snap, nx.effective_size(g)), EXACT, "effective size")
    directed = snap.to_networkx(directed=True)
    assert_close(m["in_degree"], by_position(snap, dict(directed.in_degree())), 0, "in-degree")
    assert_close(m["out_degree"], by_position(snap, dict(directed.out_degree())), 0, "out-degree")
    pr = nx.pagerank(directed, weight="weight", tol=1e-14, max_iter=10_000)
    assert_close(m["pagerank"], by_position(snap, pr), 1e-9, "pagerank")
    giant = g.subgraph(max(nx.connected_components(g), key=len))
    ev = nx.eigenvector_centrality_numpy(giant)
    inside = snap.nodes["id"].isin(list(giant)).to_numpy()
    ours = m["eigenvector"].to_numpy()[inside]
    theirs = np.array([ev[i] for i in snap.nodes["id"][inside]])
    assert_close(ours / np.linalg.norm(ours), theirs, 1e-9, "eigenvector (largest component)")
    graph = metrics.graph_
    assert graph.density == pytest.approx(nx.density(g), abs=EXACT)
    assert graph.components == nx.number_connected_components(g)
    assert graph.largest_component == giant.number_of_nodes()
    assert graph.transitivity == pytest.approx(nx.transitivity(g), abs=EXACT)
    assert graph.average_clustering == pytest.approx(nx.average_clustering(g), abs=EXACT)
    assert graph.reciprocity == pytest.approx(nx.reciprocity(directed) if directed.number_of_edges() else 0, abs=EXACT)
    if paths:
        assert graph.average_path_length == pytest.approx(nx.average_shortest_path_length(giant), abs=EXACT)


NAMED = {
    "karate club": nx.karate_club_graph,
    "Florentine families": nx.florentine_families_graph,
    "Les Misérables (weighted)": nx.les_miserables_graph,
    "Davis southern women": nx.davis_southern_women_graph,
    "two components": lambda: nx.disjoint_union(nx.path_graph(4), nx.cycle_graph(5)),
}


@pytest.mark.parametrize("name", list(NAMED))
def test_every_metric_matches_networkx_on_named_graphs(name):
    snap = from_networkx(NAMED[name]())
    compare_undirected(snap, NetworkMetrics().run(snap))


def test_directed_ties_count_in_and_out_and_reciprocity():
    g = nx.gnp_random_graph(60, 0.08, seed=4, directed=True)
    for u, v in g.edges:
        g.edges[u, v]["weight"] = 1 + (u * 7 + v) % 5
    snap = from_networkx(g)
    m = NetworkMetrics().run(snap)
    compare_undirected(snap, m, burt=False)
    assert m.graph_.reciprocity == pytest.approx(nx.reciprocity(g), abs=EXACT)


def test_assortativity_and_cross_shares_match_networkx_and_a_count():
    g = nx.karate_club_graph()
    clubs = [g.nodes[v]["club"] for v in g]
    types = ["hospital" if c == "Mr. Hi" else "startup" for c in clubs]
    snap = from_networkx(g, {"hub": clubs, "type": types})
    m = NetworkMetrics().run(snap)
    h = snap.to_networkx()
    assert m.graph_.assortativity_hub == pytest.approx(nx.attribute_assortativity_coefficient(h, "hub"), abs=EXACT)
    assert m.graph_.assortativity_type == pytest.approx(nx.attribute_assortativity_coefficient(h, "type"), abs=EXACT)
    crossing = sum(g.nodes[u]["club"] != g.nodes[v]["club"] for u, v in g.edges) / g.number_of_edges()
    assert m.graph_.cross_hub_share == pytest.approx(crossing)
    assert m.graph_.cross_sector_share == pytest.approx(crossing)  # hospitals are government, startups industry


def _covered(metrics: NetworkMetrics, exact: np.ndarray) -> np.ndarray:
    low, high = metrics.nodes_["betweenness_low"].to_numpy(), metrics.nodes_["betweenness_high"].to_numpy()
    return (low - EXACT <= exact) & (exact <= high + EXACT)


@pytest.fixture(scope="module")
def scale_free():
    """A 1,500-actor scale-free network and its exact betweenness from networkx."""
    g = nx.barabasi_albert_graph(1500, 3, seed=2)
    snap = from_networkx(g)
    return g, snap, by_position(snap, nx.betweenness_centrality(snap.to_networkx()))


@pytest.mark.slow
def test_sampled_betweenness_keeps_its_guarantee(scale_free):
    """Every interval covers networkx's exact value (the guarantee: all of them, with probability ≥ 1 - δ), the
    sample is the size Riondato & Kornaropoulos give for the stated ε, δ and vertex diameter, and the ranking of
    the top actors is nearly exact."""
    g, snap, exact = scale_free
    sampled = NetworkMetrics(exact_limit=100, epsilon=0.01, delta=0.1, seed=5).run(snap)
    stated = sampled.graph_
    assert stated.sampled and (stated.epsilon, stated.delta) == (0.01, 0.1)
    diameter = nx.diameter(g)
    assert diameter + 1 <= stated.vertex_diameter <= 2 * diameter + 1  # an upper bound, at most twice the truth
    assert stated.samples == sample_size(0.01 * 1498 / 1500, 0.1, stated.vertex_diameter)  # ε in its own pairs
    estimate = sampled.nodes_["betweenness"].to_numpy()
    assert _covered(sampled, exact).all()
    half = sampled.nodes_["betweenness_high"].to_numpy() - estimate
    assert half.max() <= 0.01 + EXACT
    top = np.argsort(-exact)[:100]
    assert np.median(np.abs(estimate[top] - exact[top]) / exact[top]) < 0.1
    assert stated.betweenness_relative_error == pytest.approx(np.median(half[top] / estimate[top]), rel=0.2)
    rank = pd.Series(estimate).corr(pd.Series(exact), method="spearman")
    assert rank > 0.9
    exact_all = NetworkMetrics().run(snap).nodes_
    closeness_error = np.abs(sampled.nodes_["closeness"] - exact_all["closeness"]) / exact_all["closeness"]
    assert closeness_error.median() < 0.02
    assert stated.average_path_length == pytest.approx(nx.average_shortest_path_length(g), rel=0.02)


@pytest.mark.slow
def test_intervals_cover_at_their_nominal_rate_over_many_runs(scale_free):
    """With δ = 0.2, at least 80% of runs (seeds 0–19) must have every actor's interval covering the exact value;
    a sampler drawing shortest paths unevenly, or a wrong normalisation, misses far more often."""
    _, snap, exact = scale_free
    runs = [NetworkMetrics(exact_limit=100, epsilon=0.05, delta=0.2, seed=seed).run(snap) for seed in range(20)]
    all_covered = [_covered(run, exact).all() for run in runs]
    assert np.mean(all_covered) >= 0.8
    assert np.mean([_covered(run, exact).mean() for run in runs]) >= 0.8
    # the binomial standard errors are honest where an actor is on many sampled paths
    errors = np.concatenate([np.abs(run.nodes_["betweenness"].to_numpy() - exact)[np.argsort(-exact)[:50]]
                             / run.nodes_["betweenness_se"].to_numpy()[np.argsort(-exact)[:50]] for run in runs])
    assert 0.85 <= np.mean(errors <= 1.96) <= 0.99


@pytest.mark.slow
def test_sampled_components_share_delta_and_the_whole_graphs_normalisation():
    """Two large components: each is sampled inside itself, the estimates are normalised by the pairs of the whole
    graph, and the intervals still cover networkx's values."""
    g = nx.disjoint_union(nx.barabasi_albert_graph(700, 2, seed=1), nx.powerlaw_cluster_graph(500, 3, 0.3, seed=3))
    snap = from_networkx(g)
    m = NetworkMetrics(exact_limit=100, epsilon=0.01, delta=0.1, seed=0).run(snap)
    exact = by_position(snap, nx.betweenness_centrality(snap.to_networkx()))
    assert m.graph_.components == 2 and m.graph_.sampled
    assert _covered(m, exact).all()
    assert np.abs(m.nodes_["betweenness"].to_numpy() - exact).max() < 0.01
    # the smaller component's ε, counted in the whole graph's pairs, is tighter than the stated one
    half = m.nodes_["betweenness_high"] - m.nodes_["betweenness"]
    assert half.max() <= 0.01 + EXACT and half.min() < 0.005


@pytest.mark.slow
def test_cordis_betweenness_intervals_cover_the_exact_values(cordis):
    """The whole H2020 health network sampled (exact_limit=1) against its exact betweenness (igraph's, which the
    tests above hold equal to networkx's): every interval covers, and the leaders come out in order."""
    exact = NetworkMetrics().run(cordis).nodes_["betweenness"].to_numpy()
    sampled = NetworkMetrics(exact_limit=1, epsilon=0.01, delta=0.1, seed=3).run(cordis)
    assert sampled.graph_.sampled and sampled.graph_.samples > 10_000
    assert _covered(sampled, exact).all()
    estimate = sampled.nodes_["betweenness"].to_numpy()
    top = np.argsort(-exact)[:10]
    assert np.abs(estimate[top] - exact[top]).max() < 0.01
    assert pd.Series(estimate[top]).corr(pd.Series(exact[top]), method="spearman") > 0.8


def test_empty_and_tiny_snapshots():
    empty = Snapshot.from_frames(pd.DataFrame({"name": []}), pd.DataFrame({"source": [], "target": []}))
    m = NetworkMetrics().run(empty)
    assert m.nodes_.empty and m.graph_.actors == 0 and m.graph_.density == 0
    lone = Snapshot.from_frames(pd.DataFrame({"name": ["a", "b"]}), pd.DataFrame({"source": [], "target": []}))
    m = NetworkMetrics().run(lone)
    assert m.nodes_["degree"].tolist() == [0, 0] and math.isnan(m.nodes_["effective_size"][0])
    with pytest.raises(ValueError, match="pivots"):
        NetworkMetrics(pivots=1)
    with pytest.raises(ValueError, match="epsilon and delta"):
        NetworkMetrics(epsilon=0)


# -- the real network ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cordis(cordis_atlas):
    return Snapshot.from_atlas(cordis_atlas)


def test_cordis_network_matches_networkx(cordis):
    """The whole H2020 health network (about 4,000 actors, 85,000 ties): everything but shortest paths and Burt."""
    assert len(cordis) > 3500 and len(cordis.ties) > 80_000
    compare_undirected(cordis, NetworkMetrics(exact_limit=1).run(cordis), paths=False, burt=False)


@pytest.mark.parametrize("types", [["research_center"], ["hospital", "patient_organization", "government"]])
def test_cordis_paths_and_structural_holes_match_networkx(cordis_atlas, types):
    """Shortest-path metrics and Burt's measures, exact, on CORDIS sub-networks networkx handles in seconds."""
    snap = Snapshot.from_atlas(cordis_atlas, types=types)
    assert len(snap) > 100
    compare_undirected(snap, NetworkMetrics().run(snap))
