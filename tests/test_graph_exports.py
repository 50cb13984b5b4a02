"""GEXF, Pajek and GraphML exports open in networkx and igraph with the same actors, ties, weights and attributes."""

import xml.etree.ElementTree as ET
from collections import Counter

import igraph as ig
import networkx as nx
import pandas as pd
import pytest

from conftest import CORDIS_H2020
from ecotone.analysis import Snapshot
from ecotone.io.pajek import pajek_labels
from ecotone.services.analysis import Filters
from ecotone.services.demo import build_demo
from ecotone.services.exports import export_graph
from ecotone.services.imports import import_files
from ecotone.store import Atlas


def expected(atlas, filters=None):
    snap = Snapshot.from_atlas(atlas, **(filters or Filters()).kwargs())
    ids = snap.nodes["id"].to_numpy()
    ties = snap.ties.assign(source=ids[snap.ties["source"]], target=ids[snap.ties["target"]])
    return snap, ties


def tie_multiset(pairs_weights, directed):
    return Counter((s, t, round(w, 9)) if directed else (min(s, t), max(s, t), round(w, 9))
                   for s, t, w in pairs_weights)


@pytest.fixture(scope="module")
def atlases(tmp_path_factory):
    """The demo atlas (mixed directed and undirected ties) and CORDIS (undirected, weighted), on SQLite: the file
    formats do not depend on the database."""
    folder = tmp_path_factory.mktemp("exports")
    with Atlas.open(str(folder / "demo.db")) as demo, Atlas.open(str(folder / "cordis.db")) as cordis:
        build_demo(demo)
        import_files(cordis, "cordis", [CORDIS_H2020])
        yield {"demo": (demo, None), "cordis": (cordis, Filters(types=("research_center", "hospital")))}


@pytest.fixture(params=["demo", "cordis"])
def network(request, atlases):
    return atlases[request.param]


def test_gexf_reads_back_in_networkx(network, tmp_path):
    atlas, filters = network
    snap, ties = expected(atlas, filters)
    [path] = export_graph(atlas, "gexf", tmp_path / "net.gexf", filters, color_by="hub", size_by="betweenness")
    g = nx.read_gexf(path, version="1.3")
    assert g.number_of_nodes() == len(snap) and g.number_of_edges() == len(ties)
    directed = bool(ties["directed"].any())
    assert g.is_directed() == directed
    got = tie_multiset(((int(u), int(v), d["weight"]) for u, v, d in g.edges(data=True)), directed)
    assert got == tie_multiset(zip(ties["source"], ties["target"], ties["weight"]), directed)
    for row in snap.nodes.sample(min(30, len(snap)), random_state=1).to_dict("records"):
        node = g.nodes[str(row["id"])]
        assert node["label"] == row["name"] and node["type"] == row["type"]
        assert node.get("hub") == row["hub"] and "viz" in node and node["viz"]["size"] >= 4
    edge_kinds = Counter(d["label"] for *_, d in g.edges(data=True))
    assert edge_kinds == Counter(ties["kind"])
    starts = Counter(d.get("start") for *_, d in g.edges(data=True))
    want = [None if pd.isna(d) else d.date().isoformat() for d in pd.to_datetime(ties["start_date"])]
    assert starts == Counter(want)
    root = ET.parse(path).getroot()
    assert root.tag == "{http://gexf.net/1.3}gexf" and root.get("version") == "1.3"
    assert root.find("{http://gexf.net/1.3}graph").get("mode") == "dynamic"


def test_graphml_reads_back_in_networkx_and_igraph(network, tmp_path):
    atlas, filters = network
    snap, ties = expected(atlas, filters)
    [path] = export_graph(atlas, "graphml", tmp_path / "net.graphml", filters)
    directed = bool(ties["directed"].any())
    g = nx.read_graphml(path)
    assert g.number_of_nodes() == len(snap) and g.number_of_edges() == len(ties)
    got = tie_multiset(((int(u[1:]), int(v[1:]), d["weight"]) for u, v, d in g.edges(data=True)), directed)
    assert got == tie_multiset(zip(ties["source"], ties["target"], ties["weight"]), directed)
    h = ig.Graph.Read_GraphML(str(path))
    assert h.vcount() == len(snap) and h.ecount() == len(ties) and h.is_directed() == directed
    names = dict(zip(h.vs["id"], h.vs["name"]))
    for row in snap.nodes.to_dict("records"):
        assert names[f"n{row['id']}"] == row["name"]
        assert g.nodes[f"n{row['id']}"]["type"] == row["type"]
    assert Counter(h.es["kind"]) == Counter(ties["kind"])
    assert sorted(h.es["weight"]) == pytest.approx(sorted(ties["weight"]))
    assert sum(h.es["directed"]) == ties["directed"].sum()
    pagerank = dict(zip(h.vs["id"], h.vs["pagerank"]))
    assert sum(pagerank.values()) == pytest.approx(1.0)


def test_pajek_reads_back_in_networkx_and_igraph(network, tmp_path):
    atlas, filters = network
    snap, ties = expected(atlas, filters)
    paths = export_graph(atlas, "pajek", tmp_path / "net.net", filters)
    names = {p.name for p in paths}
    assert {"net.net", "net_hub.clu", "net_type.clu", "net_community.clu", "net_partitions.csv",
            "net_pagerank.vec", "net_betweenness.vec"} <= names
    labels = pajek_labels(snap.nodes)
    label_of = dict(zip(snap.nodes["id"], labels))
    g = nx.read_pajek(tmp_path / "net.net")
    assert set(g.nodes) == set(labels) and g.number_of_edges() == len(ties)
    got = Counter((u, v, round(d["weight"], 9)) for u, v, d in g.edges(data=True))
    want = Counter((label_of[s], label_of[t], round(w, 9)) for s, t, w in zip(ties["source"], ties["target"],
                                                                                ties["weight"]))
    assert got == want
    h = ig.Graph.Read_Pajek(str(tmp_path / "net.net"))
    assert h.vcount() == len(snap) and h.ecount() == len(ties) and h.vs["name"] == labels
    assert sorted(h.es["weight"]) == pytest.approx(sorted(ties["weight"]))
    legend = pd.read_csv(tmp_path / "net_partitions.csv")
    hub_classes = legend[legend["partition"] == "hub"].set_index("class")["label"].to_dict()
    clu = (tmp_path / "net_hub.clu").read_text().split("\n")
    assert clu[0] == f"*Vertices {len(snap)}"
    decoded = [hub_classes[int(c)] for c in clu[1:len(snap) + 1]]
    assert decoded == [h if h is not None else "(none)" for h in snap.nodes["hub"]]
    vec = [float(v) for v in (tmp_path / "net_degree.vec").read_text().split("\n")[1:len(snap) + 1]]
    assert vec == [float(d) for d in snap.graph.degree()]


def test_export_refuses_unknown_choices(atlases, tmp_path):
    demo, _ = atlases["demo"]
    with pytest.raises(ValueError, match="colour by"):
        export_graph(demo, "gexf", tmp_path / "x.gexf", color_by="mood")
    with pytest.raises(ValueError, match="size by"):
        export_graph(demo, "gexf", tmp_path / "x.gexf", size_by="name")
    with pytest.raises(ValueError, match="unknown network format"):
        export_graph(demo, "dot", tmp_path / "x.dot")
    assert not list(tmp_path.iterdir())  # nothing half-written
