"""Gould–Fernandez brokerage agrees with a brute-force enumeration of two-paths, and its moments are coherent."""

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecotone.analysis import Snapshot
from ecotone.analysis.brokerage import ROLES, Brokerage, _global_moments, _group_moments, hub_bridges


def brute_force(snap: Snapshot, groups: np.ndarray) -> np.ndarray:
    """Every ordered triple (a, v, c): a → v → c with no a → c, classified by groups."""
    arcs = set(snap.digraph.get_edgelist())
    n = len(snap)
    out = np.zeros((n, 5), dtype=int)
    for a, v, c in itertools.permutations(range(n), 3):
        if (a, v) in arcs and (v, c) in arcs and (a, c) not in arcs:
            ga, gv, gc = groups[a], groups[v], groups[c]
            role = (0 if ga == gv == gc else 1 if ga == gc != gv else 2 if ga == gv != gc
                    else 3 if gv == gc != ga else 4)
            out[v, role] += 1
    return out


graphs = st.integers(4, 16).flatmap(lambda n: st.tuples(
    st.just(n),
    st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.booleans()), max_size=45),
    st.lists(st.sampled_from("ABC"), min_size=n, max_size=n)))


@given(graphs)
@settings(max_examples=60, deadline=None)
def test_counts_equal_brute_force_enumeration(graph):
    n, edges, hubs = graph
    ties = pd.DataFrame(edges, columns=["source", "target", "directed"]) if edges else \
        pd.DataFrame({"source": [], "target": [], "directed": []})
    snap = Snapshot.from_frames(pd.DataFrame({"name": [f"v{i}" for i in range(n)], "hub": hubs}), ties)
    b = Brokerage(groups="hub").run(snap)
    expected = brute_force(snap, np.array(hubs))
    assert (b.nodes_[list(ROLES)].to_numpy() == expected).all()
    assert (b.nodes_["total"].to_numpy() == expected.sum(axis=1)).all()


def test_counts_on_the_demo_atlas_equal_brute_force(demo_atlas):
    snap = Snapshot.from_atlas(demo_atlas, hubs=["Barcelona Health Hub", "Medical Innovation Institute",
                                                 "Madrid Health Hub"])
    for groups in ("hub", "helix", "type"):
        b = Brokerage(groups=groups).run(snap)
        codes = snap.groups(groups)
        assert (b.nodes_[list(ROLES)].to_numpy() == brute_force(snap, codes)).all(), groups


def test_undirected_ties_count_both_ways():
    # a – v – c undirected: v brokers a→c and c→a
    snap = Snapshot.from_frames(pd.DataFrame({"name": ["a", "v", "c"], "hub": ["X", "Y", "Z"]}),
                                pd.DataFrame({"source": [0, 1], "target": [1, 2], "directed": [False, False]}))
    b = Brokerage(groups="hub").run(snap)
    assert b.nodes_.loc[1, "liaison"] == 2 and b.nodes_["total"].sum() == 2


def test_expectations_add_up_and_follow_gould_fernandez():
    sizes = np.array([5.0, 3.0, 8.0, 1.0])
    n_total, arcs = sizes.sum(), 40
    e, v = _group_moments(sizes, n_total, arcs)
    # The five roles of a broker partition its possible two-paths, so their expectations sum to the total's.
    assert np.allclose(e[:, :5].sum(axis=1), e[:, 5])
    d = arcs / (n_total * (n_total - 1))
    assert e[0, 0] == pytest.approx(d * d * (1 - d) * 4 * 3)  # coordinator: (n_i - 1)(n_i - 2) pairs of its own
    assert e[0, 2] == e[0, 3] == pytest.approx(d * d * (1 - d) * (n_total - 5) * 4)
    assert (v >= 0).all()
    ge, gv = _global_moments(sizes, n_total, arcs)
    assert ge[:5].sum() == pytest.approx(ge[5])
    assert ge[5] == pytest.approx(d * d * (1 - d) * n_total * (n_total - 1) * (n_total - 2))
    assert (gv >= 0).all()


def test_z_scores_and_one_group():
    snap = Snapshot.from_frames(pd.DataFrame({"name": list("abcde")}),
                                pd.DataFrame({"source": [0, 1, 2, 3], "target": [1, 2, 3, 4]}))
    b = Brokerage(groups="hub").run(snap)  # no hubs: one group, every role a coordinator
    assert b.nodes_[["itinerant", "representative", "gatekeeper", "liaison"]].to_numpy().sum() == 0
    row = b.nodes_.loc[2]
    assert row["z_coordinator"] == pytest.approx((row["coordinator"] - row["expected_coordinator"])
                                                 / np.sqrt(_group_moments(np.array([5.0]), 5.0, 8)[1][0, 0]))
    assert b.graph_.set_index("role").loc["total", "observed"] == b.nodes_["total"].sum()
    with pytest.raises(ValueError, match="no node attribute"):
        Brokerage(groups="planet").run(snap)


def test_hub_bridges_count_the_pairs_each_actor_links():
    nodes = pd.DataFrame({"name": ["BCN hospital", "BCN startup", "BCN fund", "PL startup", "PL institute", "fund"],
                          "hub": ["BCN", "BCN", "BCN", "PL", "PL", None]})
    ties = pd.DataFrame({"source": [0, 0, 0, 0, 5, 5], "target": [1, 2, 3, 4, 1, 3]})
    bridges = hub_bridges(Snapshot.from_frames(nodes, ties), top=5)
    first = bridges.iloc[0]
    assert (first["name"], first["score"], first["ties_to_a"], first["ties_to_b"]) == ("BCN hospital", 6, 2, 2)
    fund = bridges[bridges["name"] == "fund"].iloc[0]
    assert fund["score"] == 1 and pd.isna(fund["hub"])
    # Brute force: pairs (a in BCN, b in PL) both in the closed neighbourhood of the actor.
    assert set(bridges["hub_a"]) == {"BCN"} and set(bridges["hub_b"]) == {"PL"}
