"""GEXF, Pajek and GraphML exports open in networkx and igraph with the same actors, ties, weights and attributes;
GEXF opens in graphology-gexf (node) too, with names, attributes by title, positions, colours and directions."""

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections import Counter

import igraph as ig
import networkx as nx
import pandas as pd
import pytest

from conftest import CORDIS_H2020, REPO, REQUIRED
from ecotone.analysis import Snapshot
from ecotone.domain.display import colour
from ecotone.io.pajek import pajek_labels
from ecotone.services.analysis import Filters
from ecotone.services.demo import build_demo
from ecotone.services.exports import export_graph
from ecotone.services.imports import import_files
from ecotone.services.layout import positions
from ecotone.store import Atlas

GEXF = "{http://gexf.net/1.3}"
READER = REPO / "tests" / "assets" / "graphology-gexf-read.cjs"
#: Demo ties of directed kinds only, and of the undirected kind only: networkx reads a GEXF file whose ties all go
#: one way (it refuses one that mixes both, as the whole demo does).
DIRECTED_KINDS = Filters(kinds=("mentorship", "investment", "clinical_pilot"))
UNDIRECTED_KINDS = Filters(kinds=("partnership",))


def graphology_read(path) -> dict:
    """The graph graphology-gexf reads from ``path`` (node and the vendored reader), as JSON."""
    node = shutil.which("node")
    if node is None:
        message = "node is not installed: the GEXF files cannot be read back with graphology-gexf"
        if REQUIRED:
            pytest.fail(message + "; ECOTONE_REQUIRE_SERVICES=1 makes it required")
        pytest.skip(message + "; install Node.js to run these tests")
    done = subprocess.run([node, str(READER), str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def rgb_text(hex_colour: str) -> str:
    """A ``#rrggbb`` colour as graphology-gexf gives a viz:color back."""
    h = hex_colour.lstrip("#")
    return "rgb({},{},{})".format(*(int(h[i:i + 2], 16) for i in (0, 2, 4)))


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
        yield {"demo": (demo, None), "cordis": (cordis, Filters(types=("research_center", "hospital"))),
               "demo-directed": (demo, DIRECTED_KINDS), "demo-undirected": (demo, UNDIRECTED_KINDS)}


@pytest.fixture(params=["demo", "cordis"])
def network(request, atlases):
    return atlases[request.param]


@pytest.fixture(params=["demo-directed", "demo-undirected", "cordis"])
def one_way_network(request, atlases):
    """Networks whose ties are all directed or all undirected (what networkx reads from GEXF)."""
    return atlases[request.param]


def test_gexf_reads_back_in_networkx(one_way_network, tmp_path):
    atlas, filters = one_way_network
    snap, ties = expected(atlas, filters)
    [path] = export_graph(atlas, "gexf", tmp_path / "net.gexf", filters, color_by="hub", size_by="betweenness")
    g = nx.read_gexf(path, version="1.3")
    assert g.number_of_nodes() == len(snap) and g.number_of_edges() == len(ties)
    directed = bool(ties["directed"].any())
    assert directed == bool(ties["directed"].all())  # one way: networkx reads it
    assert g.is_directed() == directed
    got = tie_multiset(((int(u), int(v), d["weight"]) for u, v, d in g.edges(data=True)), directed)
    assert got == tie_multiset(zip(ties["source"], ties["target"], ties["weight"]), directed)
    where = positions(atlas, filters).set_index("id")
    for row in snap.nodes.sample(min(30, len(snap)), random_state=1).to_dict("records"):
        node = g.nodes[str(row["id"])]
        assert node["label"] == row["name"] and node["type"] == row["type"]
        assert node.get("hub") == row["hub"] and "viz" in node and node["viz"]["size"] >= 4
        assert node["viz"]["position"]["x"] == pytest.approx(where.at[row["id"], "x"])
        assert node["viz"]["position"]["y"] == pytest.approx(where.at[row["id"], "y"])
        r, g_, b = (node["viz"]["color"][c] for c in "rgb")
        assert rgb_text(colour("hub", row["hub"])) == f"rgb({r},{g_},{b})"
    edge_kinds = Counter(d["label"] for *_, d in g.edges(data=True))
    assert edge_kinds == Counter(ties["kind"])
    starts = Counter(d.get("start") for *_, d in g.edges(data=True))
    want = [None if pd.isna(d) else d.date().isoformat() for d in pd.to_datetime(ties["start_date"])]
    assert starts == Counter(want)
    root = ET.parse(path).getroot()
    assert root.tag == f"{GEXF}gexf" and root.get("version") == "1.3"
    assert root.find(f"{GEXF}graph").get("mode") == "dynamic"


def test_networkx_refuses_a_gexf_network_with_both_kinds_of_ties(atlases, tmp_path):
    """The demo has directed ties (investment, mentorship…) and undirected ones (partnership): each is written as
    what it is, which Gephi and graphology read; networkx holds one kind of graph only and says so."""
    demo, _ = atlases["demo"]
    [path] = export_graph(demo, "gexf", tmp_path / "net.gexf")
    with pytest.raises(nx.NetworkXError, match="Undirected edge found in directed graph"):
        nx.read_gexf(path, version="1.3")


def test_gexf_declares_numeric_attribute_ids_with_titles_and_each_tie_direction(network, tmp_path):
    atlas, filters = network
    snap, ties = expected(atlas, filters)
    [path] = export_graph(atlas, "gexf", tmp_path / "net.gexf", filters)
    graph = ET.parse(path).getroot().find(f"{GEXF}graph")
    directed = bool(ties["directed"].any())
    assert graph.get("defaultedgetype") == ("directed" if directed else "undirected")
    declared = {}
    for block in graph.findall(f"{GEXF}attributes"):
        attrs = block.findall(f"{GEXF}attribute")
        assert [a.get("id") for a in attrs] == [str(i) for i in range(len(attrs))]
        declared[block.get("class")] = {a.get("title"): a.get("type") for a in attrs}
    assert declared["node"]["type"] == "string" and declared["node"]["pagerank"] == "double"
    assert declared["node"]["degree"] == "integer" and declared["node"]["community"] == "integer"
    assert declared["edge"]["kind"] == "string" and declared["edge"]["directed"] == "boolean"
    types = Counter(e.get("type") for e in graph.iter(f"{GEXF}edge"))
    assert types == Counter("directed" if d else "undirected" for d in ties["directed"])


def test_gexf_reads_back_in_graphology(network, tmp_path):
    """graphology-gexf (sigma.js, Gephi Lite) shows names, attributes by their titles, the server layout's
    positions, the application's colours and each tie's direction."""
    atlas, filters = network
    snap, ties = expected(atlas, filters)
    [path] = export_graph(atlas, "gexf", tmp_path / "net.gexf", filters, color_by="type")
    got = graphology_read(path)
    directed = ties["directed"].astype(bool)
    assert got["type"] == ("mixed" if directed.any() and not directed.all() else
                           "directed" if directed.all() else "undirected")
    nodes = {n["key"]: n["attributes"] for n in got["nodes"]}
    assert len(nodes) == len(snap)
    where = positions(atlas, filters).set_index("id")
    for row in snap.nodes.to_dict("records"):
        node = nodes[str(row["id"])]
        assert node["label"] == row["name"]
        assert node["type"] == row["type"] and node.get("hub") == row["hub"] and node.get("country") == row["country"]
        assert isinstance(node["pagerank"], float) and isinstance(node["degree"], int)
        assert node["color"] == rgb_text(colour("type", row["type"]))
        assert node["x"] == pytest.approx(where.at[row["id"], "x"]) and node["y"] == pytest.approx(
            where.at[row["id"], "y"])
    edges = {e["key"]: e for e in got["edges"]}
    assert len(edges) == len(ties)
    for tie in ties.to_dict("records"):
        edge = edges[str(tie["id"])]
        assert (edge["source"], edge["target"]) == (str(tie["source"]), str(tie["target"]))
        assert edge["undirected"] == (not tie["directed"])
        assert edge["attributes"]["label"] == tie["kind"] and edge["attributes"]["weight"] == pytest.approx(tie["weight"])
        assert edge["attributes"]["directed"] == bool(tie["directed"])


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
